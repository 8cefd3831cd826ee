"""The webhook edge: verify, record the delivery, enqueue a job, answer 202. Nothing slow.

GitHub gives up on a delivery after 10 s and never redelivers on its own, so this handler
does no GitHub call and no parsing beyond the few fields it routes on; the worker does the
rest. A redelivery (same `X-GitHub-Delivery`) is answered 200 and creates nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from githubkit.webhooks import verify

from bot import telemetry
from bot.config import Settings
from bot.store.inbox import Arrival, Inbox, QueuedJob

log = logging.getLogger(__name__)


class Event(StrEnum):
    """The GitHub events the bot acts on (`X-GitHub-Event`)."""

    PING = "ping"
    INSTALLATION = "installation"
    INSTALLATION_REPOSITORIES = "installation_repositories"
    ISSUES = "issues"
    ISSUE_COMMENT = "issue_comment"
    WORKFLOW_RUN = "workflow_run"


class JobKind(StrEnum):
    """What the worker does with a job."""

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


@dataclass(frozen=True, slots=True)
class Route:
    """What a delivery becomes: a job, or a reason to ignore it."""

    kind: JobKind | None
    lock_key: str = ""
    payload: dict[str, Any] | None = None
    reason: str | None = None


def route(event: str, data: dict[str, Any]) -> Route:
    """Pure: pick the job for an event from the few payload fields the bot needs."""
    action = data.get("action")
    repo = _repo_name(data)
    installation = (data.get("installation") or {}).get("id")
    base = {"repo": repo, "installation_id": installation}
    if event in (Event.INSTALLATION, Event.INSTALLATION_REPOSITORIES):
        if action not in INSTALLATION_ACTIONS:
            return Route(None, reason=f"{event}.{action} is not handled")
        names = [
            r.get("full_name")
            for key in ("repositories", "repositories_added")
            for r in data.get(key) or []
        ]
        removed = [r.get("full_name") for r in data.get("repositories_removed") or []]
        payload = {**base, "action": action, "repositories": names, "removed": removed}
        return Route(JobKind.INSTALLATION, f"installation:{installation}", payload)
    if repo is None:
        return Route(None, reason="no repository in the payload")
    if event == Event.ISSUES:
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
        return Route(JobKind.ISSUE, f"{repo}#{payload['number']}", payload)
    if event == Event.ISSUE_COMMENT:
        if action != "created":
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
        return Route(JobKind.COMMENT, f"{repo}#{payload['number']}", payload)
    if event == Event.WORKFLOW_RUN:
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
        return Route(JobKind.WORKFLOW_RUN, f"{repo}:run:{payload['run_id']}", payload)
    return Route(None, reason=f"event {event!r} is not handled")


def _repo_name(data: dict[str, Any]) -> str | None:
    name = (data.get("repository") or {}).get("full_name")
    return name if isinstance(name, str) and name.count("/") == 1 else None


def router(settings: Settings, inbox: Inbox) -> APIRouter:
    """The webhook endpoint, bound to the app's settings and the inbox that records deliveries."""
    api = APIRouter()
    secret = settings.github_webhook_secret

    @api.post("/webhooks/github", status_code=202, tags=["webhooks"])
    async def receive(request: Request) -> JSONResponse:
        """Verify a GitHub delivery, record it, queue its work, and answer at once."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.webhook_max_bytes:
            return _answer(413, "payload too large")
        body = await request.body()
        if len(body) > settings.webhook_max_bytes:
            return _answer(413, "payload too large")
        if secret is None:
            return _answer(401, "GITHUB_WEBHOOK_SECRET is not set: unsigned deliveries refused")
        signature = request.headers.get("x-hub-signature-256")
        if not signature or not verify(secret.get_secret_value(), body, signature):
            telemetry.count_delivery("unverified", "rejected")  # a wrong secret shows here
            return _answer(401, "missing or wrong X-Hub-Signature-256")
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        if not event or not delivery or len(delivery) > 100:
            return _answer(400, "X-GitHub-Event and X-GitHub-Delivery headers are required")
        try:
            data = json.loads(body)
        except ValueError:
            return _answer(400, "the body is not JSON")
        if not isinstance(data, dict):
            return _answer(400, "the body is not a JSON object")
        chosen = Route(None, reason="ping") if event == Event.PING else route(event, data)
        status = "queued" if chosen.kind else "ignored"
        job = None
        if chosen.kind is not None:
            job = QueuedJob(
                kind=chosen.kind.value,
                payload=chosen.payload or {},
                lock_key=chosen.lock_key,
                max_attempts=settings.job_max_attempts,
            )
        arrival = Arrival(
            delivery_id=delivery,
            event=event,
            action=data.get("action") if isinstance(data.get("action"), str) else None,
            repository=_repo_name(data),
            installation_id=_int((data.get("installation") or {}).get("id")),
            outcome=status,
            reason=chosen.reason,
            job=job,
        )
        try:
            fresh = await inbox.record(arrival)
        except Exception:  # the store failed: say so, and let GitHub's redelivery retry it
            log.exception("delivery not recorded", extra={"delivery_id": delivery})
            return _answer(
                503,
                "the delivery could not be stored; redeliver it once the bot's "
                "store is back (the bot's log says why)",
            )
        telemetry.count_delivery(event, status if fresh else "duplicate")
        if not fresh:
            return _answer(200, "duplicate delivery: already received", delivery=delivery)
        log.debug(  # every delivery is in the deliveries table (and the operations page)
            "delivery recorded",
            extra={"delivery_id": delivery, "event": event, "queued": bool(chosen.kind)},
        )
        return _answer(202, chosen.reason or status, status=status, delivery=delivery)

    return api


BIGINT = range(-(2**63), 2**63)


def _int(value: Any) -> int | None:
    """An id from the payload, if it is one the store can keep (a BIGINT)."""
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and value in BIGINT
        else None
    )


def _answer(code: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=code)
