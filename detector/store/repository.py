"""The write side of the store: save, replace and run-bookkeeping functions on a Connection in
the caller's transaction (``Store.transaction()``). No fetching, no model calls. The reads live in
``reads``; the names imported from there below keep this module's older import path working.

Every save is idempotent: rows are keyed by content-derived ids, an unchanged row is skipped and
a changed one (same identity, new content hash) is updated in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, null, select, update
from sqlalchemy.engine import Connection

from .. import ATTRIBUTION_VERSION, LABEL_SCHEMA_VERSION
from ..config import SourceConfig
from ..errors import StorageError
from ..records import (
    Commitment,
    Document,
    Flag,
    Quarantined,
    RunCounts,
    Sentence,
    SentenceLabel,
    StrikeEvent,
    StructuredStatement,
)
from .reads import (  # noqa: F401
    RUN_COLUMNS,
    documents_without_sentences,
    get_fetch_state,
    load_commitments,
    load_statements,
    load_strike_sentences,
    load_strikes,
    load_structured_statements,
    recent_runs,
    sentences_without_prediction,
    table_counts,
    utc,
)
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

CHUNK = 500


def _chunks(items: Sequence, n: int = CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


@dataclass
class SaveCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


# --- sources -----------------------------------------------------------------------------------


def upsert_source(conn: Connection, src: SourceConfig) -> None:
    values = dict(
        kind=src.kind, location=src.location, speaker=src.speaker, actor=src.actor, home=src.home
    )
    found = conn.execute(select(sources.c.name).where(sources.c.name == src.name)).first()
    if found:
        conn.execute(update(sources).where(sources.c.name == src.name).values(**values))
    else:
        conn.execute(insert(sources).values(name=src.name, **values))


def set_fetch_state(
    conn: Connection,
    name: str,
    *,
    etag: str | None,
    last_modified: str | None,
    raw_hash: str | None,
    fetched_at: datetime,
) -> None:
    conn.execute(
        update(sources)
        .where(sources.c.name == name)
        .values(
            etag=etag,
            last_modified=last_modified,
            last_raw_hash=raw_hash,
            last_fetched_at=fetched_at,
        )
    )


# --- documents and strike events ---------------------------------------------------------------


def _existing_hashes(conn: Connection, table, ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in _chunks(ids):
        for rid, h in conn.execute(
            select(table.c.id, table.c.content_hash).where(table.c.id.in_(part))
        ):
            out[rid] = h
    return out


def _upsert(conn: Connection, table, rows: list[dict], on_update=None) -> SaveCounts:
    counts = SaveCounts()
    uniq: dict[str, dict] = {}
    for row in rows:  # the last version of an entry within one payload wins
        uniq[row["id"]] = row
    existing = _existing_hashes(conn, table, list(uniq))
    new = [r for rid, r in uniq.items() if rid not in existing]
    for part in _chunks(new):
        conn.execute(insert(table), list(part))
    counts.inserted = len(new)
    for rid, row in uniq.items():
        if rid in existing:
            if existing[rid] == row["content_hash"]:
                counts.unchanged += 1
            else:
                if on_update:
                    on_update(rid)
                conn.execute(update(table).where(table.c.id == rid).values(**row))
                counts.updated += 1
    return counts


def save_documents(conn: Connection, docs: Iterable[Document], fetched_at: datetime) -> SaveCounts:
    rows = [
        dict(
            id=d.id,
            source=d.source,
            external_id=d.external_id,
            content_hash=d.content_hash,
            published_at=d.published_at,
            url=d.url,
            title=d.title,
            text=d.text,
            speaker=d.speaker,
            location=d.location,
            raw_hash=d.raw_hash,
            fetched_at=fetched_at,
        )
        for d in docs
    ]

    def drop_sentences(doc_id: str) -> None:
        # A changed text is re-split and re-classified; old predictions go with its sentences.
        ids = [
            r[0]
            for r in conn.execute(select(sentences.c.id).where(sentences.c.document_id == doc_id))
        ]
        if ids:
            conn.execute(delete(strike_links).where(strike_links.c.sentence_id.in_(ids)))
            conn.execute(delete(predictions).where(predictions.c.sentence_id.in_(ids)))
            conn.execute(delete(flag_evidence).where(flag_evidence.c.item_id.in_(ids)))
            conn.execute(delete(sentences).where(sentences.c.id.in_(ids)))

    return _upsert(conn, documents, rows, on_update=drop_sentences)


def save_strike_events(
    conn: Connection, events: Iterable[StrikeEvent], fetched_at: datetime
) -> SaveCounts:
    rows = [
        dict(
            id=e.id,
            source=e.source,
            external_id=e.external_id,
            content_hash=e.content_hash,
            start=e.start,
            end=e.end,
            actor=e.actor,
            target_actor=e.target_actor,
            target_type=e.target_type,
            weapon=e.weapon,
            place=e.place,
            launched=e.launched,
            destroyed=e.destroyed,
            description=e.description,
            location=e.location,
            raw_hash=e.raw_hash,
            fetched_at=fetched_at,
        )
        for e in events
    ]
    return _upsert(conn, strike_events, rows)


def save_structured_statements(
    conn: Connection, items: Iterable[StructuredStatement], fetched_at: datetime
) -> SaveCounts:
    rows = [
        dict(
            id=e.id,
            source=e.source,
            external_id=e.external_id,
            content_hash=e.content_hash,
            date=e.date,
            actor=e.actor,
            counterpart=e.counterpart,
            stance=e.stance,
            event_code=e.event_code,
            goldstein=e.goldstein,
            url=e.url,
            location=e.location,
            raw_hash=e.raw_hash,
            fetched_at=fetched_at,
        )
        for e in items
    ]
    return _upsert(conn, structured_events, rows)


# --- sentences and predictions -----------------------------------------------------------------


def save_quarantine(conn: Connection, items: Iterable[Quarantined], run_id: int | None) -> int:
    """Mark what a stage could not process; an item already marked is kept as it was."""
    rows = {q.id: q for q in items}
    if not rows:
        return 0
    have = set()
    for part in _chunks(list(rows)):
        have |= set(
            conn.execute(select(quarantine.c.id).where(quarantine.c.id.in_(part))).scalars()
        )
    new = [
        dict(
            id=i,
            stage=q.stage,
            document_id=q.document_id,
            sentence_id=q.sentence_id,
            key=q.key,
            reason=q.reason[:2000],
            run_id=run_id,
            created_at=datetime.now(UTC),
        )
        for i, q in rows.items()
        if i not in have
    ]
    if new:
        conn.execute(insert(quarantine), new)
    return len(new)


def save_sentences(conn: Connection, rows: Sequence[Sentence | dict]) -> int:
    """Sentence records (or dicts with id, document_id, idx, text). Existing ids are skipped."""
    records = [
        dict(id=r.id, document_id=r.document_id, idx=r.idx, text=r.text)
        if isinstance(r, Sentence)
        else r
        for r in rows
    ]
    ids = [r["id"] for r in records]
    existing: set[str] = set()
    for part in _chunks(ids):
        existing.update(
            x for (x,) in conn.execute(select(sentences.c.id).where(sentences.c.id.in_(part)))
        )
    new = [r for r in records if r["id"] not in existing]
    for part in _chunks(new):
        conn.execute(insert(sentences), list(part))
    return len(new)


def save_predictions(
    conn: Connection, items: list[tuple[str, SentenceLabel]], model_version: str
) -> int:
    now = datetime.now(UTC)
    rows = [
        dict(
            sentence_id=sid,
            model_version=model_version,
            label_schema=LABEL_SCHEMA_VERSION,
            stance=lab.stance,
            stance_score=lab.stance_score,
            action=lab.action,
            action_score=lab.action_score,
            target=lab.target,
            target_score=lab.target_score,
            speaker=lab.speaker,
            actor=lab.actor,
            target_actor=lab.target_actor,
            attribution=ATTRIBUTION_VERSION,
            # SQL NULL (not JSON null) for sentences without strike details
            details=lab.details() if lab.action == "strike" else null(),
            created_at=now,
        )
        for sid, lab in items
    ]
    ids = [r["sentence_id"] for r in rows]
    existing: set[str] = set()
    for part in _chunks(ids):
        existing.update(
            x
            for (x,) in conn.execute(
                select(predictions.c.sentence_id).where(
                    predictions.c.model_version == model_version,
                    predictions.c.sentence_id.in_(part),
                )
            )
        )
    new = [r for r in rows if r["sentence_id"] not in existing]
    for part in _chunks(new):
        conn.execute(insert(predictions), list(part))
    return len(new)


# --- frames for the scorer ---------------------------------------------------------------------


# --- commitments, flags, runs ------------------------------------------------------------------


def _commitment_row(c: Commitment) -> dict:
    return dict(
        id=c.id,
        actor=c.actor,
        scope=c.scope,
        start=c.start,
        end=c.end,
        source=c.source,
        description=c.description,
        places=list(c.places) or None,
        timezone=None if c.timezone == "UTC" else c.timezone,
    )


def save_commitments(conn: Connection, items: Iterable[Commitment]) -> int:
    """Insert the commitments not stored yet (ids are content hashes); returns how many."""
    n = 0
    for c in items:
        if conn.execute(select(commitments.c.id).where(commitments.c.id == c.id)).first():
            continue
        conn.execute(insert(commitments).values(**_commitment_row(c)))
        n += 1
    return n


def replace_flags(
    conn: Connection,
    methods: Sequence[str],
    items: list[Flag],
    run_id: int | None,
    model_version: str | None,
    since: date | None = None,
) -> dict[str, int]:
    """Make the stored flags of ``methods`` equal to ``items``, in the caller's transaction.

    Flag ids are stable hashes, so an unchanged flag keeps its id (and run_id) across rescoring.
    With ``since`` (a backfill), flags that end before that date are kept as they are and only
    the rest is replaced.
    """
    q = select(flags.c.id, flags.c.run_id).where(flags.c.method.in_(methods))
    kept = 0
    if since is not None:
        q = q.where(flags.c.end >= since)
        items = [f for f in items if f.end >= since]
        kept = conn.execute(
            select(func.count())
            .select_from(flags)
            .where(flags.c.method.in_(methods), flags.c.end < since)
        ).scalar_one()
    old = {r.id: r for r in conn.execute(q)}
    new_ids = {f.id for f in items}
    gone = [fid for fid in old if fid not in new_ids]
    for part in _chunks(list(old)):
        conn.execute(delete(flag_evidence).where(flag_evidence.c.flag_id.in_(part)))
    for part in _chunks(gone):
        conn.execute(delete(flags).where(flags.c.id.in_(part)))
    added = 0
    for f in items:
        values = dict(
            kind=f.kind,
            actor=f.actor,
            start=f.start,
            end=f.end,
            score=f.score,
            p_value=f.p_value,
            method=f.method,
            model_version=model_version,
            rhetoric=f.rhetoric,
            action=f.action,
            n_statements=len(f.statement_ids),
            n_strikes=len(f.strike_ids),
            details=f.details,
        )
        if f.id in old:
            conn.execute(update(flags).where(flags.c.id == f.id).values(**values))
        else:
            conn.execute(insert(flags).values(id=f.id, run_id=run_id, **values))
            added += 1
        ev = [
            dict(flag_id=f.id, item_type="statement", item_id=i, rank=k)
            for k, i in enumerate(f.statement_ids)
        ] + [
            dict(flag_id=f.id, item_type="strike", item_id=i, rank=k)
            for k, i in enumerate(f.strike_ids)
        ]
        for part in _chunks(ev):
            conn.execute(insert(flag_evidence), list(part))
    return {"flags": len(items) + kept, "new_flags": added, "removed_flags": len(gone)}


def replace_series(
    conn: Connection,
    method: str,
    model_version: str,
    frame: pd.DataFrame,
    period_days: int,
    run_id: int | None,
    since: date | None = None,
) -> int:
    """Make the stored series of (method, model version) equal to the scorer's ``frame``
    (with ``since``: only the periods that end on or after it; earlier ones are kept)."""
    gone = delete(series).where(series.c.method == method, series.c.model_version == model_version)
    if since is not None:
        gone = gone.where(series.c.period_end >= since)
    conn.execute(gone)
    if frame is None or frame.empty:
        return 0

    def num(x):
        return None if x is None or pd.isna(x) or not np.isfinite(x) else float(x)

    # The scorer's own per-period columns beyond the common ones (v3: claims, rule, episode, ...)
    # go to ``details``.
    common = {
        "actor",
        "method",
        "period_start",
        "period_end",
        "R",
        "R_window",
        "A",
        "z_R",
        "z_A",
        "score",
        "p_value",
    }
    extra = [c for c in frame.columns if c not in common]
    rows = []
    for r, d in zip(frame.itertuples(index=False), frame[extra].to_dict("records")):
        start = pd.Timestamp(r.period_start).date()
        rows.append(
            dict(
                actor=r.actor,
                period_start=start,
                period_end=start + timedelta(days=period_days - 1),
                method=method,
                model_version=model_version,
                rhetoric=float(r.R),
                rhetoric_window=num(r.R_window),
                action=float(r.A),
                z_rhetoric=num(r.z_R),
                z_action=num(r.z_A),
                score=float(r.score),
                p_value=num(getattr(r, "p_value", None)),
                run_id=run_id,
                details={k: _plain(v) for k, v in d.items()} if extra else None,
            )
        )
    if since is not None:
        rows = [r for r in rows if r["period_end"] >= since]
    for part in _chunks(rows):
        conn.execute(insert(series), list(part))
    return len(rows)


def _plain(v):
    """A JSON-safe scalar (numpy numbers to Python, NaN/inf to None)."""
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


@dataclass
class DeedsSaveCounts:
    text_events: int = 0
    text_events_new: int = 0
    text_events_removed: int = 0
    typed_rows: int = 0
    links: int = 0


def replace_deeds(
    conn: Connection, events: pd.DataFrame, links: pd.DataFrame, model_version: str
) -> DeedsSaveCounts:
    """Make the stored deeds equal to ``deeds.merge_strike_events``' (events, links): the
    text-only events in ``text_strikes``, every link in ``strike_links``, and the target the
    text gave a structured row in ``strike_events.text_target_type`` (only where it differs
    from the source's own). The source's rows are never changed otherwise, so a re-ingest
    stays idempotent and a rescore replaces these rows instead of adding to them."""
    out = DeedsSaveCounts()
    text = events[events["origin"] == "text"] if len(events) else events
    structured = events[events["origin"] != "text"] if len(events) else events
    old = {r[0] for r in conn.execute(select(text_strikes.c.id))}
    conn.execute(delete(strike_links))
    conn.execute(delete(text_strikes))
    conn.execute(
        update(strike_events)
        .where(strike_events.c.text_target_type.is_not(None))
        .values(text_target_type=None)
    )

    def num(x):
        return None if x is None or pd.isna(x) else float(x)

    def ts(x):
        return None if x is None or pd.isna(x) else pd.Timestamp(x).tz_localize(UTC).to_pydatetime()

    rows = [
        dict(
            id=r.event_id,
            start=ts(r.start),
            end=ts(r.end),
            actor=r.actor,
            target_actor=None if pd.isna(r.target_actor) else r.target_actor,
            target_type=r.target_type,
            weapon=r.weapon,
            place=r.place,
            launched=num(r.launched),
            destroyed=num(r.destroyed),
            source=r.source,
            n_reports=int(r.n_reports),
            model_version=model_version,
        )
        for r in text.itertuples(index=False)
    ]
    for part in _chunks(rows):
        conn.execute(insert(text_strikes), list(part))
    out.text_events = len(rows)
    out.text_events_new = len({r["id"] for r in rows} - old)
    out.text_events_removed = len(old - {r["id"] for r in rows})
    if len(structured):
        typed = structured[(structured["origin"] == "both")]
        by_target: dict[str, list[str]] = {}
        for e, t in zip(typed["event_id"], typed["target_type"]):
            by_target.setdefault(t, []).append(e)
        for t, ids in by_target.items():
            for part in _chunks(ids):
                res = conn.execute(
                    update(strike_events)
                    .where(strike_events.c.id.in_(part), strike_events.c.target_type != t)
                    .values(text_target_type=t)
                )
                out.typed_rows += res.rowcount
    # Rank of a link: its place in the event's sentence_ids (the reports that typed it first).
    rank: dict[str, int] = {}
    order = {}
    for e, sids in zip(events["event_id"], events["sentence_ids"]) if len(events) else ():
        order.update({(e, s): k for k, s in enumerate(sids or [])})
    link_rows = []
    seen = set()
    for r in links.itertuples(index=False):
        key = (r.event_id, r.sentence_id)
        if key in seen:
            continue
        seen.add(key)
        rank[r.event_id] = rank.get(r.event_id, -1) + 1
        link_rows.append(
            dict(
                event_id=r.event_id,
                sentence_id=r.sentence_id,
                model_version=model_version,
                rank=order.get(key, 10_000 + rank[r.event_id]),
                reason=r.reason,
            )
        )
    for part in _chunks(link_rows):
        conn.execute(insert(strike_links), list(part))
    out.links = len(link_rows)
    return out


def replace_coupling(
    conn: Connection, method: str, model_version: str, frame: pd.DataFrame, run_id: int | None
) -> int:
    """Make the stored coupling rows of (method, model version) equal to ``frame``."""
    conn.execute(
        delete(coupling).where(
            coupling.c.method == method, coupling.c.model_version == model_version
        )
    )
    if frame is None or frame.empty:
        return 0
    cols = [c.name for c in coupling.columns if c.name not in ("method", "model_version", "run_id")]
    rows = [
        dict(
            {c: _plain(r.get(c)) for c in cols},
            method=method,
            model_version=model_version,
            run_id=run_id,
        )
        for r in frame.to_dict("records")
    ]
    for r in rows:
        r["note"] = r["note"] or None
    conn.execute(insert(coupling), rows)
    return len(rows)


def start_run(
    conn: Connection, config_hash: str | None, model_version: str | None, scorer_version: str | None
) -> int:
    res = conn.execute(
        insert(runs).values(
            started_at=datetime.now(UTC),
            status="running",
            config_hash=config_hash,
            model_version=model_version,
            scorer_version=scorer_version,
        )
    )
    key = res.inserted_primary_key
    if key is None:  # an INSERT of one row always has its key; None would be a driver bug
        raise StorageError("the database did not return the new run's id; check the backend")
    return int(key[0])


def finish_run(
    conn: Connection, run_id: int, status: str, counts: RunCounts | dict, errors: list[str]
) -> None:
    if isinstance(counts, RunCounts):
        counts = counts.to_json()
    conn.execute(
        update(runs)
        .where(runs.c.id == run_id)
        .values(finished_at=datetime.now(UTC), status=status, counts=counts, errors=errors)
    )


def mark_interrupted_runs(conn: Connection) -> int:
    """Runs still 'running' when the caller holds the run lock died mid-way (killed, power cut):
    mark them 'interrupted'. Their rows were committed stage by stage, so nothing else to undo."""
    res = conn.execute(
        update(runs)
        .where(runs.c.status == "running")
        .values(
            status="interrupted",
            errors=["the process ended before the run finished; the next run completed its work"],
        )
    )
    return res.rowcount
