"""Issues the bot opens and closes: the signatures each covers, whether the bot closed it,
and whether a person reopened it since (then the bot never closes it again).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Four columns on tracked issues."""
    with op.batch_alter_table("tracked_issues") as batch:
        for name in ("opened_by_bot", "closed_by_bot", "keep_open"):
            batch.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
        batch.add_column(sa.Column("covers", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    """Drop the four columns."""
    with op.batch_alter_table("tracked_issues") as batch:
        for name in ("covers", "keep_open", "closed_by_bot", "opened_by_bot"):
            batch.drop_column(name)
