"""Every query and write of the store: the only module that touches database sessions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, cast

import psycopg
from sqlalchemy import Connection, Table, insert, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session, SQLModel, col, select

from bot.core.evaluate import RunInput
from bot.core.results import CaseResult, Outcome, SuiteResult, Totals
from bot.errors import ConfigurationError
from bot.store.models import CaseResultRow, Repository, Run, SuiteRow, utc_now

# Rows per executemany or COPY: large enough to amortise round trips, small enough to stream.
BATCH_SIZE = 5000


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """The stored run, and whether this call created it (False: it was already there)."""

    run: Run
    created: bool


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One test's result in one run, for a test's history across runs."""

    run: Run
    result: CaseResultRow


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _insert_or_ignore(
    session: Session, model: type[SQLModel], values: Mapping[str, Any], keys: Sequence[str]
) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new id, or None if `keys` clashed.

    Race-free on both backends without savepoints (which pysqlite handles poorly).
    """
    table = _table(model)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg_insert = postgresql.insert(table).values(values)
        stmt = pg_insert.on_conflict_do_nothing(index_elements=keys).returning(table.c.id)
    elif dialect == "sqlite":
        lite_insert = sqlite.insert(table).values(values)
        stmt = lite_insert.on_conflict_do_nothing(index_elements=keys).returning(table.c.id)
    else:
        raise ConfigurationError(
            f"DATABASE_URL names a {dialect} database; the store supports SQLite and PostgreSQL"
        )
    return cast(int | None, session.connection().execute(stmt).scalar_one_or_none())


def _find_repository(session: Session, full_name: str) -> Repository | None:
    return session.exec(select(Repository).where(Repository.full_name == full_name)).first()


def _repository_id(session: Session, full_name: str) -> int:
    """The repository's id, inserting it if missing; does not commit."""
    repository = _find_repository(session, full_name)
    if repository is not None and repository.id is not None:
        return repository.id
    new_id = _insert_or_ignore(
        session, Repository, {"full_name": full_name, "created_at": utc_now()}, ["full_name"]
    )
    if new_id is not None:
        return new_id
    # Another writer inserted it between our select and insert.
    statement = select(Repository.id).where(Repository.full_name == full_name)
    return cast(int, session.exec(statement).one())


def get_or_create_repository(*, session: Session, full_name: str) -> Repository:
    """The repository named `owner/name`, created (and committed) if it is new."""
    repository_id = _repository_id(session, full_name)
    session.commit()
    return session.get_one(Repository, repository_id)


def _find_run(
    session: Session, repo_full_name: str, provider: str, run_id: str, attempt: int
) -> Run | None:
    statement = (
        select(Run)
        .join(Repository, col(Repository.id) == col(Run.repository_id))
        .where(
            Repository.full_name == repo_full_name,
            Run.provider == provider,
            Run.run_id == run_id,
            Run.attempt == attempt,
        )
    )
    return session.exec(statement).first()


# Column order of the tuples `_case_row` builds.
# fmt: off
_CASE_COLUMNS = (
    "run_pk", "test_id", "suite", "classname", "name", "file", "outcome", "duration", "message",
    "failure_type", "details", "system_out", "system_err", "properties", "reruns", "flaky",
    "flipped",
)
# fmt: on


def _case_row(run_pk: int, case: CaseResult, flipped: bool) -> tuple[Any, ...]:
    # Values already in driver form (JSON text, plain str), since SQLAlchemy's per-row bind
    # processing is skipped; most cases have no properties, so skip json.dumps for those.
    properties = case.properties
    return (
        run_pk,
        case.test_id,
        case.suite,
        case.classname,
        case.name,
        case.file,
        str(case.outcome),
        case.duration,
        case.message,
        case.failure_type,
        case.details,
        case.system_out,
        case.system_err,
        json.dumps(properties) if properties else "{}",
        case.reruns,
        case.flaky,
        flipped,
    )


_FAILING = frozenset((Outcome.FAILED.value, Outcome.ERROR.value))


def _failing(outcome: str) -> bool | None:
    """Pass/fail state of an outcome; None for skipped (a skip neither passes nor fails)."""
    if outcome in _FAILING:
        return True
    return False if outcome == Outcome.PASSED.value else None


def _previous_run_pk(
    session: Session, repository_id: int, run_pk: int, started: datetime
) -> int | None:
    """The repository's newest run that started before this one (ties: the lower id)."""
    statement = (
        select(Run.id)
        .where(
            Run.repository_id == repository_id,
            or_(
                col(Run.created_at) < started,
                (col(Run.created_at) == started) & (col(Run.id) < run_pk),
            ),
        )
        .order_by(col(Run.created_at).desc(), col(Run.id).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def _flips(session: Session, previous: int | None, batch: Sequence[CaseResult]) -> list[bool]:
    """For each case: did its pass/fail state change since the previous run? One query.

    A test absent from the previous run, or skipped in either, has not flipped.
    """
    if previous is None:
        return [False] * len(batch)
    ids = list({case.test_id for case in batch})
    rows = session.connection().execute(
        select(CaseResultRow.test_id, CaseResultRow.outcome).where(
            CaseResultRow.run_pk == previous, col(CaseResultRow.test_id).in_(ids)
        )
    )
    before: dict[str, bool | None] = {}
    for test_id, outcome in rows:
        # A test that ran twice counts as failing if either failed (as the evaluation does).
        state = _failing(outcome)
        if before.get(test_id) is not True:
            before[test_id] = state if state is not None else before.get(test_id)
    flips = []
    for case in batch:
        then, now = before.get(case.test_id), _failing(case.outcome.value)
        flips.append(then is not None and now is not None and then != now)
    return flips


def _compiled_insert(connection: Connection, table: Table, columns: Sequence[str]) -> SQLCompiler:
    """Core INSERT of `columns` compiled once for this connection's dialect."""
    statement = insert(table)
    compiled = statement.compile(dialect=connection.dialect, column_keys=columns)
    if compiled.positiontup is not None and tuple(compiled.positiontup) != tuple(columns):
        raise RuntimeError(f"unexpected bind order: {compiled.positiontup}")
    return compiled


def _insert_cases(
    session: Session,
    run_pk: int,
    previous: int | None,
    cases: Iterable[CaseResult],
    progress: Callable[[int], None] | None,
) -> Totals:
    """Insert cases in batches of BATCH_SIZE, consuming `cases` lazily; return the totals.

    PostgreSQL gets one COPY per batch, SQLite an executemany per batch. Either way the
    rows go into the session's open transaction, so a rollback undoes them all.
    """
    totals = Totals()
    iterator = iter(cases)
    if session.get_bind().dialect.name == "postgresql":
        _copy_cases(session, run_pk, previous, iterator, totals, progress)
    else:
        _executemany_cases(session, run_pk, previous, iterator, totals, progress)
    return totals


def _executemany_cases(
    session: Session,
    run_pk: int,
    previous: int | None,
    iterator: Iterator[CaseResult],
    totals: Totals,
    progress: Callable[[int], None] | None,
) -> None:
    """The Core INSERT compiled once, each batch sent to the driver's executemany as tuples.

    SQLAlchemy's per-row parameter processing cost 3x the insert itself on SQLite (53k
    rows/s through Connection.execute against 150k+ through the driver).
    """
    connection = session.connection()
    compiled = _compiled_insert(connection, _table(CaseResultRow), _CASE_COLUMNS)
    sql, positional = str(compiled), compiled.positiontup is not None
    count = totals.count
    while batch := list(islice(iterator, BATCH_SIZE)):
        rows = []
        for case, flipped in zip(batch, _flips(session, previous, batch), strict=True):
            count(case.outcome)
            rows.append(_case_row(run_pk, case, flipped))
        if positional:
            connection.exec_driver_sql(sql, rows)
        else:  # named paramstyle (psycopg's pyformat)
            connection.exec_driver_sql(
                sql, [dict(zip(_CASE_COLUMNS, r, strict=True)) for r in rows]
            )
        if progress is not None:
            progress(totals.tests)


_COPY_CASES = f"COPY case_results ({', '.join(_CASE_COLUMNS)}) FROM STDIN"


def _copy_cases(
    session: Session,
    run_pk: int,
    previous: int | None,
    iterator: Iterator[CaseResult],
    totals: Totals,
    progress: Callable[[int], None] | None,
) -> None:
    """Send each batch through COPY on the session's own psycopg connection.

    COPY ran 100k rows at ~4x the rate of executemany. A batch is read before its COPY
    opens (its flip query cannot run inside a COPY); an error raised by `cases` leaves the
    caller's rollback to discard the earlier batches. Text format: psycopg escapes tabs,
    newlines and backslashes, and the JSON column parses the properties text.
    """
    driver = session.connection().connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise ConfigurationError(
            f"PostgreSQL URLs need the psycopg 3 driver, not {type(driver).__name__}: "
            "write postgresql://... (or postgresql+psycopg://...)"
        )
    count = totals.count
    with driver.cursor() as cursor:
        while batch := list(islice(iterator, BATCH_SIZE)):
            flips = _flips(session, previous, batch)
            with cursor.copy(_COPY_CASES) as copy:
                write_row = copy.write_row
                for case, flipped in zip(batch, flips, strict=True):
                    count(case.outcome)
                    write_row(_case_row(run_pk, case, flipped))
            if progress is not None:
                progress(totals.tests)


def _insert_suites(session: Session, run_pk: int, suites: Iterable[SuiteResult]) -> None:
    statement = insert(_table(SuiteRow))
    connection = session.connection()
    iterator = iter(suites)
    while batch := list(islice(iterator, BATCH_SIZE)):
        rows = [
            {"run_pk": run_pk, "name": s.name, "properties": s.properties, "tests": s.tests}
            for s in batch
        ]
        connection.execute(statement, rows)


def save_run(
    *,
    session: Session,
    repo_full_name: str,
    provider: str,
    run_id: str,
    attempt: int,
    cases: Iterable[CaseResult],
    suites: Iterable[SuiteResult],
    head_sha: str | None = None,
    branch: str | None = None,
    url: str | None = None,
    workflow: str | None = None,
    conclusion: str | None = None,
    event: str | None = None,
    head_repository: str | None = None,
    started_at: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> SaveOutcome:
    """Store one run with its cases and suites in one transaction, and commit.

    Idempotent on (repository, provider, run_id, attempt): when that run exists, nothing is
    stored, `cases` is not consumed, and the existing run comes back with created=False.
    `progress` gets the number of cases stored so far after each batch. On any error
    (including one raised by the `cases` iterable) the transaction is rolled back.
    """
    existing = _find_run(session, repo_full_name, provider, run_id, attempt)
    if existing is not None:
        return SaveOutcome(run=existing, created=False)
    try:
        repository_id = _repository_id(session, repo_full_name)
        # When the run started, so a late-arriving old run sorts before newer ones.
        started = started_at or utc_now()
        run_values = {
            "repository_id": repository_id,
            "provider": provider,
            "run_id": run_id,
            "attempt": attempt,
            "head_sha": head_sha,
            "branch": branch,
            "workflow": workflow,
            "event": event,
            "url": url,
            "conclusion": conclusion,
            **Totals().as_dict(),
            "head_repository": head_repository,
            "created_at": started,
        }
        run_pk = _insert_or_ignore(
            session, Run, run_values, ["repository_id", "provider", "run_id", "attempt"]
        )
        if run_pk is None:
            # A concurrent save of the same run committed first.
            session.rollback()
            raced = _find_run(session, repo_full_name, provider, run_id, attempt)
            assert raced is not None
            return SaveOutcome(run=raced, created=False)
        previous = _previous_run_pk(session, repository_id, run_pk, started)
        totals = _insert_cases(session, run_pk, previous, cases, progress)
        _insert_suites(session, run_pk, suites)
        session.exec(update(Run).where(col(Run.id) == run_pk).values(**totals.as_dict()))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return SaveOutcome(run=session.get_one(Run, run_pk), created=True)


def list_runs(*, session: Session, repo_full_name: str, limit: int = 50) -> list[Run]:
    """The repository's last `limit` runs, newest first."""
    statement = (
        select(Run)
        .join(Repository, col(Repository.id) == col(Run.repository_id))
        .where(Repository.full_name == repo_full_name)
        .order_by(col(Run.created_at).desc(), col(Run.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())


def get_run(*, session: Session, run_pk: int) -> Run | None:
    """The run with this primary key, or None."""
    return session.get(Run, run_pk)


def results_for_run(
    *, session: Session, run_pk: int, outcome: Outcome | None = None
) -> list[CaseResultRow]:
    """The run's case results in file order, optionally only those with one outcome."""
    statement = select(CaseResultRow).where(CaseResultRow.run_pk == run_pk)
    if outcome is not None:
        statement = statement.where(CaseResultRow.outcome == outcome.value)
    return list(session.exec(statement.order_by(col(CaseResultRow.id))).all())


def suites_for_run(*, session: Session, run_pk: int) -> list[SuiteRow]:
    """The run's suites in file order."""
    statement = select(SuiteRow).where(SuiteRow.run_pk == run_pk).order_by(col(SuiteRow.id))
    return list(session.exec(statement).all())


def history_for_test(
    *, session: Session, repo_full_name: str, test_id: str, limit: int = 200
) -> list[HistoryEntry]:
    """One test's results across the repository's runs, newest run first."""
    statement = (
        select(Run, CaseResultRow)
        .join(CaseResultRow, col(CaseResultRow.run_pk) == col(Run.id))
        .join(Repository, col(Repository.id) == col(Run.repository_id))
        .where(Repository.full_name == repo_full_name, CaseResultRow.test_id == test_id)
        .order_by(col(Run.created_at).desc(), col(Run.id).desc())
        .limit(limit)
    )
    return [HistoryEntry(run=run, result=row) for run, row in session.exec(statement).all()]


def run_input(*, session: Session, run: Run) -> RunInput:
    """A stored run as the evaluation reads it (cases and suites back as plain data)."""
    assert run.id is not None
    cases = [
        CaseResult(
            suite=row.suite,
            classname=row.classname,
            name=row.name,
            outcome=Outcome(row.outcome),
            file=row.file,
            duration=row.duration,
            message=row.message,
            failure_type=row.failure_type,
            details=row.details,
            properties=dict(row.properties or {}),
            reruns=row.reruns,
            flaky=row.flaky,
        )
        for row in results_for_run(session=session, run_pk=run.id)
    ]
    suites = [
        SuiteResult(name=s.name, properties=dict(s.properties or {}), tests=s.tests)
        for s in suites_for_run(session=session, run_pk=run.id)
    ]
    label = f"run {run.run_id}" + (f" (attempt {run.attempt})" if run.attempt > 1 else "")
    return RunInput(cases=cases, suites=suites, label=label, url=run.url)


def outcome_maps(*, session: Session, run_pks: Sequence[int]) -> list[dict[str, Outcome]]:
    """Each run's worst outcome per test id, in the order given (for flakiness over runs)."""
    rank = {Outcome.FAILED: 3, Outcome.ERROR: 2, Outcome.PASSED: 1, Outcome.SKIPPED: 0}
    maps: dict[int, dict[str, Outcome]] = {pk: {} for pk in run_pks}
    query = select(
        col(CaseResultRow.run_pk), col(CaseResultRow.test_id), col(CaseResultRow.outcome)
    ).where(col(CaseResultRow.run_pk).in_(list(run_pks)))
    for run_pk, test_id, raw in session.execute(query):
        outcome = Outcome(raw)
        seen = maps[run_pk].get(test_id)
        if seen is None or rank[outcome] > rank[seen]:
            maps[run_pk][test_id] = outcome
    return [maps[pk] for pk in run_pks]
