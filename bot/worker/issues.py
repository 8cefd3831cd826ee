"""Job handlers for issues: installations, issue events, and the sync that reconciles one issue.

A sync reads the issue once, computes the decided body once, claims the boxes it will tick
before writing them, then writes only what differs from GitHub's state (`bot.core.reconcile`
decides; this module writes, and `write_body`/`write_comment` write for the Action too).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.core import reconcile
from bot.core.repoconfig import RepoConfig
from bot.core.summary import MARKER
from bot.errors import GitHubError, GitHubNotFound
from bot.github import CommentInfo, GitHubAPI, IssueInfo
from bot.store import issue_rules, repositories
from bot.store.models import Repository, TrackedIssue
from bot.store.runs import outcome_maps, run_input
from bot.worker.closing import close_if_done, note_reopened
from bot.worker.context import Context, load_config, repo_config

log = logging.getLogger(__name__)
SUMMARY_TITLE = "Remediation status"


@dataclass(slots=True)
class Applied:
    """What a sync wrote to GitHub."""

    comment_id: int | None
    body: str
    bot_ticked: list[str]
    comment_written: bool = False
    body_written: bool = False
    writes: list[str] = field(default_factory=list)
    desired: reconcile.Desired | None = None  # what the sync decided (None: not told)


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
    config, _ = repo_config(context, session, repository, payload.get("installation_id"))
    issue = repositories.upsert_issue(
        session=session,
        repository=repository,
        number=int(payload["number"]),
        title=payload.get("title"),
        body=payload.get("body"),
        state=payload.get("state"),
        labelled=config.label in (payload.get("labels") or []),
    )
    if payload.get("action") == "reopened":
        note_reopened(session, issue, by_a_person=payload.get("sender_type") != "Bot")
    if issue.tracked and issue.state == "open":
        sync_issue(context, session, {**payload, "number": issue.number})


def sync_issue(context: Context, session: Session, payload: dict[str, Any]) -> Applied | None:
    """Evaluate the newest qualifying runs against the issue and reconcile it."""
    repository = repositories.upsert_repository(session=session, full_name=payload["repo"])
    number = int(payload["number"])
    issue = repositories.upsert_issue(session=session, repository=repository, number=number)
    if not context.github.online:
        _sync_offline(session, repository, issue)
        context.synced(session, repository, issue)
        return None
    installation_id = payload.get("installation_id") or repository.installation_id
    with context.github.client(installation_id) as gh:
        config, problem = load_config(session, gh, repository)
        applied = _sync_online(session, gh, repository, number, config)
    if applied is None:
        return None
    if problem:
        log.warning(
            "configuration problem: %s", problem, extra={"repository": repository.full_name}
        )
    log.info(
        "issue synced: %s",
        ", ".join(applied.writes) or "nothing to write",
        extra={"repository": repository.full_name, "issue": number},
    )
    context.synced(session, repository, issue)
    return applied


def _sync_online(
    session: Session, gh: GitHubAPI, repository: Repository, number: int, config: RepoConfig
) -> Applied | None:
    """Read the issue, decide, claim the ticks, write the difference, and record the sync."""
    info = _fetch_issue(session, gh, repository, number)
    if info is None:
        return None
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
    new_body, now_ticked = reconcile.ticked_body(info.body, desired, issue.bot_ticked)
    _claim_ticks(session, issue, now_ticked)
    applied = _write(
        gh, repository.full_name, number, info.body, (new_body, now_ticked), desired, issue
    )
    repositories.save_sync(
        session=session,
        issue=issue,
        comment_id=applied.comment_id,
        bot_ticked=now_ticked,
        desired_comment=desired.comment,
        desired_body=new_body,
        run_pk=issue.last_run_pk,
    )
    close_if_done(session, gh, repository, issue, new_body, desired.evaluation, config)
    return applied


def _fetch_issue(
    session: Session, gh: GitHubAPI, repository: Repository, number: int
) -> IssueInfo | None:
    """The issue as GitHub has it; None (and the issue marked gone) when it is out of reach."""
    try:
        return gh.get_issue(repository.full_name, number)
    except GitHubError as exc:
        if isinstance(exc, GitHubNotFound) or exc.status in (404, 410):
            # Deleted, transferred or out of reach: nothing to retry, stop following it.
            repositories.upsert_issue(
                session=session, repository=repository, number=number, state="gone"
            )
            log.warning("issue is gone: %s", exc, extra={"issue": number})
            return None
        raise


def _claim_ticks(session: Session, issue: TrackedIssue, now_ticked: list[str]) -> None:
    """Record the boxes the bot is about to tick as its own, before writing them.

    If the job fails after GitHub took the body (a 5xx or rate limit on the comment, a timeout
    on a PATCH GitHub still applied), the retry finds those boxes already ticked; without this
    it would take them for a person's ticks and never untick them on a regression.
    """
    owned = list(issue.bot_ticked)
    if set(now_ticked) - set(owned):
        issue.bot_ticked = list(dict.fromkeys([*owned, *now_ticked]))
        repositories.save_issue(session=session, issue=issue)


def _write(
    gh: GitHubAPI,
    repo: str,
    number: int,
    body: str,
    change: tuple[str, list[str]],
    desired: reconcile.Desired,
    issue: TrackedIssue,
) -> Applied:
    """Write the difference between the desired state and GitHub's current state.

    `change` is the ticked body and the boxes the bot owns afterwards (`ticked_body`).
    """
    new_body, now_ticked = change
    applied = Applied(
        comment_id=issue.comment_id, body=new_body, bot_ticked=now_ticked, desired=desired
    )
    write_body(gh, repo, number, (body, new_body), applied)
    current = gh.get_comment(repo, issue.comment_id) if issue.comment_id else None
    if current is None:
        current = gh.find_comment(repo, number, MARKER)
    write_comment(gh, repo, number, (current, desired.comment), applied)
    return applied


def write_body(
    gh: GitHubAPI, repo: str, number: int, bodies: tuple[str, str], applied: Applied
) -> None:
    """PATCH the issue body when the decided one (`bodies`: before, after) differs."""
    body, new_body = bodies
    if new_body != body:
        gh.update_issue_body(repo, number, new_body)
        applied.body_written = True
        applied.writes.append("issue body")


def write_comment(
    gh: GitHubAPI,
    repo: str,
    number: int,
    change: tuple[CommentInfo | None, str],
    applied: Applied,
) -> None:
    """Create the summary comment, or edit the current one (`change`) when its text differs."""
    current, comment = change
    if current is None:
        created = gh.create_comment(repo, number, comment)
        applied.comment_id = created.id
        applied.comment_written = True
        applied.writes.append("comment created")
        return
    applied.comment_id = current.id
    if current.body != comment:
        gh.update_comment(repo, current.id, comment)
        applied.comment_written = True
        applied.writes.append("comment updated")


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
    rules = issue_rules.stored_rules(session=session, issue=issue)
    plan = reconcile.read_plan(body, config, rules.item_rules)
    window = repositories.qualifying_runs(
        session=session,
        repository=repository,
        branches=config.branches_or_default(repository.default_branch),
        limit=reconcile.history_window(config, plan),
    )
    if not window:
        return None
    runs = window[-(max(config.tick_after, config.untick_after) + 1) :]  # read in full
    issue.last_run_pk = runs[-1].id
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
        item_rules=rules.item_rules,
        rule_notes=rules.notes,
    )
