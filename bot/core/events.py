"""GitHub webhook deliveries -> what to do: verified, parsed and routed, with no I/O.

In the spirit of gidgethub's sans-I/O `Event.from_http`: `intake` takes the headers, the
body and the secret, and returns either an answer to give at once or an `Arrival` to record.
`route` validates the few payload fields the bot needs (`bot.core.payloads`) and picks the
job; each event has one `Routing` in `ROUTES`, so adding an event is one model, one function
and one entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from bot.core import payloads


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
    OPEN_ISSUE = "open_issue"


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
    except RecursionError:
        return Refusal(400, "the body is JSON nested too deep to read")
    if not isinstance(data, dict):
        return Refusal(400, "the body is not a JSON object")
    action = data.get("action")
    return Arrival(
        delivery_id=delivery,
        event=event,
        action=action if isinstance(action, str) else None,
        repository=repo_name(data),
        installation_id=_installation_id(data),
        route=Route(None, reason="ping") if event == Event.PING else route(event, data),
    )


def route(event: str, data: dict[str, Any]) -> Route:
    """Pick the job for an event from the few payload fields the bot needs, once validated."""
    routing = ROUTES.get(event)
    if routing is None:
        return Route(None, reason=f"event {event!r} is not handled")
    action = data.get("action")
    if not isinstance(action, str) or action not in routing.actions:
        return Route(None, reason=routing.why_not.format(event=event, action=action))
    try:
        parsed = routing.model.model_validate(data)
    except ValidationError as exc:
        return Route(None, reason=f"malformed {event} payload: {payloads.problems(exc)}")
    return routing.make(parsed)


def repo_name(data: dict[str, Any]) -> str | None:
    """The payload's `owner/name`, if it has one of that shape."""
    repository = data.get("repository")
    name = repository.get("full_name") if isinstance(repository, dict) else None
    return name if isinstance(name, str) and name.count("/") == 1 else None


def _installation_id(data: dict[str, Any]) -> int | None:
    installation = data.get("installation")
    return _bigint(installation.get("id")) if isinstance(installation, dict) else None


def _base(event: payloads.Envelope) -> dict[str, Any]:
    return {
        "repo": event.repository.full_name if event.repository else None,
        "installation_id": event.installation.id if event.installation else None,
    }


def _installation(event: payloads.InstallationEvent) -> Route:
    names = [r.full_name for r in [*(event.repositories or []), *(event.repositories_added or [])]]
    removed = [r.full_name for r in event.repositories_removed or []]
    payload = {**_base(event), "action": event.action, "repositories": names, "removed": removed}
    return Route(JobKind.INSTALLATION, f"installation:{payload['installation_id']}", payload)


def _issues(event: payloads.IssuesEvent) -> Route:
    issue = event.issue
    payload = {
        **_base(event),
        "number": issue.number,
        "title": issue.title or "",
        "body": issue.body or "",
        "state": issue.state or "open",
        "labels": [label.name for label in issue.labels],
        "action": event.action,
        "default_branch": event.repository.default_branch,
        "sender_type": event.sender.type if event.sender else None,
    }
    return Route(JobKind.ISSUE, f"{payload['repo']}#{issue.number}", payload)


def _issue_comment(event: payloads.IssueCommentEvent) -> Route:
    issue, comment = event.issue, event.comment
    user = comment.user or payloads.User(login="")
    payload = {
        **_base(event),
        "number": issue.number,
        "is_pull_request": bool(issue.pull_request),
        "comment_id": comment.id,
        "body": comment.body or "",
        "user": user.login,
        "user_type": user.type,
        "via_app": bool(comment.performed_via_github_app),
    }
    return Route(JobKind.COMMENT, f"{payload['repo']}#{issue.number}", payload)


def _workflow_run(event: payloads.WorkflowRunEvent) -> Route:
    run = event.workflow_run
    payload = {
        **_base(event),
        "run_id": run.id,
        "attempt": run.run_attempt,
        "head_sha": run.head_sha,
        "head_branch": run.head_branch,
        "head_repository": run.head_repository.full_name if run.head_repository else None,
        "event": run.event,
        "conclusion": run.conclusion,
        "url": run.html_url,
        "workflow": run.name,
        "started_at": run.run_started_at or run.created_at,
        "pull_requests": [p.number for p in run.pull_requests],
        "default_branch": event.repository.default_branch,
    }
    return Route(JobKind.WORKFLOW_RUN, f"{payload['repo']}:run:{run.id}", payload)


def _bigint(value: Any) -> int | None:
    """An id from the payload, if it is one the store can keep (a BIGINT)."""
    if isinstance(value, int) and not isinstance(value, bool) and value in BIGINT:
        return value
    return None


@dataclass(frozen=True, slots=True)
class Routing:
    """How one event becomes a job: the actions handled, the payload's shape, the job."""

    actions: frozenset[str]
    model: type[payloads.Envelope]
    make: Callable[[Any], Route]
    why_not: str = "{event}.{action} is not handled"  # why other actions are ignored


ROUTES: dict[str, Routing] = {
    Event.INSTALLATION: Routing(INSTALLATION_ACTIONS, payloads.InstallationEvent, _installation),
    Event.INSTALLATION_REPOSITORIES: Routing(
        INSTALLATION_ACTIONS, payloads.InstallationEvent, _installation
    ),
    Event.ISSUES: Routing(ISSUE_ACTIONS, payloads.IssuesEvent, _issues),
    Event.ISSUE_COMMENT: Routing(
        frozenset({"created"}),
        payloads.IssueCommentEvent,
        _issue_comment,
        why_not="only new comments carry commands",
    ),
    Event.WORKFLOW_RUN: Routing(
        frozenset({"completed"}),
        payloads.WorkflowRunEvent,
        _workflow_run,
        why_not="workflow_run.{action}: results come with `completed`",
    ),
}
