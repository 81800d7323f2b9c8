"""The read side of the store: every SELECT behind ``detector.query``, the web API, plots and
the run report (one read layer). Functions take an open Connection; ``Store`` opens it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Select, Subquery, case, exists, func, literal, null, select, union_all
from sqlalchemy.engine import Connection

from ..errors import NotFoundError
from ..records import Commitment, PendingDocument, PendingSentence
from .schema import (
    commitments,
    coupling,
    documents,
    flag_evidence,
    flags,
    predictions,
    quarantine,
    runs,
    sentences,
    series,
    sources,
    strike_events,
    strike_links,
    structured_events,
    text_strikes,
)


def utc(dt: datetime | None) -> datetime | None:
    """Datetimes come back naive from SQLite; they are stored in UTC."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


FLAG_COLUMNS = [
    "id",
    "kind",
    "actor",
    "start",
    "end",
    "score",
    "p_value",
    "method",
    "model_version",
    "rhetoric",
    "action",
    "n_statements",
    "n_strikes",
]
STATEMENT_COLUMNS = [
    "id",
    "published_at",
    "source",
    "speaker",
    "stance",
    "stance_score",
    "action",
    "target",
    "actor",
    "text",
    "url",
    "document_id",
    "model_version",
]
# target_type: the source's own, or where it gave none the one its text reports gave
# (source_target_type keeps the source's). origin: structured | both (with text reports) | text
# (a text-only event); sentence_ids/sentence_texts: its reports, the provenance.
STRIKE_COLUMNS = [
    "id",
    "start",
    "end",
    "source",
    "actor",
    "target_actor",
    "target_type",
    "weapon",
    "place",
    "launched",
    "destroyed",
    "description",
    "origin",
    "source_target_type",
    "sentence_ids",
    "sentence_texts",
]
SERIES_COLUMNS = [
    "actor",
    "period_start",
    "period_end",
    "method",
    "model_version",
    "rhetoric",
    "rhetoric_window",
    "action",
    "z_rhetoric",
    "z_action",
    "score",
    "p_value",
    "run_id",
    "details",
]
COUPLING_COLUMNS = [
    "actor",
    "method",
    "model_version",
    "n_periods",
    "n_claim_periods",
    "mean_claim",
    "mean_other",
    "effect",
    "ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "n_shifts",
    "block",
    "note",
    "run_id",
]
COMMITMENT_COLUMNS = [
    "id",
    "actor",
    "scope",
    "start",
    "end",
    "places",
    "timezone",
    "source",
    "description",
]


@dataclass(frozen=True)
class Filters:
    """Checked filters (``detector.query.make_filters`` builds them from user input)."""

    actor: str | None = None
    since: date | None = None
    until: date | None = None
    min_score: float | None = None
    kind: str | None = None


def _day_start(d: date) -> datetime:
    # Times are stored in UTC; an aware bound works for PostgreSQL and SQLite alike.
    return datetime.combine(d, time(0), tzinfo=UTC)


def current_model_version(conn: Connection) -> str | None:
    """The model version of the newest run (what the stored flags were scored with)."""
    mv = conn.execute(
        select(runs.c.model_version)
        .where(runs.c.model_version.is_not(None))
        .order_by(runs.c.id.desc())
        .limit(1)
    ).scalar()
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
    q = (
        select(
            sentences.c.id,
            documents.c.published_at,
            documents.c.source,
            predictions.c.speaker,
            predictions.c.stance,
            predictions.c.stance_score,
            predictions.c.action,
            predictions.c.target,
            predictions.c.actor,
            sentences.c.text,
            documents.c.url,
            sentences.c.document_id,
            predictions.c.model_version,
        )
        .join(documents, documents.c.id == sentences.c.document_id)
        .join(predictions, predictions.c.sentence_id == sentences.c.id)
        .where(predictions.c.model_version == mv)
    )
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


def strikes_union() -> Subquery:
    """Every strike event: the structured rows (target typed from text where the source gave
    none) and the text-only events of the deeds stage, with their origin."""
    linked = exists().where(strike_links.c.event_id == strike_events.c.id)
    structured = select(
        strike_events.c.id,
        strike_events.c.start,
        strike_events.c.end,
        strike_events.c.source,
        strike_events.c.actor,
        strike_events.c.target_actor,
        func.coalesce(strike_events.c.text_target_type, strike_events.c.target_type).label(
            "target_type"
        ),
        strike_events.c.weapon,
        strike_events.c.place,
        strike_events.c.launched,
        strike_events.c.destroyed,
        strike_events.c.description,
        case((linked, literal("both")), else_=literal("structured")).label("origin"),
        strike_events.c.target_type.label("source_target_type"),
    )
    text = select(
        text_strikes.c.id,
        text_strikes.c.start,
        text_strikes.c.end,
        text_strikes.c.source,
        text_strikes.c.actor,
        text_strikes.c.target_actor,
        text_strikes.c.target_type,
        text_strikes.c.weapon,
        text_strikes.c.place,
        text_strikes.c.launched,
        text_strikes.c.destroyed,
        null().label("description"),
        literal("text").label("origin"),
        null().label("source_target_type"),
    )
    return union_all(structured, text).subquery("all_strikes")


def _select_strikes(conn: Connection, f: Filters) -> Select:
    u = strikes_union()
    q = select(*[u.c[c] for c in STRIKE_COLUMNS[:-2]])
    if f.actor:
        q = q.where(u.c.actor == f.actor)
    if f.since:
        q = q.where(u.c.start >= _day_start(f.since))
    if f.until:
        q = q.where(u.c.start < _day_start(f.until + timedelta(days=1)))
    if f.kind:
        q = q.where(u.c.target_type == f.kind)
    return q.order_by(u.c.start, u.c.id)


def strike_provenance(conn: Connection, event_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """{event id: [(sentence id, sentence text), ...]} in rank order: the text reports of each."""
    out: dict[str, list[tuple[str, str]]] = {}
    ids = list(dict.fromkeys(event_ids))
    for i in range(0, len(ids), 500):
        q = (
            select(strike_links.c.event_id, strike_links.c.sentence_id, sentences.c.text)
            .join(sentences, sentences.c.id == strike_links.c.sentence_id)
            .where(strike_links.c.event_id.in_(ids[i : i + 500]))
            .order_by(strike_links.c.event_id, strike_links.c.rank)
        )
        for e, sid, text in conn.execute(q):
            out.setdefault(e, []).append((sid, text))
    return out


def _with_provenance(conn: Connection, df: pd.DataFrame) -> pd.DataFrame:
    prov = strike_provenance(conn, list(df["id"])) if len(df) else {}
    df["sentence_ids"] = [[s for s, _ in prov.get(e, [])] for e in df["id"]]
    df["sentence_texts"] = [[t for _, t in prov.get(e, [])] for e in df["id"]]
    return df


def _select_series(
    conn: Connection, f: Filters, model_version: str | None = None, method: str | None = None
) -> Select:
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


_SELECTS = {
    "flags": (_select_flags, FLAG_COLUMNS + ["details"]),
    "statements": (_select_statements, STATEMENT_COLUMNS),
    "strikes": (_select_strikes, STRIKE_COLUMNS),
    "series": (_select_series, SERIES_COLUMNS),
}


_DATETIME_COLUMNS = ("published_at", "start", "end")


def _frame(what: str, rows, columns: list[str], conn: Connection | None = None) -> pd.DataFrame:
    if what == "strikes":
        df = pd.DataFrame(rows, columns=columns[:-2])
        if conn is not None:
            df = _with_provenance(conn, df)
    else:
        df = pd.DataFrame(rows, columns=columns)
    if what in ("statements", "strikes"):
        # SQLite hands datetimes back naive; they are stored in UTC.
        for col in _DATETIME_COLUMNS:
            if col in df:
                df[col] = df[col].map(utc).astype(object)
    return df


def page(
    conn: Connection,
    what: str,
    filters: Filters,
    limit: int | None = None,
    offset: int = 0,
    **options,
) -> tuple[pd.DataFrame, int]:
    """(rows limit..offset, total matching) of table ``what`` (checked by the caller)."""
    build, columns = _SELECTS[what]
    q = build(conn, filters, **options)
    total = conn.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar_one()
    if limit is not None:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    rows = conn.execute(q).mappings().all()
    return _frame(what, rows, columns, conn), int(total)


def commitments_frame(conn: Connection, f: Filters) -> pd.DataFrame:
    q = select(*[commitments.c[c] for c in COMMITMENT_COLUMNS])
    if f.actor:
        q = q.where(commitments.c.actor == f.actor)
    if f.since:
        q = q.where(commitments.c.end >= f.since)
    if f.until:
        q = q.where(commitments.c.start <= f.until)
    rows = conn.execute(q.order_by(commitments.c.start)).mappings().all()
    return pd.DataFrame(rows, columns=COMMITMENT_COLUMNS)


def coupling_frame(
    conn: Connection, f: Filters, model_version: str | None = None, method: str | None = None
) -> pd.DataFrame:
    """The per-actor coupling results (contradiction.v3) of the current model version."""
    q = select(*[coupling.c[c] for c in COUPLING_COLUMNS])
    mv = model_version or current_model_version(conn)
    if mv:
        q = q.where(coupling.c.model_version == mv)
    if method:
        q = q.where(coupling.c.method == method)
    if f.actor:
        q = q.where(coupling.c.actor == f.actor)
    rows = conn.execute(q.order_by(coupling.c.actor, coupling.c.method)).mappings().all()
    return pd.DataFrame(rows, columns=COUPLING_COLUMNS)


def run_info(conn: Connection, run_id: int | None = None) -> dict:
    q = select(runs)
    q = q.where(runs.c.id == run_id) if run_id is not None else q.order_by(runs.c.id.desc())
    row = conn.execute(q.limit(1)).mappings().first()
    if row is None:
        what = f"run {run_id}" if run_id is not None else "any run"
        raise NotFoundError(f"{what} does not exist in this database; run detector run first")
    out = dict(row)
    out["started_at"], out["finished_at"] = utc(out["started_at"]), utc(out["finished_at"])
    return out


def flags_of_run(conn: Connection, run_id: int) -> list[str]:
    """Ids of the flags that run ``run_id`` added."""
    return [r[0] for r in conn.execute(select(flags.c.id).where(flags.c.run_id == run_id))]


def flag_evidence_frames(conn: Connection, flag_id: str) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """(flag, statements, strikes) of one flag; statements with text, URL and date."""
    flag = conn.execute(select(flags).where(flags.c.id == flag_id)).mappings().first()
    if flag is None:
        raise NotFoundError(f"flag {flag_id!r} does not exist; list flags with detector flags")
    st = (
        conn.execute(
            select(
                flag_evidence.c.rank,
                sentences.c.id,
                documents.c.published_at,
                documents.c.source,
                predictions.c.speaker,
                predictions.c.stance,
                predictions.c.stance_score,
                sentences.c.text,
                documents.c.url,
            )
            .join(sentences, sentences.c.id == flag_evidence.c.item_id)
            .join(documents, documents.c.id == sentences.c.document_id)
            .join(
                predictions,
                (predictions.c.sentence_id == sentences.c.id)
                & (predictions.c.model_version == flag["model_version"]),
            )
            .where(flag_evidence.c.flag_id == flag_id, flag_evidence.c.item_type == "statement")
            .order_by(flag_evidence.c.rank)
        )
        .mappings()
        .all()
    )
    u = strikes_union()
    sk = (
        conn.execute(
            select(
                flag_evidence.c.rank,
                u.c.id,
                u.c.start,
                u.c.source,
                u.c.actor,
                u.c.target_actor,
                u.c.target_type,
                u.c.weapon,
                u.c.launched,
                u.c.destroyed,
                u.c.place,
                u.c.origin,
            )
            .join(u, u.c.id == flag_evidence.c.item_id)
            .where(flag_evidence.c.flag_id == flag_id, flag_evidence.c.item_type == "strike")
            .order_by(flag_evidence.c.rank)
        )
        .mappings()
        .all()
    )
    statements = pd.DataFrame(
        st,
        columns=[
            "rank",
            "id",
            "published_at",
            "source",
            "speaker",
            "stance",
            "stance_score",
            "text",
            "url",
        ],
    )
    strikes = pd.DataFrame(
        sk,
        columns=[
            "rank",
            "id",
            "start",
            "source",
            "actor",
            "target_actor",
            "target_type",
            "weapon",
            "launched",
            "destroyed",
            "place",
            "origin",
        ],
    )
    strikes = _with_provenance(conn, strikes)
    for col in ("start",):
        strikes[col] = strikes[col].map(utc).astype(object)
    # UTC with an offset, as statements_frame gives them (/flags/{id} and /statements agree).
    statements["published_at"] = statements["published_at"].map(utc).astype(object)
    return dict(flag), statements, strikes


# --- what the pipeline's stages read --------------------------------------------------------


def get_fetch_state(conn: Connection, name: str) -> dict:
    row = (
        conn.execute(
            select(sources.c.etag, sources.c.last_modified, sources.c.last_raw_hash).where(
                sources.c.name == name
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else {}


def load_structured_statements(conn: Connection) -> pd.DataFrame:
    cols = [
        "id",
        "source",
        "date",
        "actor",
        "counterpart",
        "stance",
        "event_code",
        "goldstein",
        "url",
    ]
    q = select(*[structured_events.c[c] for c in cols]).order_by(structured_events.c.date)
    return pd.DataFrame(conn.execute(q).mappings().all(), columns=cols)


def documents_without_sentences(conn: Connection) -> list[PendingDocument]:
    has = select(sentences.c.document_id).distinct()
    # Quarantined by the split stage with this very content: not again until it changes.
    held = (
        select(quarantine.c.document_id)
        .join(documents, documents.c.id == quarantine.c.document_id)
        .where((quarantine.c.stage == "split") & (quarantine.c.key == documents.c.content_hash))
    )
    q = (
        select(documents.c.id, documents.c.text, documents.c.speaker, documents.c.content_hash)
        .where(documents.c.id.not_in(has) & documents.c.id.not_in(held))
        .order_by(documents.c.id)
    )
    return [PendingDocument(**r) for r in conn.execute(q).mappings()]


def sentences_without_prediction(conn: Connection, model_version: str) -> list[PendingSentence]:
    done = select(predictions.c.sentence_id).where(predictions.c.model_version == model_version)
    held = select(quarantine.c.sentence_id).where(
        (quarantine.c.stage == "classify") & (quarantine.c.key == model_version)
    )
    q = (
        select(
            sentences.c.id,
            sentences.c.text,
            documents.c.speaker.label("default_speaker"),
            sources.c.home,
            sentences.c.document_id,
        )
        .join(documents, documents.c.id == sentences.c.document_id)
        .join(sources, sources.c.name == documents.c.source)
        .where(sentences.c.id.not_in(done) & sentences.c.id.not_in(held))
        .order_by(sentences.c.id)
    )
    return [PendingSentence(**r) for r in conn.execute(q).mappings()]


def load_statements(conn: Connection, model_version: str) -> pd.DataFrame:
    q = (
        select(
            sentences.c.id.label("sentence_id"),
            sentences.c.document_id,
            documents.c.published_at,
            documents.c.source,
            predictions.c.speaker,
            predictions.c.stance,
            predictions.c.stance_score,
            predictions.c.action,
            predictions.c.target,
            predictions.c.actor,
        )
        .join(documents, documents.c.id == sentences.c.document_id)
        .join(predictions, predictions.c.sentence_id == sentences.c.id)
        .where(predictions.c.model_version == model_version)
        .order_by(sentences.c.id)
    )  # one order on every backend: same evidence ranks
    df = pd.DataFrame(
        conn.execute(q).mappings().all(),
        columns=[
            "sentence_id",
            "document_id",
            "published_at",
            "source",
            "speaker",
            "stance",
            "stance_score",
            "action",
            "target",
            "actor",
        ],
    )
    df["date"] = (
        pd.to_datetime(df["published_at"].map(utc), utc=True).dt.tz_localize(None).dt.normalize()
    )
    return df


def load_strikes(conn: Connection, merged: bool = False) -> pd.DataFrame:
    """The strike events the scorers read (``event_id``, ``start``, ``end`` (UTC), ``date``, ...).

    ``merged=False``: the structured rows as their sources gave them (what v1/v2 score and the
    deeds stage merges into). ``merged=True``: the deeds stage's events: the structured rows
    with their target typed from text where they had none, plus the text-only events, with
    ``origin`` and ``sentence_ids`` (what v3 scores)."""
    cols = [
        "event_id",
        "start",
        "end",
        "actor",
        "target_actor",
        "target_type",
        "launched",
        "weapon",
        "source",
        "place",
    ]
    if merged:
        u = strikes_union()
        q = select(u.c.id.label("event_id"), *[u.c[c] for c in cols[1:]], u.c.origin).order_by(
            u.c.id
        )
        cols = cols + ["origin"]
    else:
        q = select(
            strike_events.c.id.label("event_id"), *[strike_events.c[c] for c in cols[1:]]
        ).order_by(strike_events.c.id)
    df = pd.DataFrame(conn.execute(q).mappings().all(), columns=cols)
    for c in ("start", "end"):
        df[c] = pd.to_datetime(df[c].map(utc), utc=True).dt.tz_localize(None)
    df["date"] = df["start"].dt.normalize()
    df["launched"] = pd.to_numeric(df["launched"], errors="coerce")
    if merged:
        links: dict[str, list[str]] = {}
        for e, sid in conn.execute(
            select(strike_links.c.event_id, strike_links.c.sentence_id).order_by(
                strike_links.c.event_id, strike_links.c.rank
            )
        ):
            links.setdefault(e, []).append(sid)
        df["sentence_ids"] = [links.get(e, []) for e in df["event_id"]]
    return df


def load_strike_sentences(conn: Connection, model_version: str) -> pd.DataFrame:
    """The sentences classified ``strike`` by ``model_version``, with their prediction details,
    text and document date/source/URL: what ``deeds.strike_reports`` reads."""
    cols = [
        "sentence_id",
        "document_id",
        "source",
        "url",
        "published_at",
        "text",
        "action",
        "action_score",
        "target",
        "target_score",
        "actor",
        "target_actor",
        "details",
    ]
    q = (
        select(
            predictions.c.sentence_id,
            sentences.c.document_id,
            documents.c.source,
            documents.c.url,
            documents.c.published_at,
            sentences.c.text,
            predictions.c.action,
            predictions.c.action_score,
            predictions.c.target,
            predictions.c.target_score,
            predictions.c.actor,
            predictions.c.target_actor,
            predictions.c.details,
        )
        .join(sentences, sentences.c.id == predictions.c.sentence_id)
        .join(documents, documents.c.id == sentences.c.document_id)
        .where(predictions.c.model_version == model_version, predictions.c.action == "strike")
        .order_by(predictions.c.sentence_id)
    )
    df = pd.DataFrame(conn.execute(q).mappings().all(), columns=cols)
    df["published_at"] = pd.to_datetime(df["published_at"].map(utc), utc=True)
    return df


def load_commitments(conn: Connection, actor: str | None = None) -> list[Commitment]:
    q = select(commitments).order_by(commitments.c.start, commitments.c.actor)
    if actor:
        q = q.where(commitments.c.actor == actor.upper())
    return [
        Commitment(
            actor=r.actor,
            scope=r.scope,
            start=r.start,
            end=r.end,
            source=r.source or "",
            description=r.description or "",
            places=tuple(r.places or ()),
            timezone=r.timezone or "UTC",
        )
        for r in conn.execute(q)
    ]


# --- runs and table sizes ---------------------------------------------------------------------

RUN_COLUMNS = [
    "id",
    "started_at",
    "finished_at",
    "status",
    "config_hash",
    "model_version",
    "scorer_version",
    "counts",
    "errors",
]


def recent_runs(conn: Connection, limit: int = 20) -> list[dict]:
    """The newest ``limit`` runs, newest first, with UTC datetimes."""
    q = select(*[runs.c[c] for c in RUN_COLUMNS]).order_by(runs.c.id.desc()).limit(limit)
    out = []
    for r in conn.execute(q).mappings():
        row = dict(r)
        row["started_at"], row["finished_at"] = utc(row["started_at"]), utc(row["finished_at"])
        row["counts"], row["errors"] = row["counts"] or {}, row["errors"] or []
        out.append(row)
    return out


def table_counts(conn: Connection) -> dict[str, int]:
    out = {}
    for t in (
        sources,
        documents,
        sentences,
        predictions,
        strike_events,
        structured_events,
        commitments,
        flags,
        flag_evidence,
        series,
        runs,
        text_strikes,
        strike_links,
        coupling,
    ):
        out[t.name] = conn.execute(select(func.count()).select_from(t)).scalar_one()
    return out


def quarantined(conn: Connection) -> list[dict]:
    """The quarantined documents and sentences, newest first (what `detector runs` reports)."""
    q = select(
        quarantine.c.stage,
        quarantine.c.document_id,
        quarantine.c.sentence_id,
        quarantine.c.key,
        quarantine.c.reason,
        quarantine.c.run_id,
        quarantine.c.created_at,
    ).order_by(quarantine.c.created_at.desc(), quarantine.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]
