"""Rules made by `/remediation` commands: map, ignore, tick, untick.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create issue_rules."""
    op.create_table(
        "issue_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("pattern", sa.String(), nullable=True),
        sa.Column("phase", sa.Integer(), nullable=True),
        sa.Column("item_text", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["tracked_issues.id"],
            name=op.f("fk_issue_rules_issue_id_tracked_issues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_rules")),
    )
    op.create_index("ix_issue_rules_issue_id", "issue_rules", ["issue_id"])


def downgrade() -> None:
    """Drop issue_rules."""
    op.drop_index("ix_issue_rules_issue_id", table_name="issue_rules")
    op.drop_table("issue_rules")
