"""Initial schema: repositories, runs, case_results, suites.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Written out with plain SQLAlchemy types (String for sqlmodel's AutoString, DateTime for
bot.store.models.UTCDateTime) so this revision never changes when bot.store.models does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the four tables and their indexes."""
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(), nullable=False),
        sa.Column("installation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repositories")),
        sa.UniqueConstraint("full_name", name=op.f("uq_repositories_full_name")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("head_sha", sa.String(), nullable=True),
        sa.Column("branch", sa.String(), nullable=True),
        sa.Column("workflow", sa.String(), nullable=True),
        sa.Column("event", sa.String(), nullable=True),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("conclusion", sa.String(), nullable=True),
        sa.Column("tests", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_runs_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint(
            "repository_id",
            "provider",
            "run_id",
            "attempt",
            name=op.f("uq_runs_repository_id_provider_run_id_attempt"),
        ),
    )
    op.create_index("ix_runs_repository_id_created_at", "runs", ["repository_id", "created_at"])
    op.create_table(
        "case_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.String(), nullable=False),
        sa.Column("suite", sa.String(), nullable=False),
        sa.Column("classname", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("file", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("failure_type", sa.String(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("system_out", sa.Text(), nullable=True),
        sa.Column("system_err", sa.Text(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("reruns", sa.Integer(), nullable=False),
        sa.Column("flaky", sa.Boolean(), nullable=False),
        sa.Column("flipped", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"],
            ["runs.id"],
            name=op.f("fk_case_results_run_pk_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_results")),
    )
    op.create_index("ix_case_results_run_pk_outcome", "case_results", ["run_pk", "outcome"])
    op.create_index("ix_case_results_test_id_run_pk", "case_results", ["test_id", "run_pk"])
    op.create_table(
        "suites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("tests", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"], ["runs.id"], name=op.f("fk_suites_run_pk_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suites")),
    )
    op.create_index("ix_suites_run_pk", "suites", ["run_pk"])


def downgrade() -> None:
    """Drop everything upgrade created, children first."""
    op.drop_index("ix_suites_run_pk", table_name="suites")
    op.drop_table("suites")
    op.drop_index("ix_case_results_test_id_run_pk", table_name="case_results")
    op.drop_index("ix_case_results_run_pk_outcome", table_name="case_results")
    op.drop_table("case_results")
    op.drop_index("ix_runs_repository_id_created_at", table_name="runs")
    op.drop_table("runs")
    op.drop_table("repositories")
