"""Every read query of the dashboard and its JSON API: keyword-only functions over a Session.

Each one is answered from an index (tests/test_queries.py runs SQLite's EXPLAIN QUERY PLAN
on all of them and fails on a full scan of `runs` or `case_results`). Pass rates come from
the totals stored on each run, never from counting results; flake ranking reads only the
rows flagged `flipped` at ingest (through a partial index), so neither grows with history.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.store.models import CaseResultRow, Delivery, Job, Repository, Run, TrackedIssue


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


def issues(*, session: Session, repository_ids: Collection[int]) -> list[TrackedIssue]:
    """The issues of these repositories, by repository then number."""
    query = (
        select(TrackedIssue)
        .where(col(TrackedIssue.repository_id).in_(list(repository_ids)))
        .order_by(col(TrackedIssue.repository_id), col(TrackedIssue.number))
    )
    return list(session.exec(query))


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
