"""Pipeline configuration: a TOML file with [[sources]], [scoring], [model] and [[commitments]]."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .records import Commitment

SOURCE_KINDS = ("feed", "statements_csv", "statements_jsonl", "telegram_csv", "airforce_csv",
                "acled_csv", "ucdp_ged_csv", "gdelt_events")
STATEMENT_KINDS = ("feed", "statements_csv", "statements_jsonl", "telegram_csv")
COMMITMENT_SCOPES = ("energy", "civilian", "all")
# contradiction.v2 (exact circular-shift p-values) is computable from the library; the pipeline
# stores flags and series under contradiction.v1 only, so a config cannot pick v2 yet.
SCORING_METHODS = ("contradiction.v1", "contradiction.v2")


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
    options: dict[str, Any] = field(default_factory=dict)  # kind-specific (column mapping, ...)

    @property
    def location(self) -> str:
        return self.url if self.url else str(self.path)


@dataclass(frozen=True)
class ScoringConfig:
    method: str = "contradiction.v1"
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
        default_factory=lambda: {"energy": 1.5, "civilian": 1.0, "unspecified": 0.5, "military": 0.0})
    alpha: float = 0.05  # flags keep only p <= alpha
    n_shifts: int = 199
    seed: int = 0
    # contradiction.v3 (detector/score/contradiction_v3.py; its docstring has the rule). A week
    # is contradictory when, within v3_lag_days either side, the actor made at least
    # v3_min_claims confident willing claims whose source-volume share is >= v3_min_share, and
    # in the week itself struck v3_targets with >= v3_min_launched launched or in
    # >= v3_min_events events.
    v3_min_claims: int = 8
    v3_min_share: float = 0.06
    v3_source_cap: float = 50.0  # a source's weight in the combined share: min(statements, cap)
    v3_lag_days: int = 3
    v3_min_launched: float = 400.0
    v3_min_events: int = 10
    v3_targets: tuple[str, ...] = ("energy", "civilian")
    coupling_block: int = 4  # periods per block of the coupling test's bootstrap
    coupling_n_boot: int = 999


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
        raise ConfigError(f"{where}: scope {c['scope']!r} is not known; use one of "
                          + ", ".join(COMMITMENT_SCOPES))
    start, end = _as_date(c["start"], where), _as_date(c["end"], where)
    if end < start:
        raise ConfigError(f"{where}: end {end} is before start {start}; swap them")
    places = c.get("places") or ()
    if isinstance(places, str) or not all(isinstance(x, str) and x.strip() for x in places):
        raise ConfigError(f"{where}: places must be a list of place names, e.g. [\"Kyiv\"]")
    tz = c.get("timezone") or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{where}: timezone {tz!r} is not known; use an IANA name such as "
                          "\"Europe/Moscow\"") from exc
    unknown = set(c) - {"actor", "scope", "start", "end", "source", "description", "places",
                        "timezone"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    return Commitment(actor=str(c["actor"]).upper(), scope=c["scope"], start=start, end=end,
                      source=c.get("source") or "", description=c.get("description") or "",
                      places=tuple(x.strip() for x in places), timezone=tz)


def parse_config(text: str, base_dir: Path, path: Path | None = None) -> Config:
    where = str(path) if path else "config"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc}); fix the syntax") from exc

    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw.get("sources", [])):
        name = entry.get("name")
        if not name:
            raise ConfigError(f"{where}: [[sources]] entry {i + 1} has no name; add name = \"...\"")
        if name in seen:
            raise ConfigError(f"{where}: source name {name!r} is used twice; names must be unique")
        seen.add(name)
        kind = entry.get("kind")
        if kind not in SOURCE_KINDS:
            raise ConfigError(f"{where}: source {name!r} has kind {kind!r}; use one of "
                              + ", ".join(SOURCE_KINDS))
        url, p = entry.get("url"), entry.get("path")
        if bool(url) == bool(p):
            raise ConfigError(f"{where}: source {name!r} needs exactly one of url = ... or path = ...")
        if url and not str(url).startswith(("http://", "https://", "file://")):
            raise ConfigError(f"{where}: source {name!r} url {url!r} must start with http:// or https://"
                              " (use path = ... for files)")
        known = {"name", "kind", "url", "path", "speaker", "actor", "target_actor", "home"}
        sources.append(SourceConfig(
            name=name, kind=kind, url=url,
            path=(base_dir / p).resolve() if p else None,
            speaker=entry.get("speaker"), actor=entry.get("actor"),
            target_actor=entry.get("target_actor"), home=entry.get("home"),
            options={k: v for k, v in entry.items() if k not in known}))

    sc = raw.get("scoring", {})
    defaults = ScoringConfig()
    allowed = set(defaults.__dataclass_fields__)
    unknown = set(sc) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown [scoring] keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    if sc.get("period", "week") not in ("week", "day"):
        raise ConfigError(f"{where}: [scoring] period must be \"week\" or \"day\"")
    if sc.get("method", defaults.method) not in SCORING_METHODS:
        raise ConfigError(f"{where}: [scoring] method {sc['method']!r} is not known; use one of "
                          + ", ".join(SCORING_METHODS))
    if "target_weights" in sc:
        sc = dict(sc, target_weights={**defaults.target_weights, **sc["target_weights"]})
    scoring = ScoringConfig(**sc)

    commitments = [commitment_from_mapping(c, f"{where}: [[commitments]] entry {i + 1}")
                   for i, c in enumerate(raw.get("commitments", []))]

    return Config(sources=sources, scoring=scoring,
                  model_version=raw.get("model", {}).get("version"),
                  commitments=commitments, path=path, text=text)


def load_config(path: str | Path) -> Config:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {p} does not exist; check the path") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {p} cannot be read ({exc})") from exc
    return parse_config(text, p.parent.resolve(), p)
