"""bot.queries: the flipped flag stored at ingest, flake ranking, and every query's plan."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from bot.core.results import CaseResult, Outcome
from bot.store import queue, reads, repositories, runs
from bot.store.engine import make_engine
from bot.store.migrate import upgrade
from bot.store.models import CaseResultRow

REPO = "octo-org/widgets"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def case(name: str, outcome: Outcome) -> CaseResult:
    return CaseResult(
        suite="unit",
        classname="tests.test_x",
        name=name,
        file="tests/test_x.py",
        outcome=outcome,
        message="boom 42" if outcome is Outcome.FAILED else None,
    )


def save(session: Session, n: int, outcomes: dict[str, Outcome], *, repo: str = REPO) -> int:
    outcome = runs.save_run(
        session=session,
        repo_full_name=repo,
        provider="github",
        run_id=str(n),
        attempt=1,
        cases=[case(name, o) for name, o in outcomes.items()],
        suites=[],
        branch="main",
        started_at=T0 + timedelta(hours=n),
    )
    assert outcome.run.id is not None
    return outcome.run.id


def flags(session: Session, run_pk: int) -> dict[str, bool]:
    rows = session.exec(select(CaseResultRow).where(CaseResultRow.run_pk == run_pk))
    return {row.name: row.flipped for row in rows}


P, F, E, S = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED


def test_flipped_marks_pass_fail_changes_since_the_previous_run(session: Session) -> None:
    first = save(session, 1, {"a": P, "b": F, "c": P, "d": S})
    second = save(session, 2, {"a": F, "b": P, "c": P, "d": F, "new": F})
    third = save(session, 3, {"a": E, "b": F, "c": S, "d": P, "new": P})
    assert not any(flags(session, first).values())
    # A skip neither passes nor fails; a test new in this run has nothing to flip from.
    assert flags(session, second) == {"a": True, "b": True, "c": False, "d": False, "new": False}
    # failed -> error is still failing.
    assert flags(session, third) == {"a": False, "b": True, "c": False, "d": True, "new": True}


def test_flipped_compares_with_the_run_that_started_before(session: Session) -> None:
    save(session, 5, {"a": F})
    late_old = save(session, 1, {"a": P})  # arrives last but started first: nothing before it
    after = save(session, 6, {"a": P})
    assert flags(session, late_old) == {"a": False}
    assert flags(session, after) == {"a": True}


def test_flipped_stays_within_a_repository(session: Session) -> None:
    save(session, 1, {"a": F}, repo="other/repo")
    assert flags(session, save(session, 2, {"a": P})) == {"a": False}


def test_flakiest_ranks_by_flips_with_the_flip_rate(session: Session) -> None:
    history = [P, F, P, F, P]
    pks = [
        save(session, n, {"flaky": history[n], "once": F if n == 4 else P, "steady": P})
        for n in range(5)
    ]
    flakes = reads.flakiest(session=session, run_pks=pks)
    # "once" flipped once: a regression, not a flake (unless asked for single flips).
    assert [(f.test_id, f.flips, f.runs) for f in flakes] == [("tests/test_x.py::flaky", 4, 5)]
    assert flakes[0].rate == 1.0
    singles = reads.flakiest(session=session, run_pks=pks, min_flips=1)
    assert [(f.test_id, f.flips) for f in singles][1:] == [("tests/test_x.py::once", 1)]
    assert reads.flakiest(session=session, run_pks=pks[:1]) == []
    assert reads.flakiest(session=session, run_pks=[]) == []


def test_history_and_runs_newest_window_oldest_first(session: Session) -> None:
    for n in range(4):
        save(session, n, {"a": F if n % 2 else P})
    repository = repositories.get_repository(session=session, full_name=REPO)
    assert repository is not None
    assert repository.id is not None
    newest_runs = repositories.qualifying_runs(
        session=session, repository=repository, branches=["main"], limit=3
    )
    assert [r.run_id for r in newest_runs] == ["1", "2", "3"]
    dev = repositories.qualifying_runs(
        session=session, repository=repository, branches=["dev"], limit=3
    )
    assert dev == []
    points = reads.history(
        session=session, repository_id=repository.id, test_id="tests/test_x.py::a"
    )
    assert [p.outcome for p in points] == ["passed", "failed", "passed", "failed"]
    cases = runs.run_input(session=session, run=newest_runs[-1]).cases
    assert [(c.test_id, c.outcome, c.message) for c in cases] == [
        ("tests/test_x.py::a", F, "boom 42")
    ]


# -- plans --------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


OUTSIDE_READS = {"qualifying_runs", "run_input"}


def _calls(session: Session) -> dict[str, Callable[[], Any]]:
    """One call of every query function, on a small seeded store."""
    pks = [save(session, n, {"a": F if n % 2 else P, "b": P}) for n in range(3)]
    repository = repositories.upsert_repository(session=session, full_name=REPO)
    repositories.upsert_issue(session=session, repository=repository, number=1, title="t")
    queue.enqueue(session=session, kind="k", payload={}, lock_key="x")
    assert repository.id is not None
    rid = repository.id
    newest = runs.get_run(session=session, run_pk=pks[-1])
    assert newest is not None
    return {
        "repositories": lambda: reads.repositories(session=session, names=[REPO]),
        "issues": lambda: reads.issues(session=session, repository_ids=[rid]),
        "flakiest": lambda: reads.flakiest(session=session, run_pks=pks),
        "history": lambda: reads.history(
            session=session, repository_id=rid, test_id="tests/test_x.py::a"
        ),
        "recent_deliveries": lambda: reads.recent_deliveries(session=session),
        "recent_jobs": lambda: reads.recent_jobs(session=session, status="dead"),
        "retrying_jobs": lambda: reads.retrying_jobs(session=session),
        # The runs and results the sync and the issue page both read:
        "qualifying_runs": lambda: repositories.qualifying_runs(
            session=session, repository=repository, branches=["main"], limit=200
        ),
        "run_input": lambda: runs.run_input(session=session, run=newest),
    }


def test_every_query_reads_runs_and_results_through_an_index(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session:
        calls = _calls(session)
        public = {
            name
            for name, f in inspect.getmembers(reads, inspect.isfunction)
            if f.__module__ == reads.__name__ and not name.startswith("_")
        }
        assert public == set(calls) - OUTSIDE_READS, "every query in bot.store.reads is checked"
        connection = session.connection()
        for name, call in calls.items():
            statements: list[tuple[str, Any]] = []

            def record(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
                statements.append((sql, params))  # noqa: B023 - used before the next loop

            event.listen(sqlite_engine, "before_cursor_execute", record)
            try:
                call()
            finally:
                event.remove(sqlite_engine, "before_cursor_execute", record)
            selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
            assert selects, name
            for sql, params in selects:
                plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
                details = [str(row[3]) for row in plan]
                scans = [d for d in details if d.startswith(("SCAN case_results", "SCAN runs"))]
                assert scans == [], f"{name}: full scan in {details}\n{sql}"


def test_flake_ranking_uses_the_partial_index_of_flips(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session:
        pks = [save(session, n, {"a": F if n % 2 else P}) for n in range(3)]
        statements: list[tuple[str, Any]] = []
        event.listen(
            sqlite_engine,
            "before_cursor_execute",
            lambda conn, cursor, sql, params, *_: statements.append((sql, params)),
        )
        reads.flakiest(session=session, run_pks=pks)
        sql, params = statements[0]
        plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
        assert any("ix_case_results_flipped" in str(row[3]) for row in plan), plan
