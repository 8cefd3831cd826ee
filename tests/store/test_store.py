"""bot.store on both backends: round trips, totals, idempotency, streaming, history, plans."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func
from sqlmodel import Session, SQLModel, select

from bot.core.results import CaseResult, Outcome, SuiteResult
from bot.store import reads
from bot.store.engine import make_engine
from bot.store.migrate import upgrade
from bot.store.models import CaseResultRow, Repository, Run, SuiteRow
from bot.store.repositories import get_repository
from bot.store.runs import (
    get_run,
    list_runs,
    results_for_run,
    save_run,
    suites_for_run,
)

REPO = "octo-org/widgets"
ROOT = Path(__file__).resolve().parents[2]

HAND_MADE_CASES = (
    CaseResult(
        suite="unit",
        classname="tests.test_api.TestLogin",
        name="test_ok",
        outcome=Outcome.PASSED,
        file="tests/test_api.py",
        duration=0.125,
        properties={"peak_rss_mb": "312", "note": "ünïcödé ✓ 日本語"},
    ),
    CaseResult(
        suite="unit",
        classname="tests.test_api.TestLogin",
        name="test_wrong_password[ß-😀]",
        outcome=Outcome.FAILED,
        file="tests/test_api.py",
        duration=1.5,
        message="AssertionError: expected 401, got 500 — «bad»",
        failure_type="AssertionError",
        details="Traceback (most recent call last):\n  ...\nAssertionError: 401 != 500\n",
        system_out="stdout line\nsecond line ✓",
        system_err="stderr: warning ⚠",
        reruns=2,
        flaky=False,
    ),
    CaseResult(
        suite="integration",
        classname="com.example.DbIT",
        name="connects",
        outcome=Outcome.ERROR,
        message="Connection refused",
        failure_type="java.net.ConnectException",
        reruns=1,
        flaky=True,
    ),
    CaseResult(
        suite="integration",
        classname="",
        name="skipped_case",
        outcome=Outcome.SKIPPED,
        message="needs GPU",
    ),
)
HAND_MADE_SUITES = (
    SuiteResult(name="unit", properties={"python": "3.11", "host": "büild-1"}, tests=2),
    SuiteResult(name="integration", tests=2),
)


def generated_cases(count: int, *, failing_every: int = 10) -> Iterator[CaseResult]:
    """`count` synthetic cases; every `failing_every`-th one fails."""
    for i in range(count):
        failed = i % failing_every == 0
        yield CaseResult(
            suite=f"suite{i % 7}",
            classname=f"pkg.mod{i % 100}.Case",
            name=f"test_{i}",
            outcome=Outcome.FAILED if failed else Outcome.PASSED,
            file=f"tests/test_mod{i % 100}.py",
            duration=i / 1000,
            message="boom" if failed else None,
            properties={"i": str(i)} if i % 1000 == 0 else {},
        )


def save(session: Session, run_id: str, cases: Any = HAND_MADE_CASES, **kwargs: Any) -> Any:
    """save_run with test defaults."""
    arguments: dict[str, Any] = {
        "session": session,
        "repo_full_name": REPO,
        "provider": "github",
        "run_id": run_id,
        "attempt": 1,
        "cases": cases,
        "suites": (),
    }
    arguments.update(kwargs)
    return save_run(**arguments)


def count(session: Session, model: type[SQLModel]) -> int:
    """Rows in a table."""
    return session.exec(select(func.count()).select_from(model)).one()


def test_save_run_round_trips_every_field(session: Session) -> None:
    outcome = save(
        session,
        "9001",
        suites=HAND_MADE_SUITES,
        head_sha="0123456789abcdef0123456789abcdef01234567",
        branch="fix/ünïcode",
        url="https://github.com/octo-org/widgets/actions/runs/9001",
        workflow="CI",
        conclusion="failure",
        event="pull_request",
    )
    assert outcome.created
    run_pk = outcome.run.id
    session.expunge_all()  # read back from the database, not the identity map

    run = get_run(session=session, run_pk=run_pk)
    assert run is not None
    assert (run.provider, run.run_id, run.attempt) == ("github", "9001", 1)
    assert run.head_sha == "0123456789abcdef0123456789abcdef01234567"
    assert (run.branch, run.workflow, run.event) == ("fix/ünïcode", "CI", "pull_request")
    assert run.url == "https://github.com/octo-org/widgets/actions/runs/9001"
    assert run.conclusion == "failure"
    assert run.created_at.tzinfo is not None
    assert run.created_at.utcoffset() == UTC.utcoffset(None)

    rows = results_for_run(session=session, run_pk=run_pk)
    assert len(rows) == len(HAND_MADE_CASES)
    for row, case in zip(rows, HAND_MADE_CASES, strict=True):
        assert row.run_pk == run_pk
        assert row.test_id == case.test_id
        stored = CaseResult(
            suite=row.suite,
            classname=row.classname,
            name=row.name,
            outcome=Outcome(row.outcome),
            file=row.file,
            duration=row.duration,
            message=row.message,
            failure_type=row.failure_type,
            details=row.details,
            properties=row.properties,
            system_out=row.system_out,
            system_err=row.system_err,
            reruns=row.reruns,
            flaky=row.flaky,
        )
        assert stored == case
        assert row.flipped is False

    suites = suites_for_run(session=session, run_pk=run_pk)
    assert [(s.name, s.properties, s.tests) for s in suites] == [
        ("unit", {"python": "3.11", "host": "büild-1"}, 2),
        ("integration", {}, 2),
    ]


def test_save_run_with_only_required_fields_stores_nulls(session: Session) -> None:
    run = save(session, "1", cases=[]).run
    assert (run.head_sha, run.branch, run.url, run.workflow, run.conclusion, run.event) == (
        None,
        None,
        None,
        None,
        None,
        None,
    )
    assert (run.tests, run.passed, run.failed, run.errors, run.skipped) == (0, 0, 0, 0, 0)


def test_totals_are_computed_from_cases(session: Session) -> None:
    run = save(session, "1").run
    assert (run.tests, run.passed, run.failed, run.errors, run.skipped) == (4, 1, 1, 1, 1)


def test_second_save_of_same_run_stores_nothing(session: Session) -> None:
    first = save(session, "77", suites=HAND_MADE_SUITES)
    before = (count(session, Run), count(session, CaseResultRow), count(session, SuiteRow))

    def must_not_be_read() -> Iterator[CaseResult]:
        raise AssertionError("cases of an already stored run were consumed")
        yield  # pragma: no cover

    second = save(session, "77", cases=must_not_be_read(), suites=HAND_MADE_SUITES)
    assert second.created is False
    assert second.run.id == first.run.id
    after = (count(session, Run), count(session, CaseResultRow), count(session, SuiteRow))
    assert after == before

    retried = save(session, "77", attempt=2)
    assert retried.created
    assert retried.run.id != first.run.id


def test_same_run_id_in_another_repository_is_another_run(session: Session) -> None:
    first = save(session, "5")
    other = save(session, "5", repo_full_name="someone/else")
    assert other.created
    assert other.run.repository_id != first.run.repository_id


def test_saving_runs_creates_their_repository_once(session: Session) -> None:
    save(session, "1", repo_full_name="a/b")
    save(session, "2", repo_full_name="a/b")
    created = get_repository(session=session, full_name="a/b")
    assert created is not None
    assert count(session, Repository) == 1
    assert created.created_at.tzinfo is not None


def test_20k_generated_cases_stream_in_batches(session: Session) -> None:
    pulled = 0

    def cases() -> Iterator[CaseResult]:
        nonlocal pulled
        for case in generated_cases(20_000):
            pulled += 1
            yield case

    reports: list[tuple[int, int]] = []
    run = save(session, "big", cases=cases(), progress=lambda n: reports.append((n, pulled))).run
    # Each report comes right after its batch: the generator was never read further ahead.
    assert reports == [(5000, 5000), (10000, 10000), (15000, 15000), (20000, 20000)]
    assert (run.tests, run.passed, run.failed) == (20_000, 18_000, 2_000)
    assert count(session, CaseResultRow) == 20_000
    failed = results_for_run(session=session, run_pk=run.id, outcome=Outcome.FAILED)
    assert len(failed) == 2_000
    assert failed[0].name == "test_0"
    assert failed[0].properties == {"i": "0"}


def test_error_while_streaming_stores_nothing(session: Session) -> None:
    def broken() -> Iterator[CaseResult]:
        yield from generated_cases(7_000)
        raise ValueError("truncated XML")

    with pytest.raises(ValueError, match="truncated XML"):
        save(session, "half", cases=broken())
    assert (count(session, Run), count(session, CaseResultRow)) == (0, 0)
    assert save(session, "half").created


@pytest.fixture
def postgres_session(postgres_schema_url: str) -> Iterator[Session]:
    """A session on a freshly migrated PostgreSQL schema (the COPY path)."""
    upgrade(postgres_schema_url)
    engine = make_engine(postgres_schema_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_error_halfway_through_a_postgres_copy_stores_nothing(postgres_session: Session) -> None:
    stored: list[int] = []

    def broken() -> Iterator[CaseResult]:
        # The second COPY is open when this raises; the first one has already finished.
        yield from generated_cases(7_500)
        raise ValueError("truncated XML")

    with pytest.raises(ValueError, match="truncated XML"):
        save(postgres_session, "half", cases=broken(), progress=stored.append)
    assert stored == [5000]
    assert (count(postgres_session, Run), count(postgres_session, CaseResultRow)) == (0, 0)
    assert count(postgres_session, Repository) == 0
    # The connection is usable again and the run can be stored afterwards.
    again = save(postgres_session, "half", cases=generated_cases(7_500))
    assert again.created
    assert count(postgres_session, CaseResultRow) == 7_500


AWKWARD_TEXTS = (
    "tab\there",
    "line one\nline two\r\nwindows\rold mac",
    "back\\slash \\n \\t \\\\ trailing\\",
    "\\N",
    "\\.",
    "\\.\nafter the end-of-data marker",
    "",
    " ",
    "ünïcödé ✓ 日本語 😀 \u2028 \u00a0 \ufeff",
    "quotes ' \" , ; | and \x7f \x01 controls",
)


def test_awkward_text_round_trips_exactly(engine: Engine, session: Session) -> None:
    sent: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    cases = [
        CaseResult(
            suite=text,
            classname=f"c{i}",
            name=f"t{i}{text}",
            outcome=Outcome.FAILED,
            file=text or None,
            duration=[0.1, 1e-7, 12345.678901234, 0.0][i % 4],
            message=text,
            failure_type=text,
            details=f"{text}\n{text}",
            properties={text: text, "k": text} if text else {},
            system_out=text,
            system_err=None if i % 2 else text,
        )
        for i, text in enumerate(AWKWARD_TEXTS)
    ]
    event.listen(engine, "before_cursor_execute", capture)
    try:
        run_pk = save(session, "awkward", cases=cases).run.id
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    if engine.dialect.name == "postgresql":
        # The cases went through COPY, which bypasses SQLAlchemy's cursor events.
        assert not any("INSERT INTO case_results" in s for s in sent)
    session.expunge_all()
    rows = results_for_run(session=session, run_pk=run_pk)
    assert len(rows) == len(cases)
    for row, case in zip(rows, cases, strict=True):
        stored = CaseResult(
            suite=row.suite,
            classname=row.classname,
            name=row.name,
            outcome=Outcome(row.outcome),
            file=row.file,
            duration=row.duration,
            message=row.message,
            failure_type=row.failure_type,
            details=row.details,
            properties=row.properties,
            system_out=row.system_out,
            system_err=row.system_err,
        )
        assert stored == case
        assert row.test_id == case.test_id


def test_list_runs_newest_first_with_limit(session: Session) -> None:
    pks = [save(session, str(n)).run.id for n in range(5)]
    save(session, "elsewhere", repo_full_name="other/repo")
    runs = list_runs(session=session, repo_full_name=REPO, limit=3)
    assert [r.id for r in runs] == pks[::-1][:3]
    assert list_runs(session=session, repo_full_name="nobody/none") == []


def test_one_tests_history_across_three_runs(session: Session) -> None:
    failing = HAND_MADE_CASES[1]
    fixed = CaseResult(
        suite=failing.suite,
        classname=failing.classname,
        name=failing.name,
        outcome=Outcome.PASSED,
        file=failing.file,
    )
    first = save(session, "1", cases=[failing]).run
    second = save(session, "2", cases=[fixed, HAND_MADE_CASES[0]]).run
    third = save(session, "3", cases=[failing]).run
    save(session, "1", repo_full_name="other/repo", cases=[fixed])

    rid = first.repository_id
    history = reads.history(session=session, repository_id=rid, test_id=failing.test_id)
    assert [(h.run.id, h.outcome) for h in history] == [
        (first.id, "failed"),
        (second.id, "passed"),
        (third.id, "failed"),
    ]
    limited = reads.history(session=session, repository_id=rid, test_id=failing.test_id, limit=2)
    assert [h.run.id for h in limited] == [second.id, third.id]


def _query_plans(engine: Engine, session: Session, run_pk: int, test_id: str) -> list[str]:
    """EXPLAIN QUERY PLAN of exactly the SQL the store functions send."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        results_for_run(session=session, run_pk=run_pk)
        results_for_run(session=session, run_pk=run_pk, outcome=Outcome.FAILED)
        repository = get_repository(session=session, full_name=REPO)
        assert repository is not None
        assert repository.id is not None
        reads.history(session=session, repository_id=repository.id, test_id=test_id)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    with engine.connect() as connection:
        for statement, params in sent:
            if "case_results" in statement:
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
                plans.append("\n".join(str(row[-1]) for row in rows))
    return plans


def test_case_queries_use_indexes_on_sqlite(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            run = save(session, "1", cases=generated_cases(2_000)).run
            save(session, "2", cases=generated_cases(2_000))
            plans = _query_plans(engine, session, run.id, "tests/test_mod1.py::test_1")
    finally:
        engine.dispose()
    assert len(plans) == 3
    for plan in plans:
        assert "SCAN case_results" not in plan, plan
        assert "case_results USING INDEX" in plan or "case_results USING COVERING INDEX" in plan
    assert "ix_case_results_run_pk_outcome" in plans[0]
    assert "ix_case_results_run_pk_outcome (run_pk=? AND outcome=?)" in plans[1]
    assert "ix_case_results_test_id_run_pk (test_id=?)" in plans[2]


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sqlmodel import Session

    from bot.core.results import CaseResult, Outcome
    from bot.store.engine import make_engine
    from bot.store.runs import list_runs, save_run

    url, name, signals = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    engine = make_engine(url)
    (signals / f"ready-{name}").touch()
    while not (signals / "go").exists():
        time.sleep(0.01)
    cases = [CaseResult(suite="s", classname="c", name=f"t{i}", outcome=Outcome.PASSED)
             for i in range(300)]
    with Session(engine) as session:
        for i in range(15):
            for run_id in (f"{name}-{i}", f"shared-{i}"):
                save_run(session=session, repo_full_name="race/repo", provider="cli",
                         run_id=run_id, attempt=1, cases=cases, suites=[])
            list_runs(session=session, repo_full_name="race/repo")
    engine.dispose()
    """
)


def test_two_processes_write_one_sqlite_file_concurrently(sqlite_url: str, tmp_path: Path) -> None:
    upgrade(sqlite_url)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, sqlite_url, name, str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{n}").exists() for n in ("a", "b")):
        if time.monotonic() > deadline or any(w.poll() is not None for w in writers):
            break
        time.sleep(0.01)
    (tmp_path / "go").touch()
    results = [w.communicate(timeout=120) for w in writers]
    for writer, (_, stderr) in zip(writers, results, strict=True):
        assert "database is locked" not in stderr
        assert writer.returncode == 0, stderr

    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            runs = list_runs(session=session, repo_full_name="race/repo", limit=100)
            assert len(runs) == 45  # 15 per writer + 15 shared ones stored once
            assert all(r.tests == 300 for r in runs)
            assert count(session, CaseResultRow) == 45 * 300
            assert count(session, Repository) == 1
    finally:
        engine.dispose()
