"""Dashboard: a partial index on flipped results, so flake ranking reads only the flips.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index flipped results by run (a few percent of the rows)."""
    op.create_index(
        "ix_case_results_flipped",
        "case_results",
        ["run_pk", "test_id"],
        sqlite_where=sa.text("flipped = 1"),
        postgresql_where=sa.text("flipped"),
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_case_results_flipped", table_name="case_results")
