"""commitment places and timezone

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable): SQLite does them in place, existing rows read as
    # "no place restriction, UTC days", which is what they meant.
    op.add_column("commitments", sa.Column("places", sa.JSON(), nullable=True))
    op.add_column("commitments", sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("commitments") as batch:
        batch.drop_column("timezone")
        batch.drop_column("places")
