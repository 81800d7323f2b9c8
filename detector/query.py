"""Query API: pandas DataFrames over a detector database.

The CLI (flags, show, export, plot), the run report, the notebooks and the HTTP API all read
through these functions, so a filter means the same thing everywhere. Every function only runs
SELECTs.

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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection, Engine

from .errors import NotFoundError, UsageError
from .vocab import FLAG_KINDS, STANCES, TARGETS
from .store.repository import utc
from .store.schema import (commitments, documents, flag_evidence, flags, predictions, runs,
                           sentences, series, strike_events)

FLAG_COLUMNS = ["id", "kind", "actor", "start", "end", "score", "p_value", "method",
                "model_version", "rhetoric", "action", "n_statements", "n_strikes"]
STATEMENT_COLUMNS = ["id", "published_at", "source", "speaker", "stance", "stance_score",
                     "action", "target", "actor", "text", "url", "document_id", "model_version"]
STRIKE_COLUMNS = ["id", "start", "end", "source", "actor", "target_actor", "target_type",
                  "weapon", "place", "launched", "destroyed", "description"]
SERIES_COLUMNS = ["actor", "period_start", "period_end", "method", "model_version", "rhetoric",
                  "rhetoric_window", "action", "z_rhetoric", "z_action", "score", "p_value",
                  "run_id"]
COMMITMENT_COLUMNS = ["id", "actor", "scope", "start", "end", "places", "timezone", "source",
                      "description"]

WHAT = ("flags", "statements", "strikes", "series")
KINDS = {"flags": FLAG_KINDS, "statements": STANCES, "strikes": TARGETS}


@dataclass(frozen=True)
class Filters:
    actor: str | None = None
    since: date | None = None
    until: date | None = None
    min_score: float | None = None
    kind: str | None = None


def parse_date(value, name: str) -> date | None:
    """A date from a date or an ISO string; UsageError naming ``name`` otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{name} {value!r} is not a date; use YYYY-MM-DD") from None


def make_filters(what: str = "flags", actor: str | None = None, since=None, until=None,
                 min_score=None, kind: str | None = None) -> Filters:
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
            raise UsageError(f"kind {kind!r} is not a kind of {what}; use one of "
                             f"{', '.join(allowed)}")
    return Filters(actor=actor, since=since, until=until, min_score=min_score, kind=kind or None)


def _day_start(d: date) -> datetime:
    # Times are stored in UTC; an aware bound works for PostgreSQL and SQLite alike.
    return datetime.combine(d, time(0), tzinfo=timezone.utc)


def current_model_version(conn: Connection) -> str | None:
    """The model version of the newest run (what the stored flags were scored with)."""
    mv = conn.execute(select(runs.c.model_version).where(runs.c.model_version.is_not(None))
                      .order_by(runs.c.id.desc()).limit(1)).scalar()
    if mv is None:
        mv = conn.execute(select(func.max(predictions.c.model_version))).scalar()
    return mv


# --- SELECT builders: one per table, shared by frames, counts and pages -----------------------

def _select_flags(conn: Connection, f: Filters) -> Select:
    q = select(*[flags.c[c] for c in FLAG_COLUMNS], flags.c.details)
    if f.actor:
        q = q.where(flags.c.actor == f.actor)
    if f.since:
        q = q.where(flags.c.end >= f.since)
    if f.until:
        q = q.where(flags.c.start <= f.until)
    if f.min_score is not None:
        q = q.where(flags.c.score >= f.min_score)
    if f.kind:
        q = q.where(flags.c.kind == f.kind)
    return q.order_by(flags.c.actor, flags.c.start, flags.c.kind, flags.c.id)


def _select_statements(conn: Connection, f: Filters, model_version: str | None = None) -> Select:
    mv = model_version or current_model_version(conn)
    q = (select(sentences.c.id, documents.c.published_at, documents.c.source,
                predictions.c.speaker, predictions.c.stance, predictions.c.stance_score,
                predictions.c.action, predictions.c.target, predictions.c.actor, sentences.c.text,
                documents.c.url, sentences.c.document_id, predictions.c.model_version)
         .join(documents, documents.c.id == sentences.c.document_id)
         .join(predictions, predictions.c.sentence_id == sentences.c.id)
         .where(predictions.c.model_version == mv))
    if f.actor:
        q = q.where(predictions.c.speaker == f.actor)
    if f.since:
        q = q.where(documents.c.published_at >= _day_start(f.since))
    if f.until:
        q = q.where(documents.c.published_at < _day_start(f.until + timedelta(days=1)))
    if f.min_score is not None:
        q = q.where(predictions.c.stance_score >= f.min_score)
    if f.kind:
        q = q.where(predictions.c.stance == f.kind)
    return q.order_by(documents.c.published_at, sentences.c.document_id, sentences.c.idx)


def _select_strikes(conn: Connection, f: Filters) -> Select:
    q = select(*[strike_events.c[c] for c in STRIKE_COLUMNS])
    if f.actor:
        q = q.where(strike_events.c.actor == f.actor)
    if f.since:
        q = q.where(strike_events.c.start >= _day_start(f.since))
    if f.until:
        q = q.where(strike_events.c.start < _day_start(f.until + timedelta(days=1)))
    if f.kind:
        q = q.where(strike_events.c.target_type == f.kind)
    return q.order_by(strike_events.c.start, strike_events.c.id)


def _select_series(conn: Connection, f: Filters, model_version: str | None = None,
                   method: str | None = None) -> Select:
    q = select(*[series.c[c] for c in SERIES_COLUMNS])
    # Old model versions keep their series rows; by default show the one the flags come from.
    mv = model_version or current_model_version(conn)
    if mv:
        q = q.where(series.c.model_version == mv)
    if method:
        q = q.where(series.c.method == method)
    if f.actor:
        q = q.where(series.c.actor == f.actor)
    if f.since:
        q = q.where(series.c.period_end >= f.since)
    if f.until:
        q = q.where(series.c.period_start <= f.until)
    if f.min_score is not None:
        q = q.where(series.c.score >= f.min_score)
    return q.order_by(series.c.actor, series.c.method, series.c.period_start)


_SELECTS = {"flags": (_select_flags, FLAG_COLUMNS + ["details"]),
            "statements": (_select_statements, STATEMENT_COLUMNS),
            "strikes": (_select_strikes, STRIKE_COLUMNS),
            "series": (_select_series, SERIES_COLUMNS)}


_DATETIME_COLUMNS = ("published_at", "start", "end")


def _frame(what: str, rows, columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    if what in ("statements", "strikes"):
        # SQLite hands datetimes back naive; they are stored in UTC.
        for col in _DATETIME_COLUMNS:
            if col in df:
                df[col] = df[col].map(utc).astype(object)
    return df


def page(engine: Engine, what: str, filters: Filters | None = None, limit: int | None = None,
         offset: int = 0, **options) -> tuple[pd.DataFrame, int]:
    """(rows limit..offset, total matching) of table ``what`` (flags|statements|strikes|series).

    ``options``: ``model_version`` for statements and series, ``method`` for series."""
    if what not in _SELECTS:
        raise UsageError(f"{what!r} is not a table to query; use one of {', '.join(WHAT)}")
    if limit is not None and limit < 0 or offset < 0:
        raise UsageError("limit and offset must be >= 0")
    build, columns = _SELECTS[what]
    filters = filters or Filters()
    with engine.connect() as conn:
        q = build(conn, filters, **options)
        total = conn.execute(select(func.count()).select_from(q.order_by(None).subquery())
                             ).scalar_one()
        if limit is not None:
            q = q.limit(limit)
        if offset:
            q = q.offset(offset)
        rows = conn.execute(q).mappings().all()
    return _frame(what, rows, columns), int(total)


# --- the frames ---------------------------------------------------------------------------------

def flags_frame(engine: Engine, actor: str | None = None, since: date | None = None,
                until: date | None = None, min_score: float | None = None,
                kind: str | None = None) -> pd.DataFrame:
    """Flags overlapping [since, until], by actor and start."""
    f = make_filters("flags", actor, since, until, min_score, kind)
    return page(engine, "flags", f)[0]


def statements_frame(engine: Engine, actor: str | None = None, since: date | None = None,
                     until: date | None = None, min_score: float | None = None,
                     stance: str | None = None, model_version: str | None = None) -> pd.DataFrame:
    """Classified sentences (one row each) with speaker, stance, text and URL; ``actor`` is the
    speaker, ``min_score`` the stance confidence; model version default: the newest run's."""
    f = make_filters("statements", actor, since, until, min_score, stance)
    return page(engine, "statements", f, model_version=model_version)[0]


def strikes_frame(engine: Engine, actor: str | None = None, since: date | None = None,
                  until: date | None = None, target: str | None = None) -> pd.DataFrame:
    """Strike events (``actor``: who struck; ``target``: target type), oldest first."""
    f = make_filters("strikes", actor, since, until, None, target)
    return page(engine, "strikes", f)[0]


def series_frame(engine: Engine, actor: str | None = None, since: date | None = None,
                 until: date | None = None, min_score: float | None = None,
                 method: str | None = None, model_version: str | None = None) -> pd.DataFrame:
    """The scorer's R (``rhetoric``) and A (``action``) series per actor and period, with their
    z-scores, period score and p-value; model version default: the newest run's."""
    f = make_filters("series", actor, since, until, min_score)
    return page(engine, "series", f, model_version=model_version, method=method)[0]


def commitments_frame(engine: Engine, actor: str | None = None, since: date | None = None,
                      until: date | None = None) -> pd.DataFrame:
    """Declared ceasefires and moratoria overlapping [since, until]."""
    f = make_filters("flags", actor, since, until)
    q = select(*[commitments.c[c] for c in COMMITMENT_COLUMNS])
    if f.actor:
        q = q.where(commitments.c.actor == f.actor)
    if f.since:
        q = q.where(commitments.c.end >= f.since)
    if f.until:
        q = q.where(commitments.c.start <= f.until)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(commitments.c.start)).mappings().all()
    return pd.DataFrame(rows, columns=COMMITMENT_COLUMNS)


def run_info(engine: Engine, run_id: int | None = None) -> dict:
    """One run's record (the newest when ``run_id`` is None)."""
    q = select(runs)
    q = q.where(runs.c.id == run_id) if run_id is not None else q.order_by(runs.c.id.desc())
    with engine.connect() as conn:
        row = conn.execute(q.limit(1)).mappings().first()
    if row is None:
        what = f"run {run_id}" if run_id is not None else "any run"
        raise NotFoundError(f"{what} does not exist in this database; run detector run first")
    out = dict(row)
    out["started_at"], out["finished_at"] = utc(out["started_at"]), utc(out["finished_at"])
    return out


def flag_evidence_frames(engine: Engine, flag_id: str) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """(flag, statements, strikes) of one flag; statements with text, URL and date."""
    with engine.connect() as conn:
        flag = conn.execute(select(flags).where(flags.c.id == flag_id)).mappings().first()
        if flag is None:
            raise NotFoundError(f"flag {flag_id!r} does not exist; list flags with detector flags")
        st = conn.execute(
            select(flag_evidence.c.rank, sentences.c.id, documents.c.published_at,
                   documents.c.source, predictions.c.speaker, predictions.c.stance,
                   predictions.c.stance_score, sentences.c.text, documents.c.url)
            .join(sentences, sentences.c.id == flag_evidence.c.item_id)
            .join(documents, documents.c.id == sentences.c.document_id)
            .join(predictions, (predictions.c.sentence_id == sentences.c.id)
                  & (predictions.c.model_version == flag["model_version"]))
            .where(flag_evidence.c.flag_id == flag_id, flag_evidence.c.item_type == "statement")
            .order_by(flag_evidence.c.rank)).mappings().all()
        sk = conn.execute(
            select(flag_evidence.c.rank, strike_events.c.id, strike_events.c.start,
                   strike_events.c.source, strike_events.c.actor, strike_events.c.target_actor,
                   strike_events.c.target_type, strike_events.c.weapon, strike_events.c.launched,
                   strike_events.c.destroyed, strike_events.c.place)
            .join(strike_events, strike_events.c.id == flag_evidence.c.item_id)
            .where(flag_evidence.c.flag_id == flag_id, flag_evidence.c.item_type == "strike")
            .order_by(flag_evidence.c.rank)).mappings().all()
    statements = pd.DataFrame(st, columns=["rank", "id", "published_at", "source", "speaker",
                                           "stance", "stance_score", "text", "url"])
    strikes = pd.DataFrame(sk, columns=["rank", "id", "start", "source", "actor", "target_actor",
                                        "target_type", "weapon", "launched", "destroyed", "place"])
    return dict(flag), statements, strikes
