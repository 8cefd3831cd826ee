"""Each issue's newest evaluation as the dashboard shows it: read by its key, replaced whole.

A row is keyed by a digest of every input of the evaluation, so a stored view is either
exactly what evaluating again would give, or not read at all.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.store.engine import SQLITE_BUSY_TIMEOUT_MS
from bot.store.models import StoredEvaluation, table_of, utc_now

log = logging.getLogger(__name__)

# A page view never waits for a writer holding SQLite's lock (an ingest can hold it for
# seconds); the view is only not stored, and the next one evaluates again.
_SQLITE_WRITE_WAIT_MS = 100


def stored_view(*, session: Session, issue_id: int, key: str) -> dict[str, Any] | None:
    """The issue's stored view if it was made from exactly these inputs, else None."""
    query = select(StoredEvaluation.view).where(
        StoredEvaluation.issue_id == issue_id, StoredEvaluation.key == key
    )
    return cast(dict[str, Any] | None, session.exec(query).first())


def save_view(
    *, session: Session, issue_id: int, key: str, run_pk: int, view: dict[str, Any]
) -> bool:
    """Store the issue's view in place of any older one, and commit; False if the store
    was busy and nothing was stored.

    The session must hold no other writes. Its loaded objects stay loaded (the page goes
    on reading them), since this commit changed none of them.
    """
    values = {
        "issue_id": issue_id,
        "key": key,
        "run_pk": run_pk,
        "view": view,
        "created_at": utc_now(),
    }
    table = table_of(StoredEvaluation)
    lite = session.get_bind().dialect.name == "sqlite"
    insert = (sqlite.insert if lite else postgresql.insert)(table).values(values)
    statement = insert.on_conflict_do_update(
        index_elements=["issue_id"],
        set_={name: insert.excluded[name] for name in ("key", "run_pk", "view", "created_at")},
    )
    connection = session.connection()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        if lite:  # the write lock is taken by the statement, so only it waits less
            connection.exec_driver_sql(f"PRAGMA busy_timeout={_SQLITE_WRITE_WAIT_MS}")
        try:
            connection.execute(statement)
        finally:
            if lite:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        session.commit()
    except OperationalError:
        session.rollback()
        log.info("evaluation not stored: the store is busy", extra={"issue_id": issue_id})
        return False
    finally:
        session.expire_on_commit = expire
    return True
