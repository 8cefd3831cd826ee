"""One identity per test: Python classnames read as pytest node ids, whichever JUnit dialect.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Stored ids were `file::name` (xunit1, which drops the class) or `classname::name` (xunit2),
so one pytest test had two. They are rewritten with the rule of `bot.core.results.case_owner`
as of this revision, copied here so later changes to that rule cannot change this migration.
Only distinct (file, classname, name) triples are computed; rows are updated per old id.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner(file: str | None, classname: str) -> str:
    if file is None or file.endswith(".py"):
        parts = classname.split(".")
        for position in range(len(parts) - 1, -1, -1):
            if parts[position].startswith("test_") or parts[position].endswith("_test"):
                module = "/".join(parts[: position + 1]) + ".py"
                same = file is not None and file.replace("\\", "/").removeprefix("./") == module
                owner = file if file is not None and not same else module
                return "::".join([owner, *parts[position + 1 :]])
    return file or classname


def _test_id(file: str | None, classname: str, name: str) -> str:
    owner = _owner(file, classname)
    return f"{owner}::{name}" if owner else name


def upgrade() -> None:
    """Rewrite the test ids that a Python classname gives a better identity."""
    connection = op.get_bind()
    triples = connection.execute(
        sa.text("SELECT DISTINCT test_id, file, classname, name FROM case_results")
    ).all()
    changes = [
        {"old": old, "new": new, "file": file, "classname": classname, "name": name}
        for old, file, classname, name in triples
        if (new := _test_id(file, classname, name)) != old
    ]
    same_file = "IS" if connection.dialect.name == "sqlite" else "IS NOT DISTINCT FROM"
    if changes:
        connection.execute(
            sa.text(
                "UPDATE case_results SET test_id = :new WHERE test_id = :old "  # noqa: S608
                f"AND classname = :classname AND name = :name AND file {same_file} :file"
            ),
            changes,
        )


def downgrade() -> None:
    """Ids are not put back: the old ones merged distinct tests (one file, two classes)."""
