"""Deliver webhooks the way GitHub does: exact bytes, HMAC signature, GitHub's headers.

Payloads come from fixtures/webhooks/ (octokit's recorded examples) or are built from them.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from githubkit.webhooks import sign as _sign

from .github_payloads import stable_id

WEBHOOKS = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks"
PATH = "/webhooks/github"
# GitHub marks a delivery failed when the answer takes longer than this (GITHUB.md §2).
DELIVERY_TIMEOUT = 10.0

# The fixture each built payload starts from.
_BASES = {
    "issues": "issues.opened.1",
    "issue_comment": "issue_comment.created.1",
    "workflow_run": "workflow_run.completed.1",
    "installation": "installation.created.1",
}


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value: "sha256=<hex HMAC of the exact body>"."""
    return _sign(secret, body, "sha256")


@dataclass
class Delivery:
    """One delivery attempt and how the receiver answered."""

    event: str
    delivery_id: str
    body: bytes
    headers: dict[str, str]
    status: int
    seconds: float

    @property
    def too_slow(self) -> bool:
        """GitHub would have recorded this delivery as failed (no answer within 10 s)."""
        return self.seconds > DELIVERY_TIMEOUT


@dataclass
class DeliveryLog:
    """Deliveries in order, for assertions and redelivery."""

    deliveries: list[Delivery] = field(default_factory=list)

    def last(self) -> Delivery:
        """The most recent delivery."""
        return self.deliveries[-1]


def delivery_headers(
    *,
    event: str,
    body: bytes,
    secret: str | None,
    delivery_id: str,
    target_type: str = "integration",
    target_id: int = 4242,
) -> dict[str, str]:
    """Exactly the headers GitHub sends with a delivery."""
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id,
        "X-GitHub-Hook-ID": "123456789",
        "X-GitHub-Hook-Installation-Target-Type": target_type,
        "X-GitHub-Hook-Installation-Target-ID": str(target_id),
        "User-Agent": "GitHub-Hookshot/abc1234",
        "Content-Type": "application/json",
        "Accept": "*/*",
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(secret, body)
    return headers


def deliver(
    client: httpx.Client | str,
    *,
    event: str,
    body: bytes,
    secret: str | None,
    delivery_id: str | None = None,
    headers_extra: dict[str, str] | None = None,
    log: DeliveryLog | None = None,
) -> httpx.Response:
    """POST one delivery to `/webhooks/github` (a client, or a base URL) and time the answer.

    Redeliver by passing the same `body` and `delivery_id` again, as GitHub does.
    """
    delivery_id = delivery_id or str(uuid.uuid4())
    headers = delivery_headers(event=event, body=body, secret=secret, delivery_id=delivery_id)
    headers.update(headers_extra or {})
    started = time.perf_counter()
    if isinstance(client, str):
        with httpx.Client(base_url=client, timeout=30) as own:
            response = own.post(PATH, content=body, headers=headers)
    else:
        response = client.post(PATH, content=body, headers=headers)
    seconds = time.perf_counter() - started
    if log is not None:
        log.deliveries.append(
            Delivery(event, delivery_id, body, headers, response.status_code, seconds)
        )
    return response


def redeliver(
    client: httpx.Client | str, delivery: Delivery, *, secret: str | None
) -> httpx.Response:
    """Send a recorded delivery again: same bytes, same `X-GitHub-Delivery`."""
    return deliver(
        client,
        event=delivery.event,
        body=delivery.body,
        secret=secret,
        delivery_id=delivery.delivery_id,
    )


def load_payload(name: str) -> bytes:
    """The exact bytes of fixtures/webhooks/<name>.json (e.g. "workflow_run.completed.1")."""
    return (WEBHOOKS / f"{name}.json").read_bytes()


def payload(event: str, action: str | None, **overrides: Any) -> bytes:
    """A realistic payload for issues, issue_comment, workflow_run or installation.

    Starts from the fixture of that event and sets the fields the bot reads. Overrides:
    `repo` ("owner/name"), `installation_id` (None drops `installation`: PAT mode), `sender`;
    issues/issue_comment: `issue_number`, `issue_body`, `issue_title`, `pull_request` (bool);
    issue_comment: `comment_id`, `comment_body`, `user`, `user_type`, `author_association`,
    `performed_via_github_app`; workflow_run: `run_id`, `run_attempt`, `head_sha`,
    `head_branch`, `run_event`, `status`, `conclusion`, `pull_requests` (numbers),
    `head_repository` ("owner/name", a fork); any: `merge` (a dict deep-merged last).
    """
    if event not in _BASES:
        raise ValueError(f"no payload builder for {event!r}; use load_payload()")
    # Prefer the fixture of that very action (e.g. issues.edited carries `changes`).
    exact = f"{event}.{action}.1"
    base = exact if (WEBHOOKS / f"{exact}.json").exists() else _BASES[event]
    data: dict[str, Any] = json.loads(load_payload(base))
    if action is None:
        data.pop("action", None)
    else:
        data["action"] = action
    options = dict(overrides)
    repo = options.pop("repo", "octo-org/octo-repo")
    installation_id = options.pop("installation_id", 77)
    merge = options.pop("merge", None)
    sender = options.pop("sender", None)
    if sender is not None:
        data["sender"] = _with_login(data["sender"], sender, "User")

    if "repository" in data:
        _set_repository(data["repository"], repo)
    _set_installation(data, event, installation_id, repo)
    if event in {"issues", "issue_comment"}:
        _issue(data, repo, options)
    if event == "issue_comment":
        _comment(data, repo, options)
    if event == "workflow_run":
        _workflow_run(data, repo, options)
    if options:
        raise TypeError(f"unknown overrides for {event}: {sorted(options)}")
    if merge:
        _deep_merge(data, merge)
    return json.dumps(data, indent=2).encode()


def _set_installation(
    data: dict[str, Any], event: str, installation_id: int | None, repo: str
) -> None:
    if event == "installation":
        _installation(data, installation_id, repo)
    elif installation_id is None:
        data.pop("installation", None)
    else:
        data["installation"] = {
            "id": installation_id,
            "node_id": f"MDIzOkludGVncmF0aW9u{installation_id}",
        }


def _with_login(user: dict[str, Any], login: str, type_: str) -> dict[str, Any]:
    user = copy.deepcopy(user)
    for key, value in list(user.items()):
        if isinstance(value, str) and f"/{user['login']}" in value:
            user[key] = value.replace(f"/{user['login']}", f"/{login}")
    user.update(login=login, type=type_, id=stable_id("user", login))
    return user


def _set_repository(repository: dict[str, Any], full_name: str) -> None:
    old = repository["full_name"]
    owner, name = full_name.split("/", 1)
    for key, value in list(repository.items()):
        if isinstance(value, str) and old in value:
            repository[key] = value.replace(old, full_name)
    repository.update(full_name=full_name, name=name)
    repository["owner"] = _with_login(repository["owner"], owner, repository["owner"]["type"])


def _installation(data: dict[str, Any], installation_id: int | None, repo: str) -> None:
    installation = data["installation"]
    ident = installation_id if installation_id is not None else installation["id"]
    installation["id"] = ident
    installation["access_tokens_url"] = (
        f"https://api.github.com/app/installations/{ident}/access_tokens"
    )
    # octokit's example lacks app_slug, which githubkit's model requires (GITHUB.md §1.4).
    installation.setdefault("app_slug", "remediation-bot")
    owner, name = repo.split("/", 1)
    installation["account"] = _with_login(installation["account"], owner, "Organization")
    data["repositories"] = [
        {**data["repositories"][0], "name": name, "full_name": repo, "private": False}
    ]


def _issue(data: dict[str, Any], repo: str, options: dict[str, Any]) -> None:
    issue = data["issue"]
    number = options.pop("issue_number", issue["number"])
    issue["number"] = number
    issue["title"] = options.pop("issue_title", issue["title"])
    issue["body"] = options.pop("issue_body", issue["body"])
    api = f"https://api.github.com/repos/{repo}/issues/{number}"
    issue.update(
        url=api,
        repository_url=f"https://api.github.com/repos/{repo}",
        labels_url=f"{api}/labels{{/name}}",
        comments_url=f"{api}/comments",
        events_url=f"{api}/events",
        html_url=f"https://github.com/{repo}/issues/{number}",
    )
    if data.get("action") in {"closed", "reopened"}:
        closed = data["action"] == "closed"
        issue["state"] = "closed" if closed else "open"
        issue["closed_at"] = issue["updated_at"] if closed else None
    if options.pop("pull_request", False):
        issue["pull_request"] = {
            "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "diff_url": f"https://github.com/{repo}/pull/{number}.diff",
            "patch_url": f"https://github.com/{repo}/pull/{number}.patch",
            "merged_at": None,
        }
    else:
        issue.pop("pull_request", None)


def _comment(data: dict[str, Any], repo: str, options: dict[str, Any]) -> None:
    comment = data["comment"]
    ident = options.pop("comment_id", comment["id"])
    number = data["issue"]["number"]
    comment.update(
        id=ident,
        body=options.pop("comment_body", comment["body"]),
        url=f"https://api.github.com/repos/{repo}/issues/comments/{ident}",
        html_url=f"https://github.com/{repo}/issues/{number}#issuecomment-{ident}",
        issue_url=f"https://api.github.com/repos/{repo}/issues/{number}",
        author_association=options.pop("author_association", comment["author_association"]),
        performed_via_github_app=options.pop("performed_via_github_app", None),
    )
    user = options.pop("user", None)
    user_type = options.pop("user_type", None)
    if user is not None or user_type is not None:
        comment["user"] = _with_login(
            comment["user"], user or comment["user"]["login"], user_type or "User"
        )


def _workflow_run(data: dict[str, Any], repo: str, options: dict[str, Any]) -> None:
    run = data["workflow_run"]
    old_id = run["id"]
    run_id = options.pop("run_id", old_id)
    for key, value in list(run.items()):
        if isinstance(value, str) and f"/runs/{old_id}" in value:
            run[key] = value.replace(f"/runs/{old_id}", f"/runs/{run_id}")
    run["id"] = run_id
    renames = {"run_event": "event"}
    for option in ("run_attempt", "head_sha", "head_branch", "run_event", "status", "conclusion"):
        if option in options:
            run[renames.get(option, option)] = options.pop(option)
    if run.get("head_commit") and "head_sha" in run:
        run["head_commit"]["id"] = run["head_sha"]
    old_repo = run["repository"]["full_name"]
    for key, value in list(run.items()):
        if isinstance(value, str) and old_repo in value:
            run[key] = value.replace(old_repo, repo)
    _set_repository(run["repository"], repo)
    _set_repository(run["head_repository"], options.pop("head_repository", repo))
    if "pull_requests" in options:
        run["pull_requests"] = [
            {
                "id": number * 1000,
                "number": number,
                "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
                "head": {"ref": run["head_branch"], "sha": run["head_sha"], "repo": _mini(repo)},
                "base": {"ref": "main", "sha": "0" * 40, "repo": _mini(repo)},
            }
            for number in options.pop("pull_requests")
        ]


def _mini(full_name: str) -> dict[str, Any]:
    return {
        "id": stable_id("repo", full_name),
        "url": f"https://api.github.com/repos/{full_name}",
        "name": full_name.split("/", 1)[1],
    }


def _deep_merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value
