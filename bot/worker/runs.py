"""Job handlers for CI runs: a completed workflow run's artifacts, and runs uploaded by API."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.events import JobKind
from bot.core.junit import Report, artifacts
from bot.core.repoconfig import RepoConfig
from bot.errors import ArtifactError, GitHubNotFound
from bot.github import GitHubAPI
from bot.store import queue, repositories
from bot.store.ingest import RunMeta, ingest
from bot.store.models import Repository
from bot.worker.context import Context, load_config, repo_config

log = logging.getLogger(__name__)


def on_workflow_run(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """Ingest a completed run's JUnit artifacts, then queue a sync of each tracked issue."""
    repo = payload["repo"]
    repository = repositories.upsert_repository(
        session=session,
        full_name=repo,
        installation_id=payload.get("installation_id"),
        default_branch=payload.get("default_branch"),
    )
    with context.github.client(payload.get("installation_id")) as gh:
        config, config_problem = load_config(session, gh, repository)
        reports, problems = _download_reports(context, gh, repo, int(payload["run_id"]), config)
    for problem in [config_problem, *problems]:
        if problem:
            log.warning("artifact problem: %s", problem, extra={"repository": repo})
    if not reports:
        log.info("run has no JUnit reports", extra={"repository": repo})
        return
    outcome = ingest(
        session=session,
        meta=_run_meta(payload),
        reports=reports,
        max_bytes=context.settings.max_report_bytes,
    )
    for summary in outcome.files:
        if summary.error:
            log.warning("unreadable report: %s", summary.error, extra={"repository": repo})
    run_pk = outcome.run.id
    if qualifies(repository, config, payload):
        # First, and on a retry too: an attempt killed (or failed) after storing the run
        # would otherwise leave its issues unsynced. The syncs' dedupe keys make it idempotent.
        queue_syncs(session, repository, payload.get("installation_id"), run_pk=run_pk)
    _queue_follow_ups(session, config, {**payload, "run_pk": run_pk})


def _download_reports(
    context: Context, gh: GitHubAPI, repo: str, run_id: int, config: RepoConfig
) -> tuple[list[Report], list[str]]:
    """The JUnit reports in the run's selected artifacts, and what kept any from being read."""
    problems: list[str] = []
    reports: list[Report] = []
    for artifact in gh.list_artifacts(repo, run_id):
        if not artifacts.selected(artifact.name, config.artifacts):
            continue
        if artifact.expired:
            problems.append(f"artifact {artifact.name} has expired")
            continue
        try:
            data = gh.download_artifact(
                repo, artifact.id, max_bytes=context.settings.artifact_max_bytes
            )
            reports.extend(
                artifacts.junit_reports(data, artifact=artifact.name, limits=context.limits)
            )
        except ArtifactError as exc:  # expired meanwhile, too large, not a zip: reported
            problems.append(str(exc))
        except GitHubNotFound:  # deleted since the listing: retrying cannot bring it back
            problems.append(f"artifact {artifact.name} is gone (404 on download)")
    return reports, problems


def _run_meta(payload: dict[str, Any]) -> RunMeta:
    return RunMeta(
        repo=payload["repo"],
        provider="github",
        run_id=str(payload["run_id"]),
        attempt=int(payload.get("attempt") or 1),
        head_sha=payload.get("head_sha"),
        branch=payload.get("head_branch"),
        url=payload.get("url"),
        workflow=payload.get("workflow"),
        conclusion=payload.get("conclusion"),
        event=payload.get("event"),
        head_repository=payload.get("head_repository"),
        started_at=_timestamp(payload.get("started_at")),
    )


def _queue_follow_ups(session: Session, config: RepoConfig, payload: dict[str, Any]) -> None:
    """The gate, the PR comment and a new issue: jobs of their own, queued after the syncs.

    The summary comment does not wait for them, and each is retried on its own.
    """
    run_pk = payload["run_pk"]
    key = f"{payload['repo']}:run:{run_pk}"
    if config.gate and payload.get("head_sha"):
        queue.enqueue(
            session=session,
            kind=JobKind.GATE.value,
            payload=payload,
            lock_key=key,
            dedupe_key=f"gate:{run_pk}",
        )
    if _from_pull_request(payload):
        queue.enqueue(
            session=session,
            kind=JobKind.PR_FEEDBACK.value,
            payload=payload,
            lock_key=key,
            dedupe_key=f"pr:{run_pk}",
        )
    if config.open_issues and not _from_pull_request(payload):
        queue.enqueue(
            session=session,
            kind=JobKind.OPEN_ISSUE.value,
            payload=payload,
            lock_key=f"{payload['repo']}:open-issue",  # one at a time: the cap counts them
            dedupe_key=f"open:{run_pk}",
        )


def _from_pull_request(payload: dict[str, Any]) -> bool:
    return bool(payload.get("pull_requests")) or str(payload.get("event") or "").startswith(
        "pull_request"
    )


def on_uploaded_run(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """A run came through the upload API: sync the repository's tracked issues."""
    repository = repositories.get_repository(session=session, full_name=payload["repo"])
    if repository is None:
        return
    config, _ = repo_config(context, session, repository, repository.installation_id)
    if qualifies(repository, config, payload):
        queue_syncs(session, repository, repository.installation_id, run_pk=payload.get("run_pk"))


def qualifies(repository: Repository, config: RepoConfig, payload: dict[str, Any]) -> bool:
    """Runs of the configured branches (default: the default branch), never from forks."""
    head = payload.get("head_repository")
    from_fork = bool(head) and head != repository.full_name
    branches = config.branches_or_default(repository.default_branch)
    return payload.get("head_branch") in branches and not from_fork


def queue_syncs(
    session: Session, repository: Repository, installation_id: int | None, *, run_pk: Any
) -> None:
    """One sync job per tracked issue of the repository."""
    for issue in repositories.tracked_issues(session=session, repository=repository):
        key = f"{repository.full_name}#{issue.number}"
        queue.enqueue(
            session=session,
            kind=JobKind.SYNC_ISSUE.value,
            payload={
                "repo": repository.full_name,
                "installation_id": installation_id,
                "number": issue.number,
            },
            lock_key=key,
            dedupe_key=f"sync:{key}:run:{run_pk}",
        )


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
