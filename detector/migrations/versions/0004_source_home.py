"""source home country; attribution version of predictions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: existing sources read as "no home", i.e. attribution as before; existing
    # predictions as attribution.v1, the rules they were made with.
    op.add_column("sources", sa.Column("home", sa.String(length=16), nullable=True))
    op.add_column("predictions", sa.Column("attribution", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.drop_column("attribution")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("home")
