"""Query API: pandas DataFrames over a detector database.

The CLI (flags, show, export, plot), the run report, the notebooks and the HTTP API all read
through these functions, so a filter means the same thing everywhere. Each takes a
``detector.store.Store`` (``Store.open_readonly(url)``; an Engine from ``open_database`` still
works) and only reads: the SQL lives in ``detector.store.reads``.

Filters (``Filters``, built and checked by ``make_filters``) are the CLI's: ``actor``, ``since``,
``until`` (inclusive days; a flag or series period is kept when it overlaps them), ``min_score``
and ``kind``. What ``actor``, ``min_score`` and ``kind`` mean per table:

========== ===================== ====================== ==========================
table      actor                 min_score              kind
========== ===================== ====================== ==========================
flags      the flagged actor     flag score             contradiction | violation
statements the speaker           stance confidence      stance (willing|unwilling|none)
strikes    who struck            (not used)             target type (energy|...)
series     the scored actor      period score           (not used)
========== ===================== ====================== ==========================
"""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
from sqlalchemy.engine import Engine

from .errors import UsageError
from .records import DATE_MAX, DATE_MIN
from .store.reads import (  # noqa: F401
    COMMITMENT_COLUMNS,
    FLAG_COLUMNS,
    SERIES_COLUMNS,
    STATEMENT_COLUMNS,
    STRIKE_COLUMNS,
    Filters,
)
from .store.store import Store
from .vocab import FLAG_KINDS, STANCES, TARGETS

WHAT = ("flags", "statements", "strikes", "series")
MAX_ROWS = 10**9  # limit and offset (the database's integers end at 2**63)
KINDS = {"flags": FLAG_KINDS, "statements": STANCES, "strikes": TARGETS}

Source = Store | Engine  # what every function here reads from


def parse_date(value, name: str) -> date | None:
    """A date from a date or an ISO string; UsageError naming ``name`` otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except ValueError:
            raise UsageError(f"{name} {str(value)[:40]!r} is not a date; use YYYY-MM-DD") from None
    if not DATE_MIN.date() <= value <= DATE_MAX.date():
        raise UsageError(
            f"{name} {value} is outside {DATE_MIN:%Y-%m-%d} .. {DATE_MAX:%Y-%m-%d}; "
            "give a date in that range"
        )
    return value


def make_filters(
    what: str = "flags",
    actor: str | None = None,
    since=None,
    until=None,
    min_score=None,
    kind: str | None = None,
) -> Filters:
    """Checked filters for table ``what``; every problem is one UsageError naming the input."""
    if what not in WHAT:
        raise UsageError(f"{what!r} is not a table to query; use one of {', '.join(WHAT)}")
    since, until = parse_date(since, "since"), parse_date(until, "until")
    if since and until and since > until:
        raise UsageError(f"since {since} is after until {until}; swap them")
    if actor is not None:
        actor = actor.strip().upper() or None
        if actor and (len(actor) > 16 or not actor.replace("_", "").isalnum()):
            raise UsageError(f"actor {actor!r} is not an actor code; use e.g. RUS")
    if min_score is not None and min_score != "":
        try:
            min_score = float(min_score)
        except (TypeError, ValueError):
            raise UsageError(f"min_score {min_score!r} is not a number") from None
        if math.isnan(min_score):
            raise UsageError("min_score is NaN; give a number")
    else:
        min_score = None
    if kind:
        allowed = KINDS.get(what, ())
        if not allowed:
            raise UsageError(f"kind does not apply to {what}; leave it out")
        if kind not in allowed:
            raise UsageError(
                f"kind {kind!r} is not a kind of {what}; use one of {', '.join(allowed)}"
            )
    return Filters(actor=actor, since=since, until=until, min_score=min_score, kind=kind or None)


def current_model_version(store: Source) -> str | None:
    """The model version of the newest run (what the stored flags were scored with)."""
    return Store.of(store).current_model_version()


def page(
    store: Source,
    what: str,
    filters: Filters | None = None,
    limit: int | None = None,
    offset: int = 0,
    **options,
) -> tuple[pd.DataFrame, int]:
    """(rows limit..offset, total matching) of table ``what`` (flags|statements|strikes|series).

    ``options``: ``model_version`` for statements and series, ``method`` for series."""
    if what not in WHAT:
        raise UsageError(f"{what!r} is not a table to query; use one of {', '.join(WHAT)}")
    if limit is not None and limit < 0 or offset < 0:
        raise UsageError("limit and offset must be >= 0")
    if (limit or 0) > MAX_ROWS or offset > MAX_ROWS:
        raise UsageError(f"limit and offset must be at most {MAX_ROWS}")
    return Store.of(store).page(what, filters or Filters(), limit, offset, **options)


# --- the frames ---------------------------------------------------------------------------------


def flags_frame(
    store: Source,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    min_score: float | None = None,
    kind: str | None = None,
) -> pd.DataFrame:
    """Flags overlapping [since, until], by actor and start."""
    f = make_filters("flags", actor, since, until, min_score, kind)
    return page(store, "flags", f)[0]


def statements_frame(
    store: Source,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    min_score: float | None = None,
    stance: str | None = None,
    model_version: str | None = None,
) -> pd.DataFrame:
    """Classified sentences (one row each) with speaker, stance, text and URL; ``actor`` is the
    speaker, ``min_score`` the stance confidence; model version default: the newest run's."""
    f = make_filters("statements", actor, since, until, min_score, stance)
    return page(store, "statements", f, model_version=model_version)[0]


def strikes_frame(
    store: Source,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    target: str | None = None,
) -> pd.DataFrame:
    """Strike events (``actor``: who struck; ``target``: target type), oldest first."""
    f = make_filters("strikes", actor, since, until, None, target)
    return page(store, "strikes", f)[0]


def series_frame(
    store: Source,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    min_score: float | None = None,
    method: str | None = None,
    model_version: str | None = None,
) -> pd.DataFrame:
    """The scorer's R (``rhetoric``) and A (``action``) series per actor and period, with their
    z-scores, period score and p-value; model version default: the newest run's."""
    f = make_filters("series", actor, since, until, min_score)
    return page(store, "series", f, model_version=model_version, method=method)[0]


def coupling_frame(
    store: Source,
    actor: str | None = None,
    method: str | None = None,
    model_version: str | None = None,
) -> pd.DataFrame:
    """The per-actor coupling test of contradiction.v3 (effect of claim periods on strike
    intensity, its bootstrap CI and circular-shift p-value); model version default: the newest
    run's. Empty where no v3 scoring ran."""
    f = make_filters("flags", actor)
    return Store.of(store).coupling_frame(f, model_version, method)


def commitments_frame(
    store: Source, actor: str | None = None, since: date | None = None, until: date | None = None
) -> pd.DataFrame:
    """Declared ceasefires and moratoria overlapping [since, until]."""
    return Store.of(store).commitments_frame(make_filters("flags", actor, since, until))


def run_info(store: Source, run_id: int | None = None) -> dict:
    """One run's record (the newest when ``run_id`` is None)."""
    return Store.of(store).run_info(run_id)


def flag_evidence_frames(store: Source, flag_id: str) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """(flag, statements, strikes) of one flag; statements with text, URL and date."""
    return Store.of(store).flag_evidence(flag_id)
