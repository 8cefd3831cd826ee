"""Stored rows as every dashboard view shows them: a run's point, an issue's header.

Also which runs count for a repository's issues, decided as the worker decides it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlmodel import Session

from bot.core import checklist
from bot.core.repoconfig import RepoConfig, parse_or_default
from bot.store import repositories
from bot.store.models import Repository, Run, TrackedIssue
from bot.web.dashboard.views import RunPoint


def run_point(run: Run) -> RunPoint:
    """A run as the views show it."""
    assert run.id is not None
    executed = run.tests - run.skipped
    return RunPoint(
        id=run.id,
        run_id=run.run_id,
        attempt=run.attempt,
        branch=run.branch,
        head_sha=run.head_sha,
        # Upload API callers choose this URL: only web links, never `javascript:`.
        url=run.url if run.url and run.url.startswith(("https://", "http://")) else None,
        created_at=run.created_at,
        tests=run.tests,
        passed=run.passed,
        failed=run.failed,
        errors=run.errors,
        skipped=run.skipped,
        pass_rate=run.passed / executed if executed else None,
    )


def header_fields(web: str, repository: Repository, issue: TrackedIssue) -> dict[str, Any]:
    """The IssueHeader fields of an issue (`web`: GitHub's web root)."""
    done, total = _progress(issue)
    return {
        "repository": repository.full_name,
        "number": issue.number,
        "title": issue.title,
        "state": issue.state,
        "tracked": issue.tracked,
        "url": issue_url(web, repository.full_name, issue.number),
        "items_done": done,
        "items_total": total,
    }


def _progress(issue: TrackedIssue) -> tuple[int, int]:
    boxes = checklist.find_checkboxes(issue.desired_body or issue.body or "")
    return sum(b.checked for b in boxes), len(boxes)


def issue_url(web: str, repository: str, number: int) -> str:
    """The issue on GitHub."""
    return f"{web}{quote(repository)}/issues/{number}"


def config_of(repository: Repository) -> tuple[RepoConfig, str | None]:
    """The repository's cached configuration, and any problem reading it."""
    return parse_or_default(repository.config_text)


def qualifying_runs(
    *, session: Session, repository: Repository, config: RepoConfig, limit: int
) -> list[Run]:
    """The newest runs of the branches that tick boxes (as the worker decides), oldest first."""
    branches = config.branches_or_default(repository.default_branch)
    return repositories.qualifying_runs(
        session=session, repository=repository, branches=branches, limit=limit
    )
