"""GitHub: the port the bot calls (`GitHubAPI`), its githubkit adapter, and web addresses.

The only package importing githubkit (in `client` and `factory`); `port` and `urls` do no
I/O. Callers import from here: `from bot.github import GitHubAPI, GitHubFactory`.
"""

from bot.github.client import GitHubClient
from bot.github.factory import GitHubFactory
from bot.github.port import ArtifactInfo, CommentInfo, GitHubAPI, IssueInfo
from bot.github.urls import web_url

__all__ = [
    "ArtifactInfo",
    "CommentInfo",
    "GitHubAPI",
    "GitHubClient",
    "GitHubFactory",
    "IssueInfo",
    "web_url",
]
