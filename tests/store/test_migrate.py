"""bot.migrate and bot.db: migrations on both backends, SQLite pragmas and WAL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (registers the tables)
from bot.store.engine import make_engine, normalize_url
from bot.store.migrate import MIGRATIONS_DIR, current_revision, head_revision, is_current, upgrade


def test_upgrade_makes_database_current(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        assert not is_current(engine)
        upgrade(database_url)
        assert current_revision(engine) == head_revision() == "0008"
        assert is_current(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"repositories", "runs", "case_results", "suites"} <= tables
        assert {"deliveries", "jobs", "tracked_issues", "upload_tokens", "issue_rules"} <= tables
        assert "stored_evaluations" in tables
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        assert is_current(engine)
    finally:
        engine.dispose()


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrade_sets_wal_and_make_engine_does_not(sqlite_url: str) -> None:
    before = make_engine(sqlite_url)
    try:
        with before.connect() as connection:
            # Connecting alone must not switch the file to WAL (only the migration may).
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
    finally:
        before.dispose()
    upgrade(sqlite_url)
    after = make_engine(sqlite_url)
    try:
        with after.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert is_current(after)
    finally:
        after.dispose()


def test_make_engine_sets_per_connection_pragmas(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == 30000
    finally:
        engine.dispose()


def test_foreign_keys_cascade_on_sqlite(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with engine.begin() as connection:
            sql = connection.exec_driver_sql
            sql("INSERT INTO repositories (id, full_name, created_at) VALUES (1, 'a/b', '2026')")
            sql(
                "INSERT INTO runs (id, repository_id, provider, run_id, attempt, tests, passed,"
                " failed, errors, skipped, created_at) VALUES (1, 1, 'cli', 'r', 1, 0, 0, 0, 0,"
                " 0, '2026')"
            )
            sql("INSERT INTO suites (run_pk, name, properties, tests) VALUES (1, 's', '{}', 0)")
            sql("DELETE FROM runs")
            assert sql("SELECT count(*) FROM suites").scalar() == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgres://u@h/db?sslmode=require", "postgresql+psycopg://u@h/db?sslmode=require"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///./remediation.db", "sqlite:///./remediation.db"),
    ],
)
def test_normalize_url_picks_psycopg(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_migrations_ship_inside_the_package() -> None:
    assert MIGRATIONS_DIR.parent.name == "store"
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert list((MIGRATIONS_DIR / "versions").glob("0001_*.py"))


def test_upgrade_from_the_first_revision_keeps_data(database_url: str) -> None:
    upgrade(database_url, revision="0001")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO repositories (full_name, created_at) "
                "VALUES ('acme/agents', CURRENT_TIMESTAMP)"
            )
        upgrade(database_url)
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT full_name, default_branch FROM repositories"
            ).all()
        assert [tuple(r) for r in rows] == [("acme/agents", None)]
    finally:
        engine.dispose()


def test_upgrade_gives_stored_pytest_results_one_identity(database_url: str) -> None:
    """Ids stored as xunit1 (`file::name`) and xunit2 (`classname::name`) wrote them merge."""
    from sqlmodel import Session

    from bot.core import junit
    from bot.store.runs import save_run

    dialects = Path(__file__).resolve().parents[2] / "fixtures" / "pytest-dialects"
    upgrade(database_url, revision="0004")
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            for attempt, name in enumerate(("pytest-xunit1.xml", "pytest-xunit2.xml"), start=1):
                report = junit.read_report(dialects / name)
                save_run(
                    session=session,
                    repo_full_name="acme/agents",
                    provider="cli",
                    run_id="1",
                    attempt=attempt,
                    cases=report.cases,
                    suites=report.suites,
                )
        with engine.begin() as connection:  # the ids the reader gave before revision 0005
            connection.exec_driver_sql(
                "UPDATE case_results SET test_id = COALESCE(file, classname) || '::' || name"
            )
        upgrade(database_url)
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT DISTINCT test_id FROM case_results ORDER BY test_id"
            ).all()
        assert [r[0] for r in rows] == [
            "tests/unit/test_sample.py::TestGroup::test_param[1]",
            "tests/unit/test_sample.py::TestGroup::test_param[2]",
            "tests/unit/test_sample.py::TestGroup::test_same_name",
            "tests/unit/test_sample.py::TestOther::test_same_name",
            "tests/unit/test_sample.py::test_module_level",
        ]
    finally:
        engine.dispose()


def test_upgrade_to_stored_evaluations_starts_empty(database_url: str) -> None:
    """Issues stored before 0008 have no stored view: their first view evaluates, as before."""
    upgrade(database_url, revision="0007")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO repositories (full_name, created_at) VALUES ('o/r', CURRENT_TIMESTAMP)"
            )
            connection.exec_driver_sql(
                "INSERT INTO tracked_issues (repository_id, number, title, state, labelled, "
                "bot_ticked, created_at) VALUES (1, 7, 't', 'open', true, '[]', CURRENT_TIMESTAMP)"
            )
        upgrade(database_url)
        with engine.connect() as connection:
            issues = connection.exec_driver_sql("SELECT number FROM tracked_issues").all()
            views = connection.exec_driver_sql("SELECT count(*) FROM stored_evaluations").one()
        assert ([tuple(r) for r in issues], views[0]) == ([(7,)], 0)
    finally:
        engine.dispose()
