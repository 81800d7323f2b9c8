"""deeds from text (text-only strike events, strike -> sentence links, text-typed target of
structured rows), series details, per-actor coupling results

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (as 0002/0004): SQLite does them in place. Existing rows read as "no
    # text typing" and "no details": what they were.
    op.add_column(
        "strike_events", sa.Column("text_target_type", sa.String(length=16), nullable=True)
    )
    op.add_column("series", sa.Column("details", sa.JSON(), nullable=True))
    op.create_table(
        "text_strikes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("target_actor", sa.String(length=16), nullable=True),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("weapon", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("launched", sa.Float(), nullable=True),
        sa.Column("destroyed", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("n_reports", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_text_strikes_actor_start", "text_strikes", ["actor", "start"], unique=False)
    op.create_table(
        "strike_links",
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("sentence_id", sa.String(length=32), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["sentence_id"], ["sentences.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "sentence_id"),
    )
    op.create_index("ix_strike_links_sentence", "strike_links", ["sentence_id"], unique=False)
    op.create_table(
        "coupling",
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=80), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("n_periods", sa.Integer(), nullable=False),
        sa.Column("n_claim_periods", sa.Integer(), nullable=False),
        sa.Column("mean_claim", sa.Float(), nullable=True),
        sa.Column("mean_other", sa.Float(), nullable=True),
        sa.Column("effect", sa.Float(), nullable=True),
        sa.Column("ratio", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("n_shifts", sa.Integer(), nullable=True),
        sa.Column("block", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("actor", "method", "model_version"),
    )


def downgrade() -> None:
    op.drop_table("coupling")
    op.drop_index("ix_strike_links_sentence", table_name="strike_links")
    op.drop_table("strike_links")
    op.drop_index("ix_text_strikes_actor_start", table_name="text_strikes")
    op.drop_table("text_strikes")
    with op.batch_alter_table("series") as batch:
        batch.drop_column("details")
    with op.batch_alter_table("strike_events") as batch:
        batch.drop_column("text_target_type")
