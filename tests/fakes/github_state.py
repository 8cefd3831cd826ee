"""The fake GitHub's in-memory state: repositories, issues, comments, artifacts, tokens, faults."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# GitHub's legacy `permission` only knows admin|write|read|none (GITHUB.md §2).
LEGACY_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}

REACTIONS = frozenset({"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"})


@dataclass
class RecordedRequest:
    """One request as the fake saw it; `path` is without the API prefix."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    status: int = 0
    token: str | None = None
    received_at: float = field(default_factory=time.monotonic)  # when the fake read it

    @property
    def is_write(self) -> bool:
        """POST/PATCH/PUT/DELETE, token minting excepted."""
        return self.method in {"POST", "PATCH", "PUT", "DELETE"} and not self.is_token_mint

    @property
    def is_token_mint(self) -> bool:
        """The App's installation-token request."""
        return self.method == "POST" and bool(
            re.fullmatch(r"/app/installations/[^/]+/access_tokens", self.path)
        )


@dataclass
class FakeReaction:
    """A reaction left on a comment."""

    id: int
    user: str
    user_type: str
    content: str
    created_at: datetime


@dataclass
class FakeComment:
    """An issue comment."""

    id: int
    issue_number: int
    body: str
    user: str
    user_type: str
    created_at: datetime
    updated_at: datetime
    reactions: list[FakeReaction] = field(default_factory=list)


@dataclass
class FakeIssue:
    """An issue; `comments` in creation order."""

    id: int
    number: int
    title: str
    body: str | None
    labels: list[str]
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    comments: list[FakeComment] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)


@dataclass
class FakeArtifact:
    """A workflow-run artifact and its zip bytes."""

    id: int
    run_id: int
    name: str
    zip_bytes: bytes
    expired: bool
    created_at: datetime
    expires_at: datetime


@dataclass
class FakeCheckRun:
    """A check run as last created/updated (the request fields, merged)."""

    id: int
    fields: dict[str, Any]


@dataclass
class FakeRepo:
    """A repository and everything the tests arranged in it."""

    full_name: str
    default_branch: str
    private: bool
    installation_id: int | None
    issues: dict[int, FakeIssue] = field(default_factory=dict)
    artifacts: dict[int, FakeArtifact] = field(default_factory=dict)
    workflow_runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> head sha/ref/repo
    files: dict[str, str] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)
    check_runs: dict[int, FakeCheckRun] = field(default_factory=dict)
    deleted_issues: set[int] = field(default_factory=set)

    def comment(self, comment_id: int) -> FakeComment | None:
        """The comment with that id on any issue of this repository."""
        for issue in self.issues.values():
            for comment in issue.comments:
                if comment.id == comment_id:
                    return comment
        return None


@dataclass
class Token:
    """An access token: a PAT (installation_id None) or an installation token."""

    value: str
    installation_id: int | None
    login: str
    expires_at: float
    revoked: bool = False


@dataclass
class Budget:
    """A primary rate-limit budget (per installation, or per PAT)."""

    limit: int
    remaining: int
    reset: int
    resource: str = "core"


@dataclass
class Fault:
    """A canned answer for the next `times` requests matching `method`/`path` (a regex).

    `status` 0 means "only delay, then answer normally" (a slow response). A fault without
    `path` never matches token minting, so App auth still works under a fault.
    """

    status: int
    times: int
    method: str | None = None
    path: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    delay: float = 0.0
    kind: str = "custom"  # custom | primary | secondary
    reset_in: int = 60

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request."""
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path is None:
            return not (
                method == "POST" and re.fullmatch(r"/app/installations/[^/]+/access_tokens", path)
            )
        return re.search(self.path, path) is not None
