"""Job handler: open a drafted, tracked issue for a red run's failures that no issue covers.

Shell module around `bot.core.opening` (whether, and for which failures) and
`bot.core.draft` (the body). Only with `open_issues: true`, for runs of the default branch,
never for forks; the new issue carries the tracking label and goes to the failing files'
CODEOWNERS. A sync of the new issue follows at once, so its summary comment is there too.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from bot.core import draft, opening, reconcile
from bot.core.repoconfig import RepoConfig
from bot.github import GitHubAPI
from bot.store import repositories
from bot.store.models import Repository, Run, utc_now
from bot.store.runs import get_run, run_input
from bot.worker.context import Context, load_config
from bot.worker.issues import sync_issue

log = logging.getLogger(__name__)


def on_open_issue(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """Decide on one run and, when it asks for one, open its issue and sync it."""
    repository = repositories.get_repository(session=session, full_name=payload["repo"])
    run = get_run(session=session, run_pk=int(payload["run_pk"]))
    if repository is None or run is None or not context.github.online:
        return
    default_branch = repository.default_branch or "main"
    if run.branch != default_branch:
        return  # only the default branch's failures get issues
    installation_id = payload.get("installation_id") or repository.installation_id
    with context.github.client(installation_id) as gh:
        config, _ = load_config(session, gh, repository)
        if not config.open_issues:
            return
        number = _open(session, gh, repository, run, default_branch, config)
    if number is not None:
        sync_issue(context, session, {**payload, "number": number})


def _open(
    session: Session,
    gh: GitHubAPI,
    repository: Repository,
    run: Run,
    branch: str,
    config: RepoConfig,
) -> int | None:
    """The issue's number once opened and recorded, or None when the run asks for none."""
    newest = run_input(session=session, run=run)
    tracked = repositories.tracked_issues(session=session, repository=repository)
    plans = [reconcile.read_plan(issue.body or "", config) for issue in tracked]
    covered = {s for issue in tracked for s in issue.covers}
    covered |= opening.covered_by_plans(newest, plans)
    head = run.head_repository
    decision, why = opening.decide(
        newest,
        covered=covered,
        opened_today=repositories.opened_since(
            session=session, repository=repository, since=utc_now() - timedelta(days=1)
        ),
        per_day=config.open_issues_per_day,
        from_fork=bool(head) and head != repository.full_name,
    )
    log.info("open_issues: %s", why, extra={"repository": repository.full_name})
    if decision is None:
        return None
    title = opening.title(decision, branch)
    body = draft.render(decision.run, title=title)
    found = (gh.get_file(repository.full_name, path) for path in opening.CODEOWNERS_PATHS)
    codeowners = next((text for text in found if text), None)
    assignees = opening.owners(codeowners, decision.paths) if codeowners else []
    number = gh.create_issue(
        repository.full_name, title, body, labels=[config.label], assignees=assignees[:10]
    )
    repositories.record_opened_issue(
        session=session,
        repository=repository,
        number=number,
        title=title,
        body=body,
        covers=decision.signatures,
    )
    log.info(
        "opened issue #%s for %d failure signatures",
        number,
        len(decision.signatures),
        extra={"repository": repository.full_name, "issue": number},
    )
    return number
