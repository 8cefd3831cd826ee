"""The port: what the bot asks of GitHub, as a Protocol over plain dataclasses.

No I/O and no githubkit here; the worker depends on this, `GitHubClient` implements it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class IssueInfo:
    """The parts of an issue the bot reads."""

    number: int
    title: str
    body: str
    state: str
    labels: tuple[str, ...]
    is_pull_request: bool = False


@dataclass(frozen=True, slots=True)
class CommentInfo:
    """A comment: who wrote it and what it says."""

    id: int
    body: str
    user: str
    user_type: str


@dataclass(frozen=True, slots=True)
class ArtifactInfo:
    """An artifact of a workflow run."""

    id: int
    name: str
    size: int
    expired: bool


class GitHubAPI(Protocol):
    """Everything the bot asks of GitHub; tests use the real implementation on a fake server."""

    def default_branch(self, repo: str) -> str:
        """The repository's default branch."""
        ...

    def get_issue(self, repo: str, number: int) -> IssueInfo:
        """An issue, fetched fresh."""
        ...

    def list_issues(self, repo: str, label: str) -> list[IssueInfo]:
        """The open issues with this label (pull requests left out), across all pages."""
        ...

    def update_issue_body(self, repo: str, number: int, body: str) -> None:
        """Replace the issue body."""
        ...

    def create_issue(
        self, repo: str, title: str, body: str, *, labels: list[str], assignees: list[str]
    ) -> int:
        """Open an issue; returns its number (assignees GitHub refuses are left out)."""
        ...

    def close_issue(self, repo: str, number: int) -> None:
        """Close an issue as completed."""
        ...

    def get_comment(self, repo: str, comment_id: int) -> CommentInfo | None:
        """A comment by id, or None when it is gone."""
        ...

    def find_comment(self, repo: str, number: int, marker: str) -> CommentInfo | None:
        """The first comment carrying the marker (bots' comments first), across all pages."""
        ...

    def create_comment(self, repo: str, number: int, body: str) -> CommentInfo:
        """Post a comment."""
        ...

    def update_comment(self, repo: str, comment_id: int, body: str) -> None:
        """Edit a comment."""
        ...

    def add_reaction(self, repo: str, comment_id: int, content: str) -> None:
        """React to an issue comment (idempotent on GitHub's side)."""
        ...

    def permission(self, repo: str, user: str) -> str:
        """The user's role on the repository: admin, maintain, write, triage, read or none."""
        ...

    def get_file(self, repo: str, path: str) -> str | None:
        """A file of the default branch as text, or None when absent."""
        ...

    def list_artifacts(self, repo: str, run_id: int) -> list[ArtifactInfo]:
        """Every artifact of a workflow run, across all pages."""
        ...

    def create_check_run(
        self, repo: str, head_sha: str, output: dict[str, Any], **fields: Any
    ) -> int:
        """Create a completed check run on a commit; returns its id."""
        ...

    def pulls_for_commit(self, repo: str, sha: str) -> list[int]:
        """Open pull requests whose head is this commit (a fork's run names none itself)."""
        ...

    def add_check_annotations(self, repo: str, check_run_id: int, output: dict[str, Any]) -> None:
        """Append annotations to a check run (GitHub takes 50 per request)."""
        ...

    def download_artifact(self, repo: str, artifact_id: int, *, max_bytes: int) -> bytes:
        """The artifact's zip, following GitHub's short-lived redirect, within a size limit."""
        ...
