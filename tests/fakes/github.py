"""A fake GitHub for tests: arrange state, inject faults, inspect requests; serve() runs it.

The HTTP behaviour lives in github_app.py (edge) and github_routes.py (endpoints); this
module is the state and the test-facing API. Thread-safe: the server thread and the test
thread share it under `lock`.
"""

from __future__ import annotations

import functools
import itertools
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette

from .github_app import build_app, build_blob_app
from .github_oauth import FakeOAuth
from .github_payloads import stable_id
from .github_state import (
    LEGACY_PERMISSION,
    Budget,
    FakeArtifact,
    FakeComment,
    FakeIssue,
    FakeRepo,
    Fault,
    RecordedRequest,
    Token,
)


@functools.cache
def key_pair() -> tuple[str, rsa.RSAPublicKey]:
    """One RSA key pair per process: the App's private key (PEM) and its public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


class FakeGitHub:
    """GitHub's REST API in memory, as an ASGI app (`app`) plus a blob host (`blob_app`)."""

    def __init__(
        self,
        *,
        app_id: int = 4242,
        api_prefix: str = "",
        versions: Iterable[str] = ("2022-11-28", "2026-03-10"),
        app_slug: str = "remediation-bot",
    ) -> None:
        self.app_id = app_id
        self.app_slug = app_slug
        self.api_prefix = "/" + api_prefix.strip("/") if api_prefix.strip("/") else ""
        self.versions = tuple(versions)
        self.private_key_pem, self.public_key = key_pair()
        self.blob_secret = secrets.token_bytes(16)
        # serve() points this at the blob server; the in-process transports route this host.
        self.blob_url = "http://blob.fake-github.test/"
        self.lock = threading.RLock()
        self._ids = itertools.count(1001)
        self.in_flight = 0
        self.app: Starlette = build_app(self)
        self.blob_app: Starlette = build_blob_app(self)
        self.reset()

    def reset(self) -> None:
        """Forget all state, tokens, faults, recorded requests and limits."""
        with self.lock:
            self.repos: dict[str, FakeRepo] = {}
            self.installations: dict[int, str] = {}
            self.tokens: dict[str, Token] = {}
            self.budgets: dict[str, Budget] = {}
            self.faults: list[Fault] = []
            self.requests: list[RecordedRequest] = []
            self.blob_requests: list[RecordedRequest] = []
            self.blob_delay = 0.0
            self.rate_limit_per_hour = 5000
            # GitHub: at most 80 content-creating requests per minute; None = not enforced.
            self.content_limit_per_minute: int | None = None
            self.concurrency_limit: int | None = None
            self._writes: dict[str, deque[float]] = {}
            self.peak_concurrency = 0
            self.oauth = FakeOAuth()  # user authorization (github_oauth.py)

    # ------------------------------------------------------------------ arrange

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        private: bool = False,
        installation_id: int | None = 77,
    ) -> FakeRepo:
        """A repository, installed for `installation_id` (None: the App is not installed)."""
        with self.lock:
            repo = FakeRepo(full_name, default_branch, private, installation_id)
            self.repos[full_name] = repo
            if installation_id is not None:
                self.installations.setdefault(installation_id, full_name.split("/")[0])
            return repo

    def add_issue(
        self,
        full_name: str,
        number: int,
        *,
        title: str,
        body: str,
        labels: Iterable[str] = (),
        user: str = "octocat",
    ) -> FakeIssue:
        """An open issue."""
        with self.lock:
            now = self.now()
            issue = FakeIssue(self.next_id(), number, title, body, list(labels), user, now, now)
            self.repos[full_name].issues[number] = issue
            return issue

    def delete_issue(self, full_name: str, number: int) -> None:
        """Make the issue answer 410 Gone."""
        with self.lock:
            self.repos[full_name].issues.pop(number, None)
            self.repos[full_name].deleted_issues.add(number)

    def add_comment(
        self,
        full_name: str,
        number: int,
        *,
        body: str,
        user: str = "octocat",
        user_type: str = "User",
        created_at: datetime | None = None,
    ) -> FakeComment:
        """A comment on an issue (oldest first; `created_at` defaults to now)."""
        with self.lock:
            issue = self.repos[full_name].issues[number]
            return self.new_comment(issue, body=body, user=user, user_type=user_type, at=created_at)

    def add_artifact(
        self,
        full_name: str,
        run_id: int,
        *,
        name: str,
        zip_bytes: bytes,
        expired: bool = False,
    ) -> FakeArtifact:
        """An artifact of a workflow run; `expired` ones answer 410 on download."""
        with self.lock:
            now = self.now()
            artifact = FakeArtifact(
                self.next_id(), run_id, name, zip_bytes, expired, now, now + timedelta(days=90)
            )
            self.repos[full_name].artifacts[artifact.id] = artifact
            return artifact

    def add_workflow_run(self, full_name: str, run_id: int, **fields: Any) -> dict[str, Any]:
        """A workflow run; `fields` override the WorkflowRun payload (head_sha, conclusion, ...).

        `head_repository_full_name="fork/repo"` sets `head_repository` (a fork's run).
        """
        with self.lock:
            stored = {**fields, "id": run_id}
            self.repos[full_name].workflow_runs[run_id] = stored
            return stored

    def add_pull(
        self,
        full_name: str,
        number: int,
        *,
        head_sha: str,
        head_branch: str,
        head_repo: str | None = None,
        title: str = "A pull request",
    ) -> None:
        """An open pull request (also an issue, for comments); `head_repo` a fork's name."""
        self.add_issue(full_name, number, title=title, body="")
        with self.lock:
            self.repos[full_name].pulls[number] = {
                "sha": head_sha,
                "ref": head_branch,
                "repo": head_repo or full_name,
            }

    def set_file(self, full_name: str, path: str, content: str | None) -> None:
        """A file on the default branch (None removes it)."""
        with self.lock:
            files = self.repos[full_name].files
            if content is None:
                files.pop(path.strip("/"), None)
            else:
                files[path.strip("/")] = content

    def set_permission(self, full_name: str, login: str, role: str) -> None:
        """A collaborator's role: admin|maintain|write|triage|read|none (or a custom role name)."""
        with self.lock:
            self.repos[full_name].permissions[login] = role

    def issue_token(
        self, *, installation_id: int | None = None, expires_in: int = 3600, login: str = "octocat"
    ) -> str:
        """A valid token: an installation token (`ghs_`) or, without an installation, a PAT."""
        prefix = "ghp_" if installation_id is None else "ghs_"
        value = prefix + secrets.token_urlsafe(27)[:36]
        with self.lock:
            self.tokens[value] = Token(value, installation_id, login, time.time() + expires_in)
        return value

    def revoke_tokens(self, *, installation_id: int | None = None) -> None:
        """Revoke every token (or every token of one installation): 401 Bad credentials."""
        with self.lock:
            for token in self.tokens.values():
                if installation_id is None or token.installation_id == installation_id:
                    token.revoked = True

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        headers: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` matching requests with `status` (0: only `delay`, then normally).

        `path` is a regex searched in the path without the prefix. Without `path`, token
        minting is never matched.
        """
        self._queue(Fault(status, times, method, path, dict(headers or {}), json, delay))

    def primary_rate_limit(
        self,
        *,
        times: int = 1,
        reset_in: int = 60,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """403 "API rate limit exceeded for installation ID N." with remaining 0 and a reset."""
        self._queue(Fault(403, times, method, path, kind="primary", reset_in=reset_in))

    def secondary_rate_limit(
        self,
        *,
        times: int = 1,
        retry_after: int | None = 1,
        status: int = 403,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """403/429 "You have exceeded a secondary rate limit..." (no retry-after when None)."""
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        self._queue(Fault(status, times, method, path, headers, kind="secondary"))

    def server_error(
        self,
        status: int = 502,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """A burst of 5xx answers."""
        self._queue(Fault(status, times, method, path))

    def slow(
        self, seconds: float, *, times: int = 1, method: str | None = None, path: str | None = None
    ) -> None:
        """Delay the next matching answers (to trip client timeouts); they then succeed."""
        self._queue(Fault(0, times, method, path, delay=seconds))

    def _queue(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    # ------------------------------------------------------------------ inspect

    def writes(self) -> list[RecordedRequest]:
        """POST/PATCH/PUT/DELETE requests, token minting excepted."""
        with self.lock:
            return [r for r in self.requests if r.is_write]

    def requests_to(
        self, method: str | None = None, path: str | None = None
    ) -> list[RecordedRequest]:
        """Recorded requests by method and path regex (searched)."""
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path is None or re.search(path, r.path))
            ]

    # ------------------------------------------------------------------ used by the app

    def now(self) -> datetime:
        """The fake's clock, whole seconds like GitHub's timestamps."""
        return datetime.now(UTC).replace(microsecond=0)

    def next_id(self) -> int:
        """A fresh id for issues, comments, artifacts, reactions and check runs."""
        return next(self._ids)

    def request_id(self) -> str:
        """An `x-github-request-id` value."""
        return ":".join(secrets.token_hex(n).upper() for n in (2, 3, 4, 4, 4))

    def user_id(self, login: str) -> int:
        """The stable id of a login."""
        return stable_id("user", login)

    def new_comment(
        self, issue: FakeIssue, *, body: str, user: str, user_type: str, at: datetime | None = None
    ) -> FakeComment:
        """Store a comment on an issue."""
        moment = at or self.now()
        comment = FakeComment(self.next_id(), issue.number, body, user, user_type, moment, moment)
        issue.comments.append(comment)
        issue.updated_at = max(issue.updated_at, moment)
        return comment

    def artifact_bytes(self, artifact_id: int) -> bytes | None:
        """The zip of an artifact in any repository."""
        with self.lock:
            for repo in self.repos.values():
                if artifact_id in repo.artifacts:
                    return repo.artifacts[artifact_id].zip_bytes
        return None

    def budget_for(self, token: Token | None) -> Budget:
        """The primary budget a token draws on: per installation, per PAT, or the App's."""
        if token is None:
            key = "app"
        elif token.installation_id is not None:
            key = f"installation:{token.installation_id}"
        else:
            key = f"pat:{token.value}"
        budget = self.budgets.get(key)
        if budget is None or budget.reset <= time.time():
            limit = self.rate_limit_per_hour
            budget = Budget(limit, limit, int(time.time()) + 3600)
            self.budgets[key] = budget
        return budget

    def note_write(self, token: Token | None) -> bool:
        """Count a content-creating request; False when over the per-minute limit."""
        assert self.content_limit_per_minute is not None
        key = str(
            token.installation_id if token and token.installation_id else token and token.value
        )
        window = self._writes.setdefault(key, deque())
        now = time.monotonic()
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.content_limit_per_minute:
            return False
        window.append(now)
        return True

    def __repr__(self) -> str:
        return f"FakeGitHub(app_id={self.app_id}, repos={sorted(self.repos)})"


__all__ = ["LEGACY_PERMISSION", "FakeGitHub", "key_pair"]
