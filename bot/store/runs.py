"""Runs and their results: one run stored in one transaction, and read back for evaluation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select as sql_select
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from bot.core.evaluate import RunInput
from bot.core.results import CaseResult, Outcome, SuiteResult, Totals
from bot.core.syncstate import run_label
from bot.errors import ConfigurationError
from bot.store import case_rows
from bot.store.models import CaseResultRow, Repository, Run, SuiteRow, table_of, utc_now
from bot.store.repositories import get_repository


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """The stored run, and whether this call created it (False: it was already there)."""

    run: Run
    created: bool


def _insert_or_ignore(
    session: Session, model: type[SQLModel], values: Mapping[str, Any], keys: Sequence[str]
) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new id, or None if `keys` clashed.

    Race-free on both backends without savepoints (which pysqlite handles poorly).
    """
    table = table_of(model)
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


def _repository_id(session: Session, full_name: str) -> int:
    """The repository's id, inserting it if missing; does not commit."""
    repository = get_repository(session=session, full_name=full_name)
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
        previous = case_rows.previous_run_pk(session, repository_id, run_pk, started)
        totals = case_rows.insert_cases(session, run_pk, previous, cases, progress)
        case_rows.insert_suites(session, run_pk, suites)
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


def run_input(*, session: Session, run: Run) -> RunInput:
    """A stored run as the evaluation reads it: the one builder the sync and dashboard share."""
    assert run.id is not None
    return RunInput(
        cases=_cases(session, run.id),
        suites=_suites(session, run.id),
        label=run_label(run.run_id, run.attempt),
        url=run.url,
    )


def _cases(session: Session, run_pk: int) -> list[CaseResult]:
    """A run's results as plain data, read column by column (no ORM objects built)."""
    columns: list[Any] = [
        CaseResultRow.suite,
        CaseResultRow.classname,
        CaseResultRow.name,
        CaseResultRow.outcome,
        CaseResultRow.file,
        CaseResultRow.duration,
        CaseResultRow.message,
        CaseResultRow.failure_type,
        CaseResultRow.details,
        CaseResultRow.properties,
        CaseResultRow.reruns,
        CaseResultRow.flaky,
    ]
    query = (
        sql_select(*columns)
        .where(col(CaseResultRow.run_pk) == run_pk)
        .order_by(col(CaseResultRow.id))
    )
    outcomes = {o.value: o for o in Outcome}
    return [
        CaseResult(
            suite=suite,
            classname=classname,
            name=name,
            outcome=outcomes[outcome],
            file=file,
            duration=duration,
            message=message,
            failure_type=failure_type,
            details=details,
            properties=properties or {},
            reruns=reruns,
            flaky=flaky,
        )
        for (
            suite,
            classname,
            name,
            outcome,
            file,
            duration,
            message,
            failure_type,
            details,
            properties,
            reruns,
            flaky,
        ) in session.execute(query)
    ]


def _suites(session: Session, run_pk: int) -> list[SuiteResult]:
    """A run's suites with their properties."""
    query = select(SuiteRow).where(SuiteRow.run_pk == run_pk).order_by(col(SuiteRow.id))
    return [
        SuiteResult(name=s.name, properties=dict(s.properties or {}), tests=s.tests)
        for s in session.exec(query)
    ]


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
