"""The worker: claims jobs from the store and runs their handlers (ingest, track, sync).

Collaborators come in a `Context`; each job opens its own session and GitHub client. One
catch-all around dispatch records any failure on the job (with delivery and job ids in the
log), so a bad job is retried with backoff and, at last, dead-lettered; the loop goes on.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot import telemetry
from bot.config import GitHubMode, Settings
from bot.core import checklist, evaluate, gate, prfeedback, reconcile
from bot.core import plan as plan_module
from bot.core.events import JobKind
from bot.core.junit import Report, artifacts
from bot.core.repoconfig import RepoConfig, parse_config
from bot.errors import (
    ArtifactError,
    ConfigurationError,
    GitHubError,
    GitHubNotFound,
    RetryLater,
)
from bot.github import GitHubAPI, GitHubFactory
from bot.store import queue, repositories
from bot.store.ingest import RunMeta, ingest
from bot.store.models import Repository, Run, TrackedIssue, utc_now
from bot.store.runs import get_run, outcome_maps, run_input
from bot.worker import comments

log = logging.getLogger(__name__)
CONFIG_PATH = ".github/remediation.yml"
SUMMARY_TITLE = "Remediation status"


@dataclass(frozen=True, slots=True)
class Context:
    """What handlers need; built once per worker."""

    engine: Engine
    settings: Settings
    github: GitHubFactory
    # Called after an issue is synced (the app uses it to warm the dashboard's cache).
    after_sync: Callable[[Session, Repository, TrackedIssue], None] | None = None

    def synced(self, session: Session, repository: Repository, issue: TrackedIssue) -> None:
        """Tell the app an issue changed; a failure here never fails the job."""
        if self.after_sync is None:
            return
        try:
            self.after_sync(session, repository, issue)
        except Exception:  # the warm-up is an optimisation: log and go on
            log.warning("after-sync hook failed", exc_info=True, extra={"issue": issue.number})

    @property
    def limits(self) -> artifacts.Limits:
        """Artifact limits from the settings."""
        return artifacts.Limits(
            max_total=self.settings.artifact_max_bytes,
            max_members=self.settings.artifact_max_members,
            max_ratio=self.settings.artifact_max_ratio,
        )


Handler = Callable[[Context, Session, dict[str, Any]], object]


def worker_name() -> str:
    """host:pid:thread, unique among workers sharing a queue."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Worker:
    """Runs jobs one at a time until stopped."""

    def __init__(self, context: Context, *, name: str | None = None) -> None:
        self.context = context
        self.name = name or worker_name()

    def run_once(self) -> bool:
        """Claim and run one job; False when the queue had nothing runnable."""
        with Session(self.context.engine) as session:
            lease = timedelta(seconds=self.context.settings.job_lease_seconds)
            job = queue.claim(session=session, worker=self.name, lease=lease)
        if job is None:
            return False
        self._run(job)
        return True

    def run_until_idle(self, *, limit: int = 1000) -> int:
        """Run jobs until none is runnable (for tests and the offline demo)."""
        done = 0
        while done < limit and self.run_once():
            done += 1
        return done

    def run_forever(self, stop: threading.Event) -> None:
        """Poll the queue until `stop` is set."""
        log.info("worker started", extra={"worker": self.name})
        while not stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # the database went away: wait and try again
                log.exception("worker could not claim a job")
                ran = False
            if not ran:
                stop.wait(self.context.settings.worker_poll_seconds)

    def _run(self, job: queue.ClaimedJob) -> None:
        fields = {
            "job_id": job.id,
            "delivery_id": job.delivery_id,
            "repository": job.payload.get("repo"),
            "issue": job.payload.get("number"),
            "kind": job.kind,
        }
        handler = HANDLERS.get(job.kind)
        started, outcome = time.perf_counter(), "error"
        try:
            outcome = self._dispatch(job, handler, fields)
        finally:
            seconds = time.perf_counter() - started
            telemetry.record_job(job.kind, outcome, seconds, job.attempts)

    def _dispatch(
        self, job: queue.ClaimedJob, handler: Handler | None, fields: dict[str, Any]
    ) -> str:
        """Run the handler; record the job done, deferred, retried or dead; say which."""
        with Session(self.context.engine) as session:
            try:
                if handler is None:
                    raise ValueError(f"unknown job kind {job.kind!r}")
                handler(self.context, session, job.payload)
            except RetryLater as exc:
                session.rollback()
                until = utc_now() + timedelta(seconds=max(exc.retry_after, 1.0))
                log.warning("rate limited; job deferred", extra={**fields, "until": str(until)})
                queue.defer(
                    session=session, job=job, worker=self.name, until=until, reason=str(exc)
                )
                return "deferred"
            except Exception as exc:  # one catch-all: record, retry with backoff, dead-letter
                session.rollback()
                log.exception("job failed", extra=fields)
                state = queue.fail(
                    session=session, job=job, worker=self.name, error=f"{type(exc).__name__}: {exc}"
                )
                log.warning("job %s", state, extra=fields)
                return {"dead": "dead", "queued": "retry"}.get(state, "lost")
            queue.complete(session=session, job=job, worker=self.name)
            log.info("job done", extra=fields)
            return "done"


# -- handlers -----------------------------------------------------------------------------


def load_config(
    session: Session, gh: GitHubAPI | None, repository: Repository
) -> tuple[RepoConfig, str | None]:
    """The repository's configuration (cached a few minutes) and any problem reading it."""
    fresh, text = repositories.cached_config(repository)
    if not fresh and gh is not None:
        text = gh.get_file(repository.full_name, CONFIG_PATH)
        repositories.save_config(session=session, repository=repository, text=text)
    try:
        return parse_config(text), None
    except ConfigurationError as exc:
        return RepoConfig(), str(exc)


def on_installation(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """Remember the installation's repositories."""
    for name in payload.get("repositories") or []:
        if isinstance(name, str) and name.count("/") == 1:
            repositories.upsert_repository(
                session=session, full_name=name, installation_id=payload.get("installation_id")
            )


def on_issue(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """An issue changed: refresh its record (tracked by label?) and sync when tracked."""
    repository = repositories.upsert_repository(
        session=session,
        full_name=payload["repo"],
        installation_id=payload.get("installation_id"),
        default_branch=payload.get("default_branch"),
    )
    config, _ = _config(context, session, repository, payload.get("installation_id"))
    issue = repositories.upsert_issue(
        session=session,
        repository=repository,
        number=int(payload["number"]),
        title=payload.get("title"),
        body=payload.get("body"),
        state=payload.get("state"),
        labelled=config.label in (payload.get("labels") or []),
    )
    if issue.tracked and issue.state == "open":
        sync_issue(context, session, {**payload, "number": issue.number})


def _config(
    context: Context, session: Session, repository: Repository, installation_id: int | None
) -> tuple[RepoConfig, str | None]:
    fresh, _ = repositories.cached_config(repository)
    if fresh or not context.github.online:
        return load_config(session, None, repository)
    with context.github.client(installation_id or repository.installation_id) as gh:
        return load_config(session, gh, repository)


def on_workflow_run(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """Ingest a completed run's JUnit artifacts, then queue a sync of each tracked issue."""
    repo = payload["repo"]
    installation_id = payload.get("installation_id")
    repository = repositories.upsert_repository(
        session=session,
        full_name=repo,
        installation_id=installation_id,
        default_branch=payload.get("default_branch"),
    )
    problems: list[str] = []
    reports: list[Report] = []
    with context.github.client(installation_id) as gh:
        config, config_problem = load_config(session, gh, repository)
        if config_problem:
            problems.append(config_problem)
        for artifact in gh.list_artifacts(repo, int(payload["run_id"])):
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
    for problem in problems:
        log.warning("artifact problem: %s", problem, extra={"repository": repo})
    if not reports:
        log.info("run has no JUnit reports", extra={"repository": repo})
        return
    outcome = ingest(
        session=session,
        meta=RunMeta(
            repo=repo,
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
        ),
        reports=reports,
        max_bytes=context.settings.max_report_bytes,
    )
    for summary in outcome.files:
        if summary.error:
            log.warning("unreadable report: %s", summary.error, extra={"repository": repo})
    if _qualifies(repository, config, payload):
        # First, and on a retry too: an attempt killed (or failed) after storing the run
        # would otherwise leave its issues unsynced. The syncs' dedupe keys make it idempotent.
        queue_syncs(session, repository, installation_id, run_pk=outcome.run.id)
    # The gate and the PR comment are jobs of their own, queued after the syncs: the summary
    # comment does not wait for them, and each is retried on its own.
    follow_up = {**payload, "run_pk": outcome.run.id}
    key = f"{repo}:run:{outcome.run.id}"
    if config.gate and payload.get("head_sha"):
        queue.enqueue(
            session=session,
            kind=JobKind.GATE.value,
            payload=follow_up,
            lock_key=key,
            dedupe_key=f"gate:{outcome.run.id}",
        )
    if _from_pull_request(payload):
        queue.enqueue(
            session=session,
            kind=JobKind.PR_FEEDBACK.value,
            payload=follow_up,
            lock_key=key,
            dedupe_key=f"pr:{outcome.run.id}",
        )


def on_gate(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """Publish the regression gate of a stored run."""
    repository, config, run = _stored_run(context, session, payload)
    if run is not None:
        publish_gate(context, session, repository, config, payload, run)


def on_pr_feedback(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """Publish the pull-request feedback of a stored run."""
    repository, config, run = _stored_run(context, session, payload)
    if run is not None:
        publish_pr_feedback(context, session, repository, config, payload, run)


def _stored_run(
    context: Context, session: Session, payload: dict[str, Any]
) -> tuple[Repository, RepoConfig, Run | None]:
    repository = repositories.upsert_repository(session=session, full_name=payload["repo"])
    config, _ = _config(context, session, repository, payload.get("installation_id"))
    return repository, config, get_run(session=session, run_pk=int(payload["run_pk"]))


def publish_gate(
    context: Context,
    session: Session,
    repository: Repository,
    config: RepoConfig,
    payload: dict[str, Any],
    run: Run,
) -> None:
    """The regression-gate check run on the run's head commit (GitHub Apps only)."""
    if context.settings.github_mode is not GitHubMode.APP:
        return  # only Apps may create check runs; a personal token gets 403
    plans = [
        p
        for p in tracked_plans(context, session, repository, config)
        if not config.gate_issues or p.number in config.gate_issues
    ]
    recent = repositories.qualifying_runs(
        session=session,
        repository=repository,
        branches=config.branches or [repository.default_branch or "main"],
        limit=config.flaky_window,
    )
    newest = run_input(session=session, run=run)
    flaky = evaluate.flaky_tests(
        newest,
        outcome_maps(session=session, run_pks=[r.id for r in recent if r.id and r.id != run.id]),
        evaluate.FlakyPolicy(window=config.flaky_window, min_runs=config.flaky_min_runs),
    )
    result = gate.assess(newest.cases, plans, flaky=frozenset(flaky))
    batches = result.annotation_batches() or [[]]
    output = {"title": result.title, "summary": result.summary}
    with context.github.client(payload.get("installation_id")) as gh:
        check_id = gh.create_check_run(
            repository.full_name,
            str(payload["head_sha"]),
            {**output, "annotations": [a.as_dict() for a in batches[0]]},
            name=config.gate_name,
            conclusion=result.conclusion,
            external_id=str(run.id),
            details_url=payload.get("url") or None,
        )
        for batch in batches[1:]:
            gh.add_check_annotations(
                repository.full_name,
                check_id,
                {**output, "annotations": [a.as_dict() for a in batch]},
            )
    log.info(
        "regression gate: %s (%s)",
        result.conclusion,
        result.title,
        extra={"repository": repository.full_name},
    )


def _from_pull_request(payload: dict[str, Any]) -> bool:
    return bool(payload.get("pull_requests")) or str(payload.get("event") or "").startswith(
        "pull_request"
    )


def tracked_plans(
    context: Context, session: Session, repository: Repository, config: RepoConfig
) -> list[gate.TrackedPlan]:
    """The plans of the repository's open tracked issues, with their rules."""
    plans = []
    for issue in repositories.tracked_issues(session=session, repository=repository):
        if issue.body is None:
            continue
        stored = comments.stored_rules(session=session, issue=issue)
        texts = [box.text for box in checklist.find_checkboxes(issue.body)]
        plans.append(
            gate.TrackedPlan(
                number=issue.number,
                title=issue.title,
                plan=plan_module.parse(issue.body, rule_overrides=config.rule_overrides(texts)),
                map_rules=[*config.map_rules(), *stored.map_rules],
                ignore=[*config.ignore, *stored.ignore],
                url=html_url(context.settings, f"{repository.full_name}/issues/{issue.number}"),
            )
        )
    return plans


def publish_pr_feedback(
    context: Context,
    session: Session,
    repository: Repository,
    config: RepoConfig,
    payload: dict[str, Any],
    run: Run,
) -> None:
    """One sticky comment per pull request: how its run moves each tracked remediation."""
    plans = tracked_plans(context, session, repository, config)
    if not plans:
        return
    base_runs = [
        r
        for r in repositories.qualifying_runs(
            session=session,
            repository=repository,
            branches=config.branches or [repository.default_branch or "main"],
            limit=2,
        )
        if r.id != run.id
    ]
    base = run_input(session=session, run=base_runs[-1]) if base_runs else None
    pr_run = run_input(session=session, run=run)
    text = prfeedback.render(
        prfeedback.impacts(plans, base, pr_run),
        run_label=pr_run.label,
        base_label=base.label if base else None,
    )
    with context.github.client(payload.get("installation_id")) as gh:
        numbers = [int(n) for n in payload.get("pull_requests") or []]
        if not numbers and payload.get("head_sha"):
            numbers = gh.pulls_for_commit(repository.full_name, str(payload["head_sha"]))
        for number in numbers:
            current = gh.find_comment(repository.full_name, number, prfeedback.MARKER)
            if current is None:
                gh.create_comment(repository.full_name, number, text)
            elif current.body != text:
                gh.update_comment(repository.full_name, current.id, text)


def html_url(settings: Settings, path: str) -> str:
    """A github.com (or Enterprise Server) web address for an API-side path."""
    api = settings.github_api_url.rstrip("/")
    if api.endswith("/api/v3"):
        return f"{api[: -len('/api/v3')]}/{path}"
    if "api.github.com" in api:
        return f"https://github.com/{path}"
    return f"{api}/{path}"


def on_uploaded_run(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """A run came through the upload API: sync the repository's tracked issues."""
    repository = repositories.get_repository(session=session, full_name=payload["repo"])
    if repository is None:
        return
    config, _ = _config(context, session, repository, repository.installation_id)
    if _qualifies(repository, config, payload):
        queue_syncs(session, repository, repository.installation_id, run_pk=payload.get("run_pk"))


def _qualifies(repository: Repository, config: RepoConfig, payload: dict[str, Any]) -> bool:
    """Runs of the configured branches (default: the default branch), never from forks."""
    branches = config.branches or [repository.default_branch or "main"]
    head = payload.get("head_repository")
    from_fork = bool(head) and head != repository.full_name
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


def sync_issue(
    context: Context, session: Session, payload: dict[str, Any]
) -> reconcile.Applied | None:
    """Evaluate the newest qualifying runs against the issue and reconcile it."""
    repository = repositories.upsert_repository(session=session, full_name=payload["repo"])
    number = int(payload["number"])
    installation_id = payload.get("installation_id") or repository.installation_id
    issue = repositories.upsert_issue(session=session, repository=repository, number=number)
    if not context.github.online:
        _sync_offline(session, repository, issue)
        context.synced(session, repository, issue)
        return None
    with context.github.client(installation_id) as gh:
        config, problem = load_config(session, gh, repository)
        try:
            info = gh.get_issue(repository.full_name, number)
        except GitHubError as exc:
            if isinstance(exc, GitHubNotFound) or exc.status in (404, 410):
                # Deleted, transferred or out of reach: nothing to retry, stop following it.
                repositories.upsert_issue(
                    session=session, repository=repository, number=number, state="gone"
                )
                log.warning("issue is gone: %s", exc, extra={"issue": number})
                return None
            raise
        issue = repositories.upsert_issue(
            session=session,
            repository=repository,
            number=number,
            title=info.title,
            body=info.body,
            state=info.state,
            labelled=config.label in info.labels,
        )
        if not issue.tracked or info.state != "open" or info.is_pull_request:
            return None
        desired = _desire(session, repository, issue, info.body, config)
        if desired is None:
            return None
        owned = list(issue.bot_ticked)
        _claim_ticks(session, issue, info.body, desired)
        applied = reconcile.apply(
            gh,
            repo=repository.full_name,
            number=number,
            body=info.body,
            desired=desired,
            comment_id=issue.comment_id,
            bot_ticked=owned,
        )
    if problem:
        log.warning(
            "configuration problem: %s", problem, extra={"repository": repository.full_name}
        )
    repositories.save_sync(
        session=session,
        issue=issue,
        comment_id=applied.comment_id,
        bot_ticked=applied.bot_ticked,
        desired_comment=desired.comment,
        desired_body=applied.body,
        run_pk=issue.last_run_pk,
    )
    log.info(
        "issue synced: %s",
        ", ".join(applied.writes) or "nothing to write",
        extra={"repository": repository.full_name, "issue": number},
    )
    context.synced(session, repository, issue)
    return applied


def _claim_ticks(
    session: Session, issue: TrackedIssue, body: str, desired: reconcile.Desired
) -> None:
    """Record the boxes the bot is about to tick as its own, before writing them.

    If the job fails after GitHub took the body (a 5xx or rate limit on the comment, a timeout
    on a PATCH GitHub still applied), the retry finds those boxes already ticked; without this
    it would take them for a person's ticks and never untick them on a regression.
    """
    owned = list(issue.bot_ticked)
    _, intended = reconcile.ticked_body(body, desired, owned)
    if set(intended) - set(owned):
        issue.bot_ticked = list(dict.fromkeys([*owned, *intended]))
        session.add(issue)
        session.commit()


def _sync_offline(session: Session, repository: Repository, issue: TrackedIssue) -> None:
    """No credentials: keep the comment and body the bot would write."""
    if not issue.tracked or issue.body is None or issue.state != "open":
        return
    config, _ = load_config(session, None, repository)
    desired = _desire(session, repository, issue, issue.body, config)
    if desired is None:
        return
    body, bot_ticked = reconcile.ticked_body(issue.body, desired, issue.bot_ticked)
    issue.body = body
    repositories.save_sync(
        session=session,
        issue=issue,
        comment_id=None,
        bot_ticked=bot_ticked,
        desired_comment=desired.comment,
        desired_body=body,
        run_pk=issue.last_run_pk,
    )


def _desire(
    session: Session, repository: Repository, issue: TrackedIssue, body: str, config: RepoConfig
) -> reconcile.Desired | None:
    branches = config.branches or [repository.default_branch or "main"]
    window = repositories.qualifying_runs(
        session=session,
        repository=repository,
        branches=branches,
        limit=reconcile.history_window(config),
    )
    if not window:
        return None
    runs = window[-(max(config.tick_after, config.untick_after) + 1) :]  # read in full
    issue.last_run_pk = runs[-1].id
    rules = comments.stored_rules(session=session, issue=issue)
    history = outcome_maps(session=session, run_pks=[r.id for r in window if r.id])
    return reconcile.desire(
        body=body,
        runs=[run_input(session=session, run=run) for run in runs],
        outcome_history=history,
        config=config,
        bot_ticked=issue.bot_ticked,
        title=SUMMARY_TITLE,
        map_rules=rules.map_rules,
        ignore=rules.ignore,
        forced=rules.forced,
        rule_notes=rules.notes,
    )


def on_comment(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """A new issue comment: run the `/remediation` commands it carries, re-sync, then reply.

    The reply comes last, so a sync that fails and is retried has posted nothing yet.
    """
    outcome = comments.handle_comment(context.github, session, payload)
    replies = list(outcome.replies)
    if outcome.sync:
        applied = sync_issue(context, session, payload)
        if outcome.status and (applied is None or not applied.comment_written):
            replies.append(comments.status_text(synced=applied is not None))
    if replies:
        with context.github.client(payload.get("installation_id")) as gh:
            comments.post_reply(
                gh, payload["repo"], int(payload["number"]), str(payload.get("user") or ""), replies
            )


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


HANDLERS: dict[str, Handler] = {
    JobKind.INSTALLATION.value: on_installation,
    JobKind.ISSUE.value: on_issue,
    JobKind.COMMENT.value: on_comment,
    JobKind.WORKFLOW_RUN.value: on_workflow_run,
    JobKind.SYNC_ISSUE.value: sync_issue,
    JobKind.UPLOADED_RUN.value: on_uploaded_run,
    JobKind.GATE.value: on_gate,
    JobKind.PR_FEEDBACK.value: on_pr_feedback,
}
