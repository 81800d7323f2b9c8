"""series, structured events, run lock, prediction details

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite does it in place (a batch copy would cascade-delete through
    # the foreign keys that are switched on).
    op.add_column("predictions", sa.Column("details", sa.JSON(), nullable=True))
    op.create_table(
        "series",
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=80), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("rhetoric", sa.Float(), nullable=False),
        sa.Column("rhetoric_window", sa.Float(), nullable=True),
        sa.Column("action", sa.Float(), nullable=False),
        sa.Column("z_rhetoric", sa.Float(), nullable=True),
        sa.Column("z_action", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("actor", "period_start", "method", "model_version"),
    )
    op.create_table(
        "structured_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=True),
        sa.Column("counterpart", sa.String(length=16), nullable=True),
        sa.Column("stance", sa.String(length=16), nullable=False),
        sa.Column("event_code", sa.String(length=16), nullable=False),
        sa.Column("goldstein", sa.Float(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("raw_hash", sa.String(length=64), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source"],
            ["sources.name"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_structured_events_actor_date", "structured_events", ["actor", "date"], unique=False
    )
    op.create_table(
        "run_lock",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("run_lock")
    op.drop_index("ix_structured_events_actor_date", table_name="structured_events")
    op.drop_table("structured_events")
    op.drop_table("series")
    with op.batch_alter_table("predictions") as batch:
        batch.drop_column("details")
