"""GitHub webhook deliveries -> what to do: verified, parsed and routed, with no I/O.

In the spirit of gidgethub's sans-I/O `Event.from_http`: `intake` takes the headers, the
body and the secret, and returns either an answer to give at once or an `Arrival` to record.
`route` picks the job for an event from the few payload fields the bot needs; each event has
one routing function in `ROUTES`, so adding an event is one function and one entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Event(StrEnum):
    """The GitHub events the bot acts on (`X-GitHub-Event`)."""

    PING = "ping"
    INSTALLATION = "installation"
    INSTALLATION_REPOSITORIES = "installation_repositories"
    ISSUES = "issues"
    ISSUE_COMMENT = "issue_comment"
    WORKFLOW_RUN = "workflow_run"


class JobKind(StrEnum):
    """What the worker does with a job (each kind has one handler in `bot.worker.registry`)."""

    INSTALLATION = "installation"
    ISSUE = "issue"
    COMMENT = "comment"
    WORKFLOW_RUN = "workflow_run"
    SYNC_ISSUE = "sync_issue"
    UPLOADED_RUN = "uploaded_run"
    GATE = "gate"
    PR_FEEDBACK = "pr_feedback"


ISSUE_ACTIONS = frozenset({"opened", "edited", "labeled", "unlabeled", "reopened", "closed"})
INSTALLATION_ACTIONS = frozenset(
    {"created", "deleted", "suspend", "unsuspend", "new_permissions_accepted", "added", "removed"}
)
MAX_DELIVERY_ID_CHARS = 100
BIGINT = range(-(2**63), 2**63)


@dataclass(frozen=True, slots=True)
class Route:
    """What a delivery becomes: a job, or a reason to ignore it."""

    kind: JobKind | None
    lock_key: str = ""
    payload: dict[str, Any] | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Arrival:
    """A verified delivery, as the inbox records it."""

    delivery_id: str
    event: str
    action: str | None
    repository: str | None
    installation_id: int | None
    route: Route


@dataclass(frozen=True, slots=True)
class Refusal:
    """A delivery answered at once with an error, recording nothing."""

    status: int
    message: str


def signature_matches(secret: str, body: bytes, signature: str) -> bool:
    """Whether `X-Hub-Signature-256` is the body's HMAC-SHA256 under the webhook secret."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def intake(headers: Mapping[str, str], body: bytes, secret: str | None) -> Arrival | Refusal:
    """Verify and parse one delivery; `headers` are looked up in lower case."""
    if secret is None:
        return Refusal(401, "GITHUB_WEBHOOK_SECRET is not set: unsigned deliveries refused")
    signature = headers.get("x-hub-signature-256")
    if not signature or not signature_matches(secret, body, signature):
        return Refusal(401, "missing or wrong X-Hub-Signature-256")
    event = headers.get("x-github-event", "")
    delivery = headers.get("x-github-delivery", "")
    if not event or not delivery or len(delivery) > MAX_DELIVERY_ID_CHARS:
        return Refusal(400, "X-GitHub-Event and X-GitHub-Delivery headers are required")
    try:
        data = json.loads(body)
    except ValueError:
        return Refusal(400, "the body is not JSON")
    if not isinstance(data, dict):
        return Refusal(400, "the body is not a JSON object")
    action = data.get("action")
    return Arrival(
        delivery_id=delivery,
        event=event,
        action=action if isinstance(action, str) else None,
        repository=repo_name(data),
        installation_id=_bigint((data.get("installation") or {}).get("id")),
        route=Route(None, reason="ping") if event == Event.PING else route(event, data),
    )


def route(event: str, data: dict[str, Any]) -> Route:
    """Pick the job for an event from the few payload fields the bot needs."""
    routing = ROUTES.get(event)
    if routing is None:
        return Route(None, reason=f"event {event!r} is not handled")
    base = {"repo": repo_name(data), "installation_id": (data.get("installation") or {}).get("id")}
    if event not in _REPOSITORY_FREE and base["repo"] is None:
        return Route(None, reason="no repository in the payload")
    return routing(data, base)


def repo_name(data: dict[str, Any]) -> str | None:
    """The payload's `owner/name`, if it has one of that shape."""
    name = (data.get("repository") or {}).get("full_name")
    return name if isinstance(name, str) and name.count("/") == 1 else None


def _installation(data: dict[str, Any], base: dict[str, Any]) -> Route:
    action = data.get("action")
    if action not in INSTALLATION_ACTIONS:
        return Route(None, reason=f"installation.{action} is not handled")
    names = [
        r.get("full_name")
        for key in ("repositories", "repositories_added")
        for r in data.get(key) or []
    ]
    removed = [r.get("full_name") for r in data.get("repositories_removed") or []]
    payload = {**base, "action": action, "repositories": names, "removed": removed}
    return Route(JobKind.INSTALLATION, f"installation:{base['installation_id']}", payload)


def _issues(data: dict[str, Any], base: dict[str, Any]) -> Route:
    action = data.get("action")
    if action not in ISSUE_ACTIONS:
        return Route(None, reason=f"issues.{action} is not handled")
    issue = data.get("issue") or {}
    payload = {
        **base,
        "number": issue.get("number"),
        "title": issue.get("title") or "",
        "body": issue.get("body") or "",
        "state": issue.get("state") or "open",
        "labels": [lb.get("name") for lb in issue.get("labels") or [] if isinstance(lb, dict)],
        "action": action,
        "default_branch": (data.get("repository") or {}).get("default_branch"),
    }
    return Route(JobKind.ISSUE, f"{base['repo']}#{payload['number']}", payload)


def _issue_comment(data: dict[str, Any], base: dict[str, Any]) -> Route:
    if data.get("action") != "created":
        return Route(None, reason="only new comments carry commands")
    issue, comment = data.get("issue") or {}, data.get("comment") or {}
    user = comment.get("user") or {}
    payload = {
        **base,
        "number": issue.get("number"),
        "is_pull_request": bool(issue.get("pull_request")),
        "comment_id": comment.get("id"),
        "body": comment.get("body") or "",
        "user": user.get("login") or "",
        "user_type": user.get("type") or "User",
        "via_app": bool(comment.get("performed_via_github_app")),
    }
    return Route(JobKind.COMMENT, f"{base['repo']}#{payload['number']}", payload)


def _workflow_run(data: dict[str, Any], base: dict[str, Any]) -> Route:
    action = data.get("action")
    if action != "completed":
        return Route(None, reason=f"workflow_run.{action}: results come with `completed`")
    run = data.get("workflow_run") or {}
    payload = {
        **base,
        "run_id": run.get("id"),
        "attempt": run.get("run_attempt") or 1,
        "head_sha": run.get("head_sha"),
        "head_branch": run.get("head_branch"),
        "head_repository": (run.get("head_repository") or {}).get("full_name"),
        "event": run.get("event"),
        "conclusion": run.get("conclusion"),
        "url": run.get("html_url"),
        "workflow": run.get("name"),
        "started_at": run.get("run_started_at") or run.get("created_at"),
        "pull_requests": [p.get("number") for p in run.get("pull_requests") or []],
        "default_branch": (data.get("repository") or {}).get("default_branch"),
    }
    return Route(JobKind.WORKFLOW_RUN, f"{base['repo']}:run:{payload['run_id']}", payload)


def _bigint(value: Any) -> int | None:
    """An id from the payload, if it is one the store can keep (a BIGINT)."""
    if isinstance(value, int) and not isinstance(value, bool) and value in BIGINT:
        return value
    return None


ROUTES: dict[str, Callable[[dict[str, Any], dict[str, Any]], Route]] = {
    Event.INSTALLATION: _installation,
    Event.INSTALLATION_REPOSITORIES: _installation,
    Event.ISSUES: _issues,
    Event.ISSUE_COMMENT: _issue_comment,
    Event.WORKFLOW_RUN: _workflow_run,
}
# Installation events name their repositories in a list, not in `repository`.
_REPOSITORY_FREE = frozenset({Event.INSTALLATION, Event.INSTALLATION_REPOSITORIES})
