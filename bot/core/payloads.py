"""The fields of GitHub webhook payloads the bot reads, validated at the edge (pydantic).

Pure module: no I/O. A payload is signed by GitHub, but its shape is still checked: a field
of the wrong type, or a number the store cannot keep (an issue number beyond int32, an id
beyond BIGINT), makes the delivery malformed. It is then recorded as ignored with the reason,
and never becomes a job that would retry until it is dead. Unknown fields are ignored.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

# Ids are BIGINT columns; issue and pull-request numbers are INTEGER columns.
Id = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]
Number = Annotated[int, Field(strict=True, ge=1, le=2**31 - 1)]
FullName = Annotated[str, StringConstraints(pattern=r"^[^/\s]+/[^/\s]+$", max_length=200)]
Text = Annotated[str, Field(strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Repository(_Model):
    """`repository`: where the event happened."""

    full_name: FullName
    default_branch: Text | None = None


class Installation(_Model):
    """`installation`: the App installation the event belongs to."""

    id: Id


class NamedRepository(_Model):
    """An entry of an installation's repository lists."""

    full_name: FullName


class Label(_Model):
    """An issue label."""

    name: Text


class Issue(_Model):
    """`issue` of `issues` and `issue_comment` events."""

    number: Number
    title: Text | None = None
    body: Text | None = None
    state: Text | None = None
    labels: list[Label] = []
    pull_request: dict[str, object] | None = None


class User(_Model):
    """A comment's author."""

    login: Text
    type: Text = "User"


class Comment(_Model):
    """`comment` of `issue_comment` events."""

    id: Id
    body: Text | None = None
    user: User | None = None
    performed_via_github_app: dict[str, object] | None = None


class PullRequestRef(_Model):
    """An entry of a workflow run's `pull_requests`."""

    number: Number


class WorkflowRun(_Model):
    """`workflow_run` of `workflow_run` events."""

    id: Id
    run_attempt: Annotated[int, Field(strict=True, ge=1, le=10_000)] = 1
    head_sha: Text | None = None
    head_branch: Text | None = None
    head_repository: NamedRepository | None = None
    event: Text | None = None
    conclusion: Text | None = None
    html_url: Text | None = None
    name: Text | None = None
    run_started_at: Text | None = None
    created_at: Text | None = None
    pull_requests: list[PullRequestRef] = []


class Envelope(_Model):
    """What every event the bot handles carries."""

    action: Text | None = None
    repository: Repository | None = None
    installation: Installation | None = None


class InstallationEvent(Envelope):
    """`installation` and `installation_repositories`."""

    repositories: list[NamedRepository] | None = None
    repositories_added: list[NamedRepository] | None = None
    repositories_removed: list[NamedRepository] | None = None


class IssuesEvent(Envelope):
    """`issues`."""

    repository: Repository
    issue: Issue
    sender: User | None = None  # who acted: a person reopening what the bot closed counts


class IssueCommentEvent(Envelope):
    """`issue_comment`."""

    repository: Repository
    issue: Issue
    comment: Comment


class WorkflowRunEvent(Envelope):
    """`workflow_run`."""

    repository: Repository
    workflow_run: WorkflowRun


def problems(error: ValidationError, *, limit: int = 3) -> str:
    """A short account of what was wrong, for the delivery's recorded reason."""
    shown = [
        f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}"
        for e in error.errors()[:limit]
    ]
    more = error.error_count() - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")
