"""Every read query of the dashboard and its JSON API: keyword-only functions over a Session.

Each one is answered from an index (tests/test_queries.py runs SQLite's EXPLAIN QUERY PLAN
on all of them and fails on a full scan of `runs` or `case_results`). Pass rates come from
the totals stored on each run, never from counting results; flake ranking reads only the
rows flagged `flipped` at ingest (through a partial index), so neither grows with history.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.core.results import CaseResult, Outcome, SuiteResult
from bot.store.models import CaseResultRow, Delivery, Job, Repository, Run, SuiteRow, TrackedIssue

# The evaluation reads a failure's details only this far (bot.mapping.place).
DETAILS_READ = 2000


@dataclass(frozen=True, slots=True)
class Flake:
    """A test whose pass/fail state changed between runs, and how often."""

    test_id: str
    flips: int
    runs: int

    @property
    def rate(self) -> float:
        """Flips per chance to flip (consecutive pairs of runs the test ran in)."""
        return self.flips / max(self.runs - 1, 1)


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One test's result in one run."""

    run: Run
    outcome: str
    duration: float | None
    message: str | None


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def repositories(*, session: Session, names: Collection[str] | None = None) -> list[Repository]:
    """Repositories by name (all of them when `names` is None)."""
    query = select(Repository).order_by(col(Repository.full_name))
    if names is not None:
        query = query.where(col(Repository.full_name).in_(list(names)))
    return list(session.exec(query))


def repository(*, session: Session, full_name: str) -> Repository | None:
    """A repository by OWNER/NAME."""
    return session.exec(select(Repository).where(Repository.full_name == full_name)).first()


def issues(*, session: Session, repository_ids: Collection[int]) -> list[TrackedIssue]:
    """The issues of these repositories, by repository then number."""
    query = (
        select(TrackedIssue)
        .where(col(TrackedIssue.repository_id).in_(list(repository_ids)))
        .order_by(col(TrackedIssue.repository_id), col(TrackedIssue.number))
    )
    return list(session.exec(query))


def issue(*, session: Session, repository_id: int, number: int) -> TrackedIssue | None:
    """One issue of a repository."""
    query = select(TrackedIssue).where(
        TrackedIssue.repository_id == repository_id, TrackedIssue.number == number
    )
    return session.exec(query).first()


def runs(
    *,
    session: Session,
    repository: Repository,
    branches: Sequence[str] | None = None,
    limit: int = 200,
) -> list[Run]:
    """The repository's newest runs (only these branches, no forks, when given), oldest first."""
    query = select(Run).where(Run.repository_id == repository.id)
    if branches is not None:
        query = query.where(col(Run.branch).in_(list(branches))).where(
            (col(Run.head_repository).is_(None))
            | (col(Run.head_repository) == repository.full_name)
        )
    query = query.order_by(col(Run.created_at).desc(), col(Run.id).desc()).limit(limit)
    return list(reversed(session.exec(query).all()))


def run_cases(*, session: Session, run_pk: int) -> list[CaseResult]:
    """A run's results as the evaluation reads them (large text columns left out or cut)."""
    columns: list[Any] = [
        CaseResultRow.suite,
        CaseResultRow.classname,
        CaseResultRow.name,
        CaseResultRow.outcome,
        CaseResultRow.file,
        CaseResultRow.duration,
        CaseResultRow.message,
        CaseResultRow.failure_type,
        func.substr(CaseResultRow.details, 1, DETAILS_READ),
        CaseResultRow.properties,
        CaseResultRow.reruns,
        CaseResultRow.flaky,
    ]
    query = (
        sa.select(*columns)
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


def run_suites(*, session: Session, run_pk: int) -> list[SuiteResult]:
    """A run's suites with their properties."""
    query = select(SuiteRow).where(SuiteRow.run_pk == run_pk).order_by(col(SuiteRow.id))
    return [
        SuiteResult(name=s.name, properties=dict(s.properties or {}), tests=s.tests)
        for s in session.exec(query)
    ]


def flakiest(
    *, session: Session, run_pks: Sequence[int], limit: int = 20, min_flips: int = 2
) -> list[Flake]:
    """The tests that flipped most often within these runs, most flips first.

    One flip is a fix or a regression; flaky takes at least `min_flips` (there and back).
    """
    if not run_pks:
        return []
    # SQLite's planner (no statistics) reads the window through (run_pk, outcome), every row
    # of 200 runs, 10x slower than the partial index of flips it is told to use here.
    # The literal condition of the partial index (a bound parameter would not match it).
    if _dialect(session) == "sqlite":
        source = "case_results INDEXED BY ix_case_results_flipped WHERE flipped = 1"
    else:
        source = "case_results WHERE flipped"
    query = sa.text(
        f"SELECT test_id, count(*) AS flips FROM {source} AND run_pk IN :runs "  # noqa: S608
        "GROUP BY test_id HAVING count(*) >= :min_flips ORDER BY flips DESC, test_id LIMIT :limit"
    ).bindparams(sa.bindparam("runs", expanding=True))
    rows = session.execute(query, {"runs": list(run_pks), "limit": limit, "min_flips": min_flips})
    top = [(str(test_id), int(count)) for test_id, count in rows]
    if not top:
        return []
    seen = dict(
        session.exec(
            select(CaseResultRow.test_id, func.count(func.distinct(CaseResultRow.run_pk)))
            .where(col(CaseResultRow.test_id).in_([t for t, _ in top]))
            .where(col(CaseResultRow.run_pk).in_(list(run_pks)))
            .group_by(col(CaseResultRow.test_id))
        ).all()
    )
    return [Flake(test_id=t, flips=n, runs=int(seen.get(t, n + 1))) for t, n in top]


def history(
    *, session: Session, repository_id: int, test_id: str, limit: int = 200
) -> list[HistoryPoint]:
    """One test's results in the repository's newest `limit` runs it ran in, oldest first."""
    query = (
        select(Run, CaseResultRow.outcome, CaseResultRow.duration, CaseResultRow.message)
        .join(CaseResultRow, col(CaseResultRow.run_pk) == col(Run.id))
        .where(CaseResultRow.test_id == test_id, Run.repository_id == repository_id)
        .order_by(col(Run.created_at).desc(), col(Run.id).desc())
        .limit(limit)
    )
    points = [
        HistoryPoint(run=run, outcome=outcome, duration=duration, message=message)
        for run, outcome, duration, message in session.exec(query)
    ]
    return points[::-1]


def recent_deliveries(*, session: Session, limit: int = 50) -> list[Delivery]:
    """The newest webhook deliveries first."""
    return list(session.exec(select(Delivery).order_by(col(Delivery.id).desc()).limit(limit)))


def recent_jobs(*, session: Session, status: str | None = None, limit: int = 50) -> list[Job]:
    """The newest jobs first, optionally of one status (`dead`: the dead letters)."""
    query = select(Job).order_by(col(Job.id).desc()).limit(limit)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.exec(query))


def retrying_jobs(*, session: Session, limit: int = 50) -> list[Job]:
    """Queued jobs that failed before and wait for their next attempt, soonest first."""
    query = (
        select(Job)
        .where(Job.status == "queued", col(Job.attempts) > 0)
        .order_by(col(Job.run_after))
        .limit(limit)
    )
    return list(session.exec(query))


def job_counts(*, session: Session) -> dict[str, int]:
    """Jobs per status."""
    query = select(Job.status, func.count()).group_by(col(Job.status))
    return {status: int(count) for status, count in session.exec(query)}
