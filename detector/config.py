"""Pipeline configuration: a TOML file with [[sources]], [scoring], [model] and [[commitments]].

Each ``[[sources]]`` entry is checked against the keys every source has and the option fields
of its kind (``detector.ingest.registry``): an unknown key, a value of the wrong type or an
unknown time zone is a ConfigError naming the source and the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .records import Commitment
from .vocab import COMMITMENT_SCOPES, PERIODS, TARGETS

if TYPE_CHECKING:
    from .ingest.options import SourceOptions

# The keys every [[sources]] entry may have; the rest are its kind's options.
COMMON_SOURCE_KEYS = ("name", "kind", "url", "path", "speaker", "home", "actor", "target_actor")


def __getattr__(name: str):
    # SOURCE_KINDS, STATEMENT_KINDS and SCORING_METHODS come from the registries. Those import
    # the parsers and scorers (httpx, feedparser, pandas) and those import this module, so they
    # are looked up on first use rather than at import.
    if name == "SOURCE_KINDS":
        return tuple(_source_kinds())
    if name == "STATEMENT_KINDS":
        return tuple(k for k, v in _source_kinds().items() if v.produces == "statements")
    if name == "SCORING_METHODS":
        return tuple(_scorers())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _source_kinds() -> dict:
    from .ingest.registry import SOURCE_KINDS

    return SOURCE_KINDS


def _scorers() -> dict:
    from .score import SCORERS

    return SCORERS


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    url: str | None = None
    path: Path | None = None
    speaker: str | None = None  # default speaker of statement sources
    # The outlet's own country, for a news source without a default speaker (a wire that reports
    # others): the speaker of a bare title such as "... - senior diplomat".
    home: str | None = None
    actor: str | None = None  # default actor of strike sources
    target_actor: str | None = None
    # The kind's typed options (``SourceKind.options``); a mapping (or None) given here is
    # checked and turned into them, so library callers may write options={"timezone": ...}.
    options: SourceOptions | Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.options is None or isinstance(self.options, Mapping):
            object.__setattr__(
                self,
                "options",
                source_options(self.kind, self.options or {}, f"source {self.name!r}"),
            )

    @property
    def location(self) -> str:
        return self.url if self.url else str(self.path)


# contradiction.v3's claim share for a model whose artifact names none: set on the real case
# with minilm-lora-v5's claims (pipelines/real_v3_check.py).
V3_MIN_SHARE = 0.06


@dataclass(frozen=True)
class ScoringConfig:
    method: str = "contradiction.v3"
    period: str = "week"  # week | day
    lag_days: int = 7
    baseline_periods: int = 8
    min_baseline_periods: int = 3
    rhetoric_threshold: float = 1.0  # z of R against its trailing baseline
    action_threshold: float = 0.5  # z of A against its trailing baseline
    min_willing: float = 1.0  # confidence-weighted willing statements needed at all
    min_score: float = 0.0
    willing_threshold: float = 0.5  # stance confidence for a statement to count
    unwilling_weight: float = 0.5
    target_weights: dict[str, float] = field(
        default_factory=lambda: {
            "energy": 1.5,
            "civilian": 1.0,
            "unspecified": 0.5,
            "military": 0.0,
        }
    )
    alpha: float = 0.05  # flags keep only p <= alpha
    n_shifts: int = 199
    seed: int = 0
    # contradiction.v3 (detector/score/contradiction_v3.py; its docstring has the rule). A week
    # is contradictory when, within v3_lag_days either side, the actor made at least
    # v3_min_claims confident willing claims whose source-volume share is >= v3_min_share, and
    # in the week itself struck v3_targets with >= v3_min_launched launched or in
    # >= v3_min_events events.
    v3_min_claims: int = 8
    # None: the share the model's artifact is calibrated for (model.json "scoring"), else
    # V3_MIN_SHARE. A share of confident claims means different things for models that make
    # different numbers of false claims, so the threshold belongs to the model unless set here.
    v3_min_share: float | None = None
    v3_source_cap: float = 50.0  # a source's weight in the combined share: min(statements, cap)
    v3_lag_days: int = 3
    v3_min_launched: float = 400.0
    v3_min_events: int = 10
    v3_targets: tuple[str, ...] = ("energy", "civilian")
    coupling_block: int = 4  # periods per block of the coupling test's bootstrap
    coupling_n_boot: int = 999
    # Local days of the deeds merge (score/deeds.py): the strikes' own timezone, e.g.
    # "Europe/Kyiv" for the Air Force reports (a night's attack and its morning reports).
    deeds_timezone: str = "UTC"

    @property
    def v3_share(self) -> float:
        """The claim share contradiction.v3 uses: v3_min_share, or V3_MIN_SHARE when open."""
        return V3_MIN_SHARE if self.v3_min_share is None else float(self.v3_min_share)

    def for_model(self, calibration: Mapping[str, Any] | None) -> ScoringConfig:
        """This config with the open thresholds filled from a model's calibration (the
        ``scoring`` record of its model.json for this config's method); set ones are kept."""
        share = (calibration or {}).get("v3_min_share")
        if self.v3_min_share is not None or share is None:
            return self
        return dataclasses.replace(self, v3_min_share=float(share))


@dataclass(frozen=True)
class Config:
    sources: list[SourceConfig]
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    model_version: str | None = None  # None: the default shipped model
    commitments: list[Commitment] = field(default_factory=list)
    path: Path | None = None
    text: str = ""

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


# --- source options -----------------------------------------------------------------------


class _WrongType(Exception):
    pass


def _describe(tp: Any) -> str:
    """A type as a config writer reads it."""
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is tuple:
        items = get_args(args[0]) if get_origin(args[0]) in (Union, types.UnionType) else args[:1]
        plural = {str: "strings", int: "whole numbers", float: "numbers"}
        return "a list of " + " or ".join(plural.get(a, _describe(a)) for a in items)
    if origin in (dict, Mapping):
        return 'a table such as { EUR = "EU" }'
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _coerce(value: Any, tp: Any) -> Any:
    """``value`` checked against the annotation ``tp`` (TOML lists become tuples); raises
    _WrongType."""
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arm in args:
            if arm is type(None):
                continue
            try:
                return _coerce(value, arm)
            except _WrongType:
                pass
        raise _WrongType
    if origin is Literal:
        if value in args:
            return value
        raise _WrongType
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise _WrongType
        return tuple(_coerce(v, args[0]) for v in value)
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise _WrongType
        return {_coerce(k, args[0]): _coerce(v, args[1]) for k, v in value.items()}
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool):
        raise _WrongType
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    raise _WrongType


def _unknown_key(key: str, allowed: list[str], where: str, kind: str) -> ConfigError:
    near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if near:
        return ConfigError(f"{where}: unknown key {key!r} (did you mean {near[0]!r}?)")
    return ConfigError(
        f"{where}: unknown key {key!r}; a source of kind {kind} takes " + ", ".join(allowed)
    )


def source_options(kind: str, values: Mapping[str, Any], where: str) -> SourceOptions:
    """The typed options of a source of ``kind`` from a mapping (a config entry without its
    common keys). ``where`` names the source in errors ("config.toml: source 'kremlin')."""
    kinds = _source_kinds()
    if kind not in kinds:
        raise ConfigError(f"{where} has kind {kind!r}; use one of " + ", ".join(kinds))
    cls = kinds[kind].options
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    checked: dict[str, Any] = {}
    for key, given in values.items():
        if key not in fields:
            raise _unknown_key(key, sorted(fields), where, kind)
        try:
            value = _coerce(given, hints[key])
        except _WrongType:
            raise ConfigError(
                f"{where}: {key} = {given!r} must be {_describe(hints[key])}; fix it in the config"
            ) from None
        check = fields[key].metadata.get("check")
        if check is not None and value is not None:
            try:
                value = check(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: {key} = {given!r} {exc}") from None
        checked[key] = value
    return cls(**checked)


def _source_from_entry(
    entry: dict[str, Any], i: int, base_dir: Path, where: str, seen: set[str]
) -> SourceConfig:
    name = entry.get("name")
    if not name:
        raise ConfigError(f'{where}: [[sources]] entry {i + 1} has no name; add name = "..."')
    here = f"{where}: source {name!r}"
    for key in COMMON_SOURCE_KEYS:
        if key in entry and not isinstance(entry[key], str):
            raise ConfigError(f"{here}: {key} = {entry[key]!r} must be a string; quote it")
    if name in seen:
        raise ConfigError(f"{where}: source name {name!r} is used twice; names must be unique")
    seen.add(name)
    kind = entry.get("kind")
    kinds = _source_kinds()
    if not isinstance(kind, str) or kind not in kinds:
        raise ConfigError(f"{here} has kind {kind!r}; use one of " + ", ".join(kinds))
    url, p = entry.get("url"), entry.get("path")
    if bool(url) == bool(p):
        raise ConfigError(f"{here} needs exactly one of url = ... or path = ...")
    if url and not url.startswith(("http://", "https://", "file://")):
        raise ConfigError(
            f"{here} url {url!r} must start with http:// or https:// (use path = ... for files)"
        )
    allowed = sorted(
        set(COMMON_SOURCE_KEYS) | {f.name for f in dataclasses.fields(kinds[kind].options)}
    )
    for key in entry:
        if key not in allowed:
            raise _unknown_key(key, allowed, here, kind)
    return SourceConfig(
        name=name,
        kind=kind,
        url=url,
        path=(base_dir / p).resolve() if p else None,
        speaker=entry.get("speaker"),
        actor=entry.get("actor"),
        target_actor=entry.get("target_actor"),
        home=entry.get("home"),
        options=source_options(
            kind, {k: v for k, v in entry.items() if k not in COMMON_SOURCE_KEYS}, here
        ),
    )


# --- the rest ------------------------------------------------------------------------------


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {value!r} is not a date; write YYYY-MM-DD") from exc


def commitment_from_mapping(c: dict[str, Any], where: str) -> Commitment:
    """A [[commitments]] entry (or the CLI's options) as a checked Commitment.

    Scope: ``energy`` (strikes on energy targets), ``civilian`` (civilian or energy targets),
    ``all`` (every strike); ``places`` (optional) narrows it to strikes whose place names one of
    them; ``start``/``end`` are whole days, inclusive, in ``timezone`` (default UTC).
    """
    for key in ("actor", "scope", "start", "end"):
        if key not in c or c[key] in (None, ""):
            raise ConfigError(f"{where} lacks {key}; give actor, scope, start and end")
    if c["scope"] not in COMMITMENT_SCOPES:
        raise ConfigError(
            f"{where}: scope {c['scope']!r} is not known; use one of "
            + ", ".join(COMMITMENT_SCOPES)
        )
    start, end = _as_date(c["start"], where), _as_date(c["end"], where)
    if end < start:
        raise ConfigError(f"{where}: end {end} is before start {start}; swap them")
    places = c.get("places") or ()
    if isinstance(places, str) or not all(isinstance(x, str) and x.strip() for x in places):
        raise ConfigError(f'{where}: places must be a list of place names, e.g. ["Kyiv"]')
    tz = c.get("timezone") or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f'{where}: timezone {tz!r} is not known; use an IANA name such as "Europe/Moscow"'
        ) from exc
    unknown = set(c) - {
        "actor",
        "scope",
        "start",
        "end",
        "source",
        "description",
        "places",
        "timezone",
    }
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    return Commitment(
        actor=str(c["actor"]).upper(),
        scope=c["scope"],
        start=start,
        end=end,
        source=c.get("source") or "",
        description=c.get("description") or "",
        places=tuple(x.strip() for x in places),
        timezone=tz,
    )


def parse_config(text: str, base_dir: Path, path: Path | None = None) -> Config:
    where = str(path) if path else "config"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc}); fix the syntax") from exc

    seen: set[str] = set()
    sources = [
        _source_from_entry(entry, i, base_dir, where, seen)
        for i, entry in enumerate(raw.get("sources", []))
    ]

    sc = raw.get("scoring", {})
    defaults = ScoringConfig()
    allowed = set(defaults.__dataclass_fields__)
    unknown = set(sc) - allowed
    if unknown:
        raise ConfigError(
            f"{where}: unknown [scoring] keys {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    if sc.get("period", "week") not in PERIODS:
        raise ConfigError(
            f"{where}: [scoring] period must be " + " or ".join(f'"{p}"' for p in PERIODS)
        )
    share = sc.get("v3_min_share")  # absent: the model's share (ScoringConfig.for_model)
    if share is not None and (
        isinstance(share, bool) or not isinstance(share, (int, float)) or not share > 0
    ):
        # contradiction.v3 scales its scores by this share: 0 would divide by zero.
        raise ConfigError(
            f"{where}: [scoring] v3_min_share = {share!r} must be a number > 0 "
            "(a claim share of the statements; leave it out for the model's calibrated share, "
            f"or {V3_MIN_SHARE} for a model without one)"
        )
    methods = _scorers()
    if sc.get("method", defaults.method) not in methods:
        raise ConfigError(
            f"{where}: [scoring] method {sc['method']!r} is not known; use one of "
            + ", ".join(methods)
        )
    if "target_weights" in sc:
        wrong = sorted(set(sc["target_weights"]) - set(TARGETS))
        if wrong:
            raise ConfigError(
                f"{where}: [scoring.target_weights] {wrong[0]!r} is not a target "
                "type; use " + ", ".join(TARGETS)
            )
        sc = dict(sc, target_weights={**defaults.target_weights, **sc["target_weights"]})
    scoring = ScoringConfig(**sc)

    commitments = [
        commitment_from_mapping(c, f"{where}: [[commitments]] entry {i + 1}")
        for i, c in enumerate(raw.get("commitments", []))
    ]

    return Config(
        sources=sources,
        scoring=scoring,
        model_version=raw.get("model", {}).get("version"),
        commitments=commitments,
        path=path,
        text=text,
    )


def load_config(path: str | Path) -> Config:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {p} does not exist; check the path") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {p} cannot be read ({exc})") from exc
    return parse_config(text, p.parent.resolve(), p)
