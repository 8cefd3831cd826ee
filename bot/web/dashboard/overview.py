"""The overview's data: every readable repository, its issues, how far along each one is."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import quote

from sqlmodel import Session

from bot.store import reads
from bot.store.models import Repository, Run, TrackedIssue
from bot.web.dashboard.rows import config_of, header_fields, qualifying_runs, run_point
from bot.web.dashboard.views import IssueRow, Overview, RepositoryRow

TREND_EPSILON = 0.001  # pass-rate changes smaller than this are "flat"


def overview(*, session: Session, web: str, readable: Collection[str] | None) -> Overview:
    """Repositories (those in `readable`, or all when None) and their issues with progress."""
    repos = reads.repositories(session=session, names=readable)
    by_id = {r.id: r for r in repos if r.id is not None}
    rows: dict[int, list[IssueRow]] = {i: [] for i in by_id}
    recent: dict[int, list[Run]] = {}
    for issue in reads.issues(session=session, repository_ids=list(by_id)):
        repository = by_id[issue.repository_id]
        if issue.repository_id not in recent:
            recent[issue.repository_id] = _newest_two(session, repository)
        rows[issue.repository_id].append(
            _issue_row(web, repository, issue, recent[issue.repository_id])
        )
    return Overview(
        repositories=[
            RepositoryRow(
                full_name=r.full_name,
                runs_url=f"{web}{quote(r.full_name)}/actions",
                issues=rows[r.id],
            )
            for r in repos
            if r.id is not None
        ]
    )


def _newest_two(session: Session, repository: Repository) -> list[Run]:
    config, _ = config_of(repository)
    return qualifying_runs(session=session, repository=repository, config=config, limit=2)


def _issue_row(web: str, repository: Repository, issue: TrackedIssue, last: list[Run]) -> IssueRow:
    return IssueRow(
        **header_fields(web, repository, issue),
        last_run=run_point(last[-1]) if last else None,
        trend=trend(last),
    )


def trend(runs: list[Run]) -> str | None:
    """up, down or flat: the newest run's pass rate against the one before."""
    if len(runs) < 2:
        return None
    before, after = run_point(runs[-2]).pass_rate, run_point(runs[-1]).pass_rate
    if before is None or after is None:
        return None
    if after > before + TREND_EPSILON:
        return "up"
    return "down" if after < before - TREND_EPSILON else "flat"
