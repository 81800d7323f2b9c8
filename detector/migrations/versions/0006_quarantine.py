"""quarantine: documents a stage could not process (kept, marked, reported; retried when their
content changes or, for the classify stage, under another model version)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("sentence_id", sa.String(length=32), nullable=True),
        # split: the document's content hash when it failed; classify: the model version.
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_quarantine_document", "quarantine", ["document_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_quarantine_document", table_name="quarantine")
    op.drop_table("quarantine")
