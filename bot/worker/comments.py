"""Carrying out `/remediation` commands: who may, what changes, and what the bot answers.

Shell module: it checks permissions with GitHub (cached briefly), reacts, stores the rules
commands make (`bot.store.issue_rules`) and replies. Parsing is `bot.core.commands` (pure).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.core import commands, draft, markdown_safe
from bot.core.checklist import find_checkboxes
from bot.core.commands import Command, Malformed, Verb
from bot.errors import PermissionMissing
from bot.github import GitHubAPI, GitHubFactory
from bot.store import issue_rules, repositories
from bot.store.models import Repository, TrackedIssue
from bot.store.runs import list_runs, run_input
from bot.worker.context import Context
from bot.worker.issues import sync_issue

log = logging.getLogger(__name__)

WRITE_ROLES = frozenset({"admin", "maintain", "write"})
PERMISSION_TTL = 60.0  # seconds a collaborator's role is trusted before asking again
PERMISSION_CACHE_SIZE = 1000
REPLY_MARKER = "<!-- remediation-bot:reply -->"
PERMISSION_MISSING = (
    "I could not check who may run commands here: GitHub refused to tell me your permission "
    "on this repository (403), so this App lacks a permission. Nothing was changed. A "
    "repository admin can fix it in the App's installation settings (accept the permissions "
    "it asks for); the bot's operations page lists this as a dead job to requeue."
)


@dataclass(slots=True)
class CommentOutcome:
    """What the worker still has to do after the commands ran.

    `replies` are posted by the worker once the sync is done: a sync that fails and is
    retried then finds no reply of the first attempt to post a second time.
    """

    sync: bool = False
    status: bool = False
    replies: list[str] = field(default_factory=list)


class _PermissionCache:
    """Roles by (repository, user), kept for a minute (a demoted user loses rights fast)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._roles: dict[tuple[str, str], tuple[float, str]] = {}

    def role(self, gh: GitHubAPI, repo: str, user: str) -> str:
        key = (repo, user.lower())
        now = time.monotonic()
        with self._lock:
            cached = self._roles.get(key)
        if cached and now - cached[0] < PERMISSION_TTL:
            return cached[1]
        role = gh.permission(repo, user)
        with self._lock:
            if len(self._roles) >= PERMISSION_CACHE_SIZE:  # every commenter ever: drop stale ones
                self._roles = {k: v for k, v in self._roles.items() if now - v[0] < PERMISSION_TTL}
            self._roles[key] = (now, role)
        return role

    def clear(self) -> None:
        """Forget every cached role."""
        with self._lock:
            self._roles.clear()


PERMISSIONS = _PermissionCache()


def is_from_a_bot(payload: dict[str, Any]) -> bool:
    """Comments by this bot or any other bot never run commands."""
    user = str(payload.get("user") or "")
    return (
        payload.get("user_type") == "Bot" or bool(payload.get("via_app")) or user.endswith("[bot]")
    )


def handle_comment(
    github: GitHubFactory, session: Session, payload: dict[str, Any]
) -> CommentOutcome:
    """Run the commands of one new comment; returns what the worker must do next."""
    outcome = CommentOutcome()
    if is_from_a_bot(payload) or payload.get("is_pull_request"):
        return outcome
    parsed = commands.parse_comment(str(payload.get("body") or ""))
    if not parsed:
        return outcome
    repo, number, user = payload["repo"], int(payload["number"]), str(payload.get("user") or "")
    if not github.online:
        log.warning("commands need GitHub credentials; ignored", extra={"repository": repo})
        return outcome
    repository = repositories.upsert_repository(
        session=session, full_name=repo, installation_id=payload.get("installation_id")
    )
    issue = repositories.upsert_issue(session=session, repository=repository, number=number)
    replies = outcome.replies
    with github.client(payload.get("installation_id") or repository.installation_id) as gh:
        try:
            role = PERMISSIONS.role(gh, repo, user)
        except PermissionMissing as exc:  # said to the commenter, then dead-lettered
            log.error("command permissions cannot be checked: %s", exc, extra={"repository": repo})
            post_reply(gh, repo, number, user, [PERMISSION_MISSING])
            raise
        accepted = [c for c in parsed if isinstance(c, Command) and _allowed(c, role)]
        refused = [c for c in parsed if c not in accepted]
        comment_id = payload.get("comment_id")
        if comment_id:
            gh.add_reaction(repo, int(comment_id), "+1" if not refused else "confused")
        for item in refused:
            replies.append(_refusal(item, role))
        body = gh.get_issue(repo, number).body if _needs_body(accepted) else ""
        for command in accepted:
            reply = _carry_out(session, repository, issue, command, user, body, outcome)
            if reply:
                replies.append(reply)
    return outcome


def _allowed(command: Command, role: str) -> bool:
    return command.verb in commands.READ_VERBS or role in WRITE_ROLES


def _needs_body(accepted: list[Command]) -> bool:
    return any(c.verb in _ITEM_VERBS for c in accepted)


_ITEM_VERBS = (Verb.TICK, Verb.UNTICK, Verb.RULE, Verb.UNRULE)


def _refusal(item: Command | Malformed, role: str) -> str:
    if isinstance(item, Malformed):
        return (
            f"{markdown_safe.code(item.line)}: {markdown_safe.inline(item.message)}.\n"
            f"Usage:\n```\n{item.usage}\n```"
        )
    return (
        f"{markdown_safe.code(item.line)}: needs write, maintain or admin access to this "
        f"repository (yours: {markdown_safe.inline(role)}).\n"
        f"Usage:\n```\n{commands.usage(item.verb)}\n```"
    )


def _carry_out(
    session: Session,
    repository: Repository,
    issue: TrackedIssue,
    command: Command,
    author: str,
    body: str,
    outcome: CommentOutcome,
) -> str | None:
    """Apply one accepted command; returns a reply when the command asks for one."""
    verb = command.verb
    if verb is Verb.HELP:
        return f"Commands:\n```\n{commands.help_text()}\n```"
    if verb is Verb.HISTORY:
        return _history(session, repository, command.count or 10)
    if verb is Verb.DRAFT:
        return _draft(session, repository)
    if verb in (Verb.TRACK, Verb.UNTRACK):
        repositories.upsert_issue(
            session=session,
            repository=repository,
            number=issue.number,
            command_tracking=verb.value,
        )
        outcome.sync = verb is Verb.TRACK
        return None if verb is Verb.TRACK else "This issue is no longer tracked."
    if verb in (Verb.MAP, Verb.UNMAP, Verb.IGNORE, Verb.UNIGNORE):
        issue_rules.save_pattern_rule(
            session=session,
            issue=issue,
            kind="map" if verb in (Verb.MAP, Verb.UNMAP) else "ignore",
            pattern=command.pattern,
            keep=verb in (Verb.MAP, Verb.IGNORE),
            phase=command.phase,
            reason=command.reason,
            author=author,
        )
    elif verb in _ITEM_VERBS:
        texts = [box.text for box in find_checkboxes(body)]
        index = commands.find_item(texts, command.item or "")
        if index is None:
            return (
                f"{markdown_safe.code(command.line)}: no single checklist item matches "
                f"{markdown_safe.code(command.item or '')}; use its number (#0 is the first)."
            )
        outcome.sync = True
        return _item_command(session, issue, command, texts[index], index, author)
    outcome.sync = True
    outcome.status = outcome.status or verb is Verb.STATUS
    return None


def _item_command(
    session: Session, issue: TrackedIssue, command: Command, text: str, index: int, author: str
) -> str | None:
    """Store a tick, untick, rule or unrule for one item; a rule's change is confirmed."""
    if command.verb in (Verb.TICK, Verb.UNTICK):
        issue_rules.save_item_rule(
            session=session,
            issue=issue,
            checked=command.verb is Verb.TICK,
            item_text=text,
            author=author,
        )
        return None
    rule = command.rule if command.verb is Verb.RULE else None
    issue_rules.save_reading_rule(
        session=session, issue=issue, item_text=text, rule=rule, author=author
    )
    item = f"`#{index}` {markdown_safe.prose(text, limit=200)}"
    if rule is None:
        return f"{item}: read from its own words again (or by the repository's rule, if any)."
    if rule.strip().lower() == "manual":
        return f"{item}: manual from now on; the bot will not tick or untick it."
    return f"{item}: read as {markdown_safe.code(rule)} from now on."


def _history(session: Session, repository: Repository, count: int) -> str:
    runs = list_runs(session=session, repo_full_name=repository.full_name, limit=count)
    if not runs:
        return "No runs stored for this repository yet."
    rows = ["| run | branch | commit | passed | pass rate |", "| --- | --- | --- | ---: | ---: |"]
    for run in runs:
        executed = run.tests - run.skipped
        rate = f"{run.passed / executed:.1%}" if executed else "n/a"
        label = markdown_safe.inline(
            f"{run.run_id}" + (f" #{run.attempt}" if run.attempt > 1 else "")
        )
        rows.append(
            f"| {label} | {markdown_safe.inline(run.branch or '')} | "
            f"{markdown_safe.inline((run.head_sha or '')[:7])} | {run.passed}/{executed} | {rate} |"
        )
    return f"Last {len(runs)} runs, newest first:\n\n" + "\n".join(rows)


def _draft(session: Session, repository: Repository) -> str:
    """The issue `remediation-bot draft` writes, from the default branch's newest run."""
    branch = repository.default_branch or "main"
    runs = repositories.qualifying_runs(
        session=session, repository=repository, branches=[branch], limit=2
    )
    if not runs:
        return (
            f"No run of the default branch ({markdown_safe.code(branch)}) is stored yet: "
            "there is nothing to draft from."
        )
    newest = run_input(session=session, run=runs[-1])
    previous = run_input(session=session, run=runs[0]) if len(runs) > 1 else None
    body = draft.render(newest, previous=previous)
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", body)), default=0))
    label = markdown_safe.inline(f"{runs[-1].run_id} on {branch}")
    return (
        f"A remediation issue drafted from run {label}, ready to paste into a new issue:\n\n"
        f"<details><summary>Drafted issue</summary>\n\n{fence}markdown\n{body}{fence}\n\n"
        "</details>"
    )


def _reply_text(user: str, replies: list[str]) -> str:
    # The user's login is shown as code: a reply must never ping anyone, its author included.
    return f"{REPLY_MARKER}\n{markdown_safe.code('@' + user)}:\n\n" + "\n\n".join(replies)


def status_text(*, synced: bool) -> str:
    """Answer to `status` when no summary was written: it was current, or there is none."""
    if synced:
        return "The summary comment is up to date with the newest run."
    return (
        "There is no summary to give: this issue is not tracked (add the label or use "
        "`/remediation track`), is closed, or no run of a configured branch has arrived yet."
    )


def post_reply(gh: GitHubAPI, repo: str, number: int, user: str, replies: list[str]) -> None:
    """One reply comment to the command's author, carrying every answer."""
    gh.create_comment(repo, number, _reply_text(user, replies))


def on_comment(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """A new issue comment: run the `/remediation` commands it carries, re-sync, then reply.

    The reply comes last, so a sync that fails and is retried has posted nothing yet.
    """
    outcome = handle_comment(context.github, session, payload)
    replies = list(outcome.replies)
    if outcome.sync:
        applied = sync_issue(context, session, payload)
        if outcome.status and (applied is None or not applied.comment_written):
            replies.append(status_text(synced=applied is not None))
    if replies:
        with context.github.client(payload.get("installation_id")) as gh:
            post_reply(
                gh, payload["repo"], int(payload["number"]), str(payload.get("user") or ""), replies
            )
