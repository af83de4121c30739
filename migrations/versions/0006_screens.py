"""screens (issue 16)

Revision ID: 0006
Revises: 0005
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Alerts carry structured parameters, worded by each screen in its viewer's language.
    op.add_column("alert", sa.Column("params", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("alert", "params")
