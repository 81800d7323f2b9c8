"""Query API: pandas DataFrames over a detector database (the CLI's flags/show use these)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from .errors import NotFoundError
from .store.schema import documents, flag_evidence, flags, predictions, sentences, strike_events

FLAG_COLUMNS = ["id", "kind", "actor", "start", "end", "score", "p_value", "method",
                "model_version", "rhetoric", "action", "n_statements", "n_strikes"]


def flags_frame(engine: Engine, actor: str | None = None, since: date | None = None,
                until: date | None = None, min_score: float | None = None,
                kind: str | None = None) -> pd.DataFrame:
    """Flags overlapping [since, until], newest first within each actor."""
    q = select(*[flags.c[c] for c in FLAG_COLUMNS], flags.c.details)
    if actor:
        q = q.where(flags.c.actor == actor.upper())
    if since:
        q = q.where(flags.c.end >= since)
    if until:
        q = q.where(flags.c.start <= until)
    if min_score is not None:
        q = q.where(flags.c.score >= min_score)
    if kind:
        q = q.where(flags.c.kind == kind)
    q = q.order_by(flags.c.actor, flags.c.start, flags.c.kind)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame(rows, columns=FLAG_COLUMNS + ["details"])


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
