"""Test fakes and helpers defined once: a fake GitHub served over real HTTP, a webhook sender.

Submodules hold the rest, imported by name: the bot served on loopback (running_bot,
bot_server) and the seed story told to it (seed_story). Test modules import helpers from here
or from a conftest, never from another test module.
"""

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
