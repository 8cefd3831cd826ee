"""The inputs the gate and PR feedback share: a stored run, and the tracked issues' plans."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.core import reconcile
from bot.core.gate import TrackedPlan
from bot.core.repoconfig import RepoConfig
from bot.github import web_url
from bot.store import issue_rules, repositories
from bot.store.models import Repository, Run
from bot.store.runs import get_run
from bot.worker.context import Context, repo_config


def stored_run(
    context: Context, session: Session, payload: dict[str, Any]
) -> tuple[Repository, RepoConfig, Run | None]:
    """The job's repository, its configuration, and the stored run it names (`run_pk`)."""
    repository = repositories.upsert_repository(session=session, full_name=payload["repo"])
    config, _ = repo_config(context, session, repository, payload.get("installation_id"))
    return repository, config, get_run(session=session, run_pk=int(payload["run_pk"]))


def tracked_plans(
    context: Context, session: Session, repository: Repository, config: RepoConfig
) -> list[TrackedPlan]:
    """The plans of the repository's open tracked issues, with their rules."""
    plans = []
    for issue in repositories.tracked_issues(session=session, repository=repository):
        if issue.body is None:
            continue
        stored = issue_rules.stored_rules(session=session, issue=issue)
        plans.append(
            TrackedPlan(
                number=issue.number,
                title=issue.title,
                plan=reconcile.read_plan(issue.body, config, stored.item_rules),
                map_rules=[*config.map_rules(), *stored.map_rules],
                ignore=[*config.ignore, *stored.ignore],
                url=web_url(
                    context.settings.github_api_url,
                    f"{repository.full_name}/issues/{issue.number}",
                ),
            )
        )
    return plans
