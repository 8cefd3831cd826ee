"""Test fakes defined once: a fake GitHub served over real HTTP, and a webhook sender."""

from .github import FakeGitHub, key_pair
from .github_server import ServedFake, serve
from .github_state import (
    FakeArtifact,
    FakeCheckRun,
    FakeComment,
    FakeIssue,
    FakeReaction,
    FakeRepo,
    RecordedRequest,
)
from .github_transport import async_transport, transport

__all__ = [
    "FakeArtifact",
    "FakeCheckRun",
    "FakeComment",
    "FakeGitHub",
    "FakeIssue",
    "FakeReaction",
    "FakeRepo",
    "RecordedRequest",
    "ServedFake",
    "async_transport",
    "key_pair",
    "serve",
    "transport",
]
