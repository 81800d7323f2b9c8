"""Table definitions (SQLAlchemy Core). Migrations in detector/migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

sources = Table(
    "sources",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("location", Text, nullable=False),
    Column("speaker", String(16)),
    Column("actor", String(16)),
    # The outlet's own country: who a bare title ("... - senior diplomat") speaks for (0004).
    Column("home", String(16)),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_raw_hash", String(64)),
    Column("last_fetched_at", DateTime(timezone=True)),
)

documents = Table(
    "documents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("source", String(200), ForeignKey("sources.name"), nullable=False),
    Column("external_id", Text, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Column("url", Text),
    Column("title", Text),
    Column("text", Text, nullable=False),
    Column("speaker", String(16)),
    Column("location", Text),
    Column("raw_hash", String(64)),
    Column("fetched_at", DateTime(timezone=True)),
    Index("ix_documents_source", "source"),
    Index("ix_documents_published", "published_at"),
)

sentences = Table(
    "sentences",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "document_id", String(32), ForeignKey("documents.id", ondelete="CASCADE"), nullable=False
    ),
    Column("idx", Integer, nullable=False),
    Column("text", Text, nullable=False),
    UniqueConstraint("document_id", "idx", name="uq_sentences_doc_idx"),
)

predictions = Table(
    "predictions",
    metadata,
    Column(
        "sentence_id", String(32), ForeignKey("sentences.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("model_version", String(80), primary_key=True),
    Column("label_schema", String(20), nullable=False),
    Column("stance", String(16), nullable=False),
    Column("stance_score", Float, nullable=False),
    Column("action", String(16), nullable=False),
    Column("action_score", Float, nullable=False),
    Column("target", String(16)),
    Column("target_score", Float),
    Column("speaker", String(16)),
    Column("actor", String(16)),
    Column("target_actor", String(16)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("details", JSON),  # strike details: launched, destroyed, weapons, places
    Column(
        "attribution", String(32)
    ),  # rules version of speaker/actor; NULL: attribution.v1 (0004)
)

strike_events = Table(
    "strike_events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("source", String(200), ForeignKey("sources.name"), nullable=False),
    Column("external_id", Text, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True)),
    Column("actor", String(16)),
    Column("target_actor", String(16)),
    Column("target_type", String(16), nullable=False),
    Column("weapon", Text),
    Column("place", Text),
    Column("launched", Float),
    Column("destroyed", Float),
    Column("description", Text),
    Column("location", Text),
    Column("raw_hash", String(64)),
    Column("fetched_at", DateTime(timezone=True)),
    # The target type the deeds stage read from the text reports of this strike, where the source
    # gave none (0005): kept apart from the source's own value, so re-ingest stays as it was.
    Column("text_target_type", String(16)),
    Index("ix_strike_events_actor_start", "actor", "start"),
)

# Strike events known from text only (detector.score.deeds, rule 4), replaced by the deeds stage
# on every rescore (0005). Structured rows stay in strike_events.
text_strikes = Table(
    "text_strikes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True)),
    Column("actor", String(16), nullable=False),
    Column("target_actor", String(16)),
    Column("target_type", String(16), nullable=False),
    Column("weapon", Text),
    Column("place", Text),
    Column("launched", Float),
    Column("destroyed", Float),
    Column("source", Text),  # the sources of its reports, comma-separated
    Column("n_reports", Integer, nullable=False),
    Column("model_version", String(80), nullable=False),
    Index("ix_text_strikes_actor_start", "actor", "start"),
)

# Provenance of strike events: which classified sentences report it and why they attached
# (strike_events and text_strikes alike; replaced by the deeds stage) (0005).
strike_links = Table(
    "strike_links",
    metadata,
    Column("event_id", String(32), primary_key=True),
    Column(
        "sentence_id", String(32), ForeignKey("sentences.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("model_version", String(80), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("reason", Text),
    Index("ix_strike_links_sentence", "sentence_id"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running | ok | partial | failed
    Column("config_hash", String(16)),
    Column("model_version", String(80)),
    Column("scorer_version", String(80)),
    Column("counts", JSON),
    Column("errors", JSON),
)

commitments = Table(
    "commitments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("actor", String(16), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("source", Text),
    Column("description", Text),
    Column("places", JSON),  # place names a place-scoped commitment covers (0003)
    Column("timezone", String(64)),  # of its start and end days; NULL: UTC (0003)
)

flags = Table(
    "flags",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("actor", String(16), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("score", Float, nullable=False),
    Column("p_value", Float),
    Column("method", String(80), nullable=False),
    Column("model_version", String(80)),
    Column("rhetoric", Float),
    Column("action", Float),
    Column("n_statements", Integer, nullable=False),
    Column("n_strikes", Integer, nullable=False),
    Column("details", JSON),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Index("ix_flags_actor_start", "actor", "start"),
)

flag_evidence = Table(
    "flag_evidence",
    metadata,
    Column("flag_id", String(16), ForeignKey("flags.id", ondelete="CASCADE"), primary_key=True),
    Column("item_type", String(16), primary_key=True),  # statement | strike
    Column("item_id", String(32), primary_key=True),
    Column("rank", Integer, nullable=False),
)

# The scorer's per-actor, per-period series (R and A), replaced with the flags on every rescore.
series = Table(
    "series",
    metadata,
    Column("actor", String(16), primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("method", String(80), primary_key=True),
    Column("model_version", String(80), primary_key=True),
    Column("period_end", Date, nullable=False),
    Column("rhetoric", Float, nullable=False),
    Column("rhetoric_window", Float),
    Column("action", Float, nullable=False),
    Column("z_rhetoric", Float),
    Column("z_action", Float),
    Column("score", Float, nullable=False),
    Column("p_value", Float),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("details", JSON),  # the scorer's own per-period columns (v3: rule, episode, ...) (0005)
)

# The per-actor coupling test of contradiction.v3 (score/contradiction_v3.coupling_test),
# replaced with the flags on every rescore (0005).
coupling = Table(
    "coupling",
    metadata,
    Column("actor", String(16), primary_key=True),
    Column("method", String(80), primary_key=True),
    Column("model_version", String(80), primary_key=True),
    Column("n_periods", Integer, nullable=False),
    Column("n_claim_periods", Integer, nullable=False),
    Column("mean_claim", Float),
    Column("mean_other", Float),
    Column("effect", Float),
    Column("ratio", Float),
    Column("ci_low", Float),
    Column("ci_high", Float),
    Column("p_value", Float),
    Column("n_shifts", Integer),
    Column("block", Integer),
    Column("note", Text),
    Column("run_id", Integer, ForeignKey("runs.id")),
)

# Machine-coded statements from structured data (GDELT verbal cooperation), no text to classify.
structured_events = Table(
    "structured_events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("source", String(200), ForeignKey("sources.name"), nullable=False),
    Column("external_id", Text, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("date", Date, nullable=False),
    Column("actor", String(16)),
    Column("counterpart", String(16)),
    Column("stance", String(16), nullable=False),
    Column("event_code", String(16), nullable=False),
    Column("goldstein", Float),
    Column("url", Text),
    Column("location", Text),
    Column("raw_hash", String(64)),
    Column("fetched_at", DateTime(timezone=True)),
    Index("ix_structured_events_actor_date", "actor", "date"),
)

# One row per held lock (name "pipeline"): who holds it and when it last showed signs of life.
run_lock = Table(
    "run_lock",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("pid", Integer),
    Column("host", String(200)),
    Column("acquired_at", DateTime(timezone=True)),
    Column("heartbeat_at", DateTime(timezone=True)),
)

# Documents a stage could not process: kept (the document stays), marked here, reported by
# `detector runs`, and skipped by that stage until the document's content changes (split, key =
# its content hash) or another model version classifies it (classify, key = the version).
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("stage", String(16), nullable=False),
    Column(
        "document_id", String(32), ForeignKey("documents.id", ondelete="CASCADE"), nullable=False
    ),
    Column("sentence_id", String(32)),
    Column("key", String(80), nullable=False),
    Column("reason", Text, nullable=False),
    Column("run_id", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_quarantine_document", "document_id"),
)
