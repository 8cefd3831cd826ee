"""GitHub: the port the bot calls (`GitHubAPI`) and its githubkit adapter.

The only package importing githubkit (in `client` and `factory`); `port` does no
I/O. Callers import from here: `from bot.github import GitHubAPI, GitHubFactory`.
"""

from bot.github.client import GitHubClient
from bot.github.factory import GitHubFactory
from bot.github.port import ArtifactInfo, CommentInfo, GitHubAPI, IssueInfo

__all__ = [
    "ArtifactInfo",
    "CommentInfo",
    "GitHubAPI",
    "GitHubClient",
    "GitHubFactory",
    "IssueInfo",
]
