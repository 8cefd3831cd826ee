"""GitHubClient: githubkit behind the `GitHubAPI` port, reading responses as plain JSON.

The only module making GitHub requests. Responses are read as plain JSON (a few fields
each), so schema drift on GitHub or an older Enterprise Server never breaks a job. Errors
become the bot's own: `RetryLater` (rate limits: wait, don't burn an attempt),
`GitHubUnavailable` (5xx, timeouts: retry with backoff), `GitHubNotFound`/`ArtifactExpired`
(nothing to retry).
"""

from __future__ import annotations

import base64
from collections.abc import Hashable, Iterator
from typing import Any

import httpx
from githubkit import GitHub
from githubkit.exception import RateLimitExceeded, RequestError, RequestFailed, RequestTimeout

from bot import telemetry
from bot.errors import (
    ArtifactExpired,
    ArtifactTooLarge,
    GitHubError,
    GitHubNotFound,
    GitHubUnavailable,
    PermissionMissing,
    RetryLater,
)
from bot.github.pacing import WritePacer
from bot.github.port import ArtifactInfo, CommentInfo, IssueInfo

# GitHub's guidance for a secondary limit that names no retry-after: wait at least a minute.
SECONDARY_DEFAULT_WAIT = 60.0
API_VERSION = "2022-11-28"  # understood by github.com and every supported Enterprise Server
STANDARD_ROLES = frozenset({"admin", "maintain", "write", "triage", "read"})


class GitHubClient:
    """githubkit behind the `GitHubAPI` Protocol, for one job (one installation)."""

    def __init__(
        self,
        gh: GitHub[Any],
        *,
        pacer: WritePacer | None = None,
        pace_key: Hashable = "token",
        timeout: float = 20.0,
    ):
        self._gh = gh
        self._pacer = pacer or WritePacer()
        self._pace_key = pace_key  # the installation (or token) GitHub counts writes against
        self._timeout = timeout

    # -- plumbing -----------------------------------------------------------------------------

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-GitHub-Api-Version": API_VERSION, **kwargs.pop("headers", {})}
        try:
            response = self._gh.request(method, url, headers=headers, **kwargs)
        except RateLimitExceeded as exc:
            telemetry.record_github_call(method, exc.response.raw_response)
            raise RetryLater(exc.retry_after.total_seconds(), "GitHub rate limit") from None
        except RequestFailed as exc:
            telemetry.record_github_call(method, exc.response.raw_response)
            raise _translate(exc.response.raw_response) from None
        except RequestTimeout:
            telemetry.record_github_call(method, None)
            raise GitHubUnavailable(f"GitHub timed out on {method} {url}") from None
        except RequestError as exc:
            inner = exc.exc if hasattr(exc, "exc") else exc
            if isinstance(inner, RateLimitExceeded):  # raised while minting the token
                telemetry.record_github_call(method, inner.response.raw_response)
                raise RetryLater(inner.retry_after.total_seconds(), "GitHub rate limit") from None
            if isinstance(inner, RequestFailed):
                telemetry.record_github_call(method, inner.response.raw_response)
                raise _translate(inner.response.raw_response) from None
            telemetry.record_github_call(method, None)
            raise GitHubUnavailable(f"cannot reach GitHub: {type(inner).__name__}") from None
        telemetry.record_github_call(method, response.raw_response)
        return response.raw_response

    def _write(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Content-creating requests, spaced as GitHub asks across every client (`pacing`)."""
        with self._pacer.turn(self._pace_key):
            return self._call(method, url, **kwargs)

    def _pages(self, url: str, params: dict[str, Any]) -> Iterator[Any]:
        """Follow `Link: rel="next"` headers, as GitHub paginates."""
        response = self._call("GET", url, params={**params, "per_page": 100})
        while True:
            yield response.json()
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return
            response = self._call("GET", next_url)

    # -- the Protocol -------------------------------------------------------------------------

    def default_branch(self, repo: str) -> str:
        """The repository's default branch."""
        return str(self._call("GET", f"/repos/{repo}").json().get("default_branch") or "main")

    def get_issue(self, repo: str, number: int) -> IssueInfo:
        """An issue, fetched fresh."""
        return _issue(self._call("GET", f"/repos/{repo}/issues/{number}").json())

    def list_issues(self, repo: str, label: str) -> list[IssueInfo]:
        """The open issues with this label (pull requests left out), across all pages."""
        found: list[IssueInfo] = []
        for page in self._pages(f"/repos/{repo}/issues", {"labels": label, "state": "open"}):
            found.extend(i for i in map(_issue, page) if not i.is_pull_request)
        return found

    def update_issue_body(self, repo: str, number: int, body: str) -> None:
        """Replace the issue body."""
        self._write("PATCH", f"/repos/{repo}/issues/{number}", json={"body": body})

    def create_issue(
        self, repo: str, title: str, body: str, *, labels: list[str], assignees: list[str]
    ) -> int:
        """Open an issue; returns its number. GitHub refuses (422) assignees who may not be
        assigned: the issue is then opened without them rather than not at all."""
        fields = {"title": title, "body": body, "labels": labels}
        try:
            response = self._write(
                "POST", f"/repos/{repo}/issues", json={**fields, "assignees": assignees}
            )
        except GitHubError as exc:
            if exc.status != 422 or not assignees:
                raise
            response = self._write("POST", f"/repos/{repo}/issues", json=fields)
        return int(response.json()["number"])

    def close_issue(self, repo: str, number: int) -> None:
        """Close an issue as completed."""
        body = {"state": "closed", "state_reason": "completed"}
        self._write("PATCH", f"/repos/{repo}/issues/{number}", json=body)

    def get_comment(self, repo: str, comment_id: int) -> CommentInfo | None:
        """A comment by id, or None when it is gone."""
        try:
            return _comment(self._call("GET", f"/repos/{repo}/issues/comments/{comment_id}").json())
        except GitHubNotFound:
            return None

    def find_comment(self, repo: str, number: int, marker: str) -> CommentInfo | None:
        """The first comment carrying the marker (bots' comments first), across all pages."""
        found: list[CommentInfo] = []
        for page in self._pages(f"/repos/{repo}/issues/{number}/comments", {}):
            found.extend(_comment(c) for c in page if marker in str(c.get("body") or ""))
        found.sort(key=lambda c: c.user_type != "Bot")
        return found[0] if found else None

    def create_comment(self, repo: str, number: int, body: str) -> CommentInfo:
        """Post a comment."""
        response = self._write(
            "POST", f"/repos/{repo}/issues/{number}/comments", json={"body": body}
        )
        return _comment(response.json())

    def update_comment(self, repo: str, comment_id: int, body: str) -> None:
        """Edit a comment."""
        self._write("PATCH", f"/repos/{repo}/issues/comments/{comment_id}", json={"body": body})

    def add_reaction(self, repo: str, comment_id: int, content: str) -> None:
        """React to an issue comment (idempotent on GitHub's side)."""
        url = f"/repos/{repo}/issues/comments/{comment_id}/reactions"
        self._write("POST", url, json={"content": content})

    def permission(self, repo: str, user: str) -> str:
        """The user's role; GitHub's legacy `permission` never says maintain, `role_name` does."""
        try:
            data = self._call("GET", f"/repos/{repo}/collaborators/{user}/permission").json()
        except GitHubNotFound:
            return "none"
        except GitHubError as exc:
            if exc.status == 403:  # the App lacks a permission: say so, never guess "none"
                raise PermissionMissing(
                    f"GitHub refused the collaborator-permission call on {repo} (403: {exc}); "
                    "the App needs the repository permission Metadata (read) and the "
                    "installation must accept the App's current permissions",
                    status=403,
                ) from None
            raise
        role = str(data.get("role_name") or "")
        if role in STANDARD_ROLES:
            return role
        # A custom role: its legacy `permission` (admin|write|read|none) is what it inherits.
        return str(data.get("permission") or "none")

    def get_file(self, repo: str, path: str) -> str | None:
        """A file of the default branch as text, or None when absent."""
        try:
            response = self._call(
                "GET",
                f"/repos/{repo}/contents/{path}",
                headers={"Accept": "application/vnd.github.raw+json"},
            )
        except GitHubNotFound:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            data = response.json()
            return base64.b64decode(data.get("content") or "").decode("utf-8", errors="replace")
        return response.text

    def create_check_run(
        self, repo: str, head_sha: str, output: dict[str, Any], **fields: Any
    ) -> int:
        """Create a completed check run on a commit; returns its id."""
        body = {"head_sha": head_sha, "status": "completed", "output": output, **fields}
        response = self._write("POST", f"/repos/{repo}/check-runs", json=body)
        return int(response.json()["id"])

    def pulls_for_commit(self, repo: str, sha: str) -> list[int]:
        """Open pull requests whose head is this commit (a fork's run names none itself)."""
        pulls = self._call("GET", f"/repos/{repo}/commits/{sha}/pulls").json()
        return [
            int(p["number"])
            for p in pulls
            if p.get("state") == "open" and (p.get("head") or {}).get("sha") == sha
        ]

    def add_check_annotations(self, repo: str, check_run_id: int, output: dict[str, Any]) -> None:
        """Append annotations to a check run (GitHub takes 50 per request)."""
        self._write("PATCH", f"/repos/{repo}/check-runs/{check_run_id}", json={"output": output})

    def list_artifacts(self, repo: str, run_id: int) -> list[ArtifactInfo]:
        """Every artifact of a workflow run, across all pages."""
        artifacts: list[ArtifactInfo] = []
        for page in self._pages(f"/repos/{repo}/actions/runs/{run_id}/artifacts", {}):
            artifacts.extend(
                ArtifactInfo(
                    id=int(a["id"]),
                    name=str(a.get("name") or ""),
                    size=int(a.get("size_in_bytes") or 0),
                    expired=bool(a.get("expired")),
                )
                for a in page.get("artifacts", [])
            )
        return artifacts

    def download_artifact(self, repo: str, artifact_id: int, *, max_bytes: int) -> bytes:
        """The artifact's zip, following GitHub's short-lived redirect, within a size limit."""
        try:
            response = self._call("GET", f"/repos/{repo}/actions/artifacts/{artifact_id}/zip")
        except GitHubError as exc:
            if exc.status == 410:
                raise ArtifactExpired(f"artifact {artifact_id} of {repo} has expired") from None
            raise
        if response.status_code not in (301, 302, 303, 307, 308):
            return _limited(response.content, max_bytes, artifact_id)
        location = response.headers["location"]
        # The blob URL is signed and short-lived; it must get no Authorization header.
        chunks: list[bytes] = []
        size = 0
        try:
            with (
                httpx.Client(timeout=self._timeout, follow_redirects=True) as blob,
                blob.stream("GET", location) as stream,
            ):
                if stream.status_code >= 400:
                    raise GitHubUnavailable(f"artifact download answered {stream.status_code}")
                for chunk in stream.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ArtifactTooLarge(
                            f"artifact {artifact_id} is larger than {max_bytes:,} bytes"
                        )
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise GitHubUnavailable(f"artifact download failed: {type(exc).__name__}") from None
        return b"".join(chunks)


def _limited(content: bytes, max_bytes: int, artifact_id: int) -> bytes:
    if len(content) > max_bytes:
        raise ArtifactTooLarge(f"artifact {artifact_id} is larger than {max_bytes:,} bytes")
    return content


def _translate(response: httpx.Response) -> GitHubError:
    status = response.status_code
    try:
        message = str(response.json().get("message") or "")
    except ValueError:
        message = response.text[:200]
    if status in (403, 429) and "secondary rate limit" in message.lower():
        # githubkit misses this form (no retry-after, remaining > 0): GitHub says wait >= 1 min.
        wait = float(response.headers.get("retry-after") or SECONDARY_DEFAULT_WAIT)
        return RetryLater(wait, "GitHub secondary rate limit")
    if status == 404:
        return GitHubNotFound(f"GitHub: not found ({response.request.url.path})", status=404)
    if status >= 500:
        return GitHubUnavailable(f"GitHub answered {status}: {message}", status=status)
    return GitHubError(f"GitHub answered {status}: {message}", status=status)


def _issue(data: dict[str, Any]) -> IssueInfo:
    return IssueInfo(
        number=int(data["number"]),
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        state=str(data.get("state") or "open"),
        labels=tuple(_label_names(data.get("labels"))),
        is_pull_request=bool(data.get("pull_request")),
    )


def _label_names(labels: Any) -> list[str]:
    names = []
    for label in labels or []:
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str):
            names.append(name)
    return names


def _comment(data: dict[str, Any]) -> CommentInfo:
    user = data.get("user") or {}
    return CommentInfo(
        id=int(data["id"]),
        body=str(data.get("body") or ""),
        user=str(user.get("login") or ""),
        user_type=str(user.get("type") or "User"),
    )
