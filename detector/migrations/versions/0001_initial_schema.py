"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commitments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("config_hash", sa.String(length=16), nullable=True),
        sa.Column("model_version", sa.String(length=80), nullable=True),
        sa.Column("scorer_version", sa.String(length=80), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sources",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=True),
        sa.Column("actor", sa.String(length=16), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("last_raw_hash", sa.String(length=64), nullable=True),
        sa.Column("last_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("raw_hash", sa.String(length=64), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source"],
            ["sources.name"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_published", ["published_at"], unique=False)
        batch_op.create_index("ix_documents_source", ["source"], unique=False)

    op.create_table(
        "flags",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=80), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=True),
        sa.Column("rhetoric", sa.Float(), nullable=True),
        sa.Column("action", sa.Float(), nullable=True),
        sa.Column("n_statements", sa.Integer(), nullable=False),
        sa.Column("n_strikes", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.create_index("ix_flags_actor_start", ["actor", "start"], unique=False)

    op.create_table(
        "strike_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=16), nullable=True),
        sa.Column("target_actor", sa.String(length=16), nullable=True),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("weapon", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("launched", sa.Float(), nullable=True),
        sa.Column("destroyed", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("raw_hash", sa.String(length=64), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source"],
            ["sources.name"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("strike_events", schema=None) as batch_op:
        batch_op.create_index("ix_strike_events_actor_start", ["actor", "start"], unique=False)

    op.create_table(
        "flag_evidence",
        sa.Column("flag_id", sa.String(length=16), nullable=False),
        sa.Column("item_type", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["flag_id"], ["flags.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("flag_id", "item_type", "item_id"),
    )
    op.create_table(
        "sentences",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "idx", name="uq_sentences_doc_idx"),
    )
    op.create_table(
        "predictions",
        sa.Column("sentence_id", sa.String(length=32), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("label_schema", sa.String(length=20), nullable=False),
        sa.Column("stance", sa.String(length=16), nullable=False),
        sa.Column("stance_score", sa.Float(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("action_score", sa.Float(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=True),
        sa.Column("target_score", sa.Float(), nullable=True),
        sa.Column("speaker", sa.String(length=16), nullable=True),
        sa.Column("actor", sa.String(length=16), nullable=True),
        sa.Column("target_actor", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sentence_id"], ["sentences.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sentence_id", "model_version"),
    )


def downgrade() -> None:
    op.drop_table("predictions")
    op.drop_table("sentences")
    op.drop_table("flag_evidence")
    with op.batch_alter_table("strike_events", schema=None) as batch_op:
        batch_op.drop_index("ix_strike_events_actor_start")

    op.drop_table("strike_events")
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index("ix_flags_actor_start")

    op.drop_table("flags")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_source")
        batch_op.drop_index("ix_documents_published")

    op.drop_table("documents")
    op.drop_table("sources")
    op.drop_table("runs")
    op.drop_table("commitments")
