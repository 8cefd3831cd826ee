"""A run's case and suite rows, written fast: COPY on PostgreSQL, executemany on SQLite.

Each case row carries whether the test flipped (passed <-> failed) since the repository's
previous run, computed at ingest so the dashboard's flake ranking reads one column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

import psycopg
from sqlalchemy import Connection, Table, insert, or_
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session, col, select

from bot.core.results import CaseResult, Outcome, SuiteResult, Totals
from bot.errors import ConfigurationError
from bot.store.models import CaseResultRow, Run, SuiteRow, table_of

# Rows per executemany or COPY: large enough to amortise round trips, small enough to stream.
BATCH_SIZE = 5000


_CASE_COLUMNS = (
    "run_pk",
    "test_id",
    "suite",
    "classname",
    "name",
    "file",
    "outcome",
    "duration",
    "message",
    "failure_type",
    "details",
    "system_out",
    "system_err",
    "properties",
    "reruns",
    "flaky",
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


def previous_run_pk(
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


def insert_cases(
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
    compiled = _compiled_insert(connection, table_of(CaseResultRow), _CASE_COLUMNS)
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


def insert_suites(session: Session, run_pk: int, suites: Iterable[SuiteResult]) -> None:
    statement = insert(table_of(SuiteRow))
    connection = session.connection()
    iterator = iter(suites)
    while batch := list(islice(iterator, BATCH_SIZE)):
        rows = [
            {"run_pk": run_pk, "name": s.name, "properties": s.properties, "tests": s.tests}
            for s in batch
        ]
        connection.execute(statement, rows)
