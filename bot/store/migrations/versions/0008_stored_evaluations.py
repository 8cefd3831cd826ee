"""Dashboard: each issue's newest evaluation, stored, so no web process evaluates it twice.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Nothing to backfill: a row is written the first time an issue's view is evaluated, and an
issue without one is evaluated as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the table, one row per issue."""
    op.create_table(
        "stored_evaluations",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["tracked_issues.id"],
            name=op.f("fk_stored_evaluations_issue_id_tracked_issues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_id", name=op.f("pk_stored_evaluations")),
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("stored_evaluations")
