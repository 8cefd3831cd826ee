"""Stored evaluated views: read back only under the key they were stored with, one per issue."""

from __future__ import annotations

from sqlmodel import Session, func, select

from bot.store import evaluations, repositories
from bot.store.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine
from bot.store.migrate import upgrade
from bot.store.models import StoredEvaluation, TrackedIssue


def _issue(session: Session) -> TrackedIssue:
    repository = repositories.upsert_repository(session=session, full_name="o/r")
    return repositories.upsert_issue(
        session=session, repository=repository, number=7, title="t", body="- [ ] x", labelled=True
    )


def test_a_view_is_read_back_only_under_its_key(session: Session) -> None:
    issue = _issue(session)
    assert issue.id is not None
    view = {"items": [{"index": 0, "text": "x"}], "newly_failing": ["a::b"]}
    assert evaluations.save_view(session=session, issue_id=issue.id, key="k1", run_pk=1, view=view)
    assert evaluations.stored_view(session=session, issue_id=issue.id, key="k1") == view
    assert evaluations.stored_view(session=session, issue_id=issue.id, key="k2") is None


def test_a_newer_view_replaces_the_older_one(session: Session) -> None:
    issue = _issue(session)
    assert issue.id is not None
    evaluations.save_view(session=session, issue_id=issue.id, key="k1", run_pk=1, view={"a": 1})
    evaluations.save_view(session=session, issue_id=issue.id, key="k2", run_pk=2, view={"a": 2})
    assert evaluations.stored_view(session=session, issue_id=issue.id, key="k1") is None
    assert evaluations.stored_view(session=session, issue_id=issue.id, key="k2") == {"a": 2}
    count = session.exec(select(func.count()).select_from(StoredEvaluation)).one()
    assert count == 1


def test_saving_keeps_the_sessions_objects_loaded(session: Session) -> None:
    issue = _issue(session)
    assert issue.id is not None
    evaluations.save_view(session=session, issue_id=issue.id, key="k", run_pk=1, view={})
    assert "title" in issue.__dict__  # not expired: reading it costs no query


def test_an_issue_deleted_takes_its_view_with_it(session: Session) -> None:
    issue = _issue(session)
    assert issue.id is not None
    evaluations.save_view(session=session, issue_id=issue.id, key="k", run_pk=1, view={})
    session.delete(issue)
    session.commit()
    assert session.exec(select(func.count()).select_from(StoredEvaluation)).one() == 0


def test_a_busy_sqlite_store_skips_the_write(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            issue = _issue(session)
            assert issue.id is not None
            with engine.connect() as writer:
                writer.exec_driver_sql("BEGIN IMMEDIATE")  # another writer holds the lock
                saved = evaluations.save_view(
                    session=session, issue_id=issue.id, key="k", run_pk=1, view={}
                )
                writer.exec_driver_sql("ROLLBACK")
            assert saved is False
            assert evaluations.stored_view(session=session, issue_id=issue.id, key="k") is None
            # The busy timeout is back to the engine's for the session's next writes.
            timeout = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
            assert timeout == SQLITE_BUSY_TIMEOUT_MS
    finally:
        engine.dispose()
