"""transport stops (issue 19)

Revision ID: 0005
Revises: 0004
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Hotel positions (for trips serving several hotels) and a trip's stop order.
    op.add_column("hotel", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("hotel", sa.Column("longitude", sa.Float(), nullable=True))
    op.add_column("trip", sa.Column("stops", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trip") as batch:
        batch.drop_column("stops")
    with op.batch_alter_table("hotel") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
