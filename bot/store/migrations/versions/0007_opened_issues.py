"""Issues the bot opened: the failure signatures each covers, so none gets a second issue.

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
    """Two columns on tracked issues: who opened it, and the signatures it was opened for."""
    with op.batch_alter_table("tracked_issues") as batch:
        batch.add_column(
            sa.Column("opened_by_bot", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("covers", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("tracked_issues") as batch:
        batch.drop_column("covers")
        batch.drop_column("opened_by_bot")
