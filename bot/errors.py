"""The bot's exception hierarchy, written out in one place.

BotError
├── ReportError            a test report could not be read (the file is named in the message)
│   ├── ReportTooLarge     above the configured size limit; nothing was parsed
│   ├── MalformedReport    not well-formed XML (line and column given)
│   ├── HostileReport      a DTD or entity declaration: refused before anything is expanded
│   └── NotJUnitReport     well-formed XML whose root is not <testsuites>/<testsuite>
├── RuleError              an explicit metric rule does not follow the grammar
├── ConfigurationError     a setting or .github/remediation.yml is missing or wrong
├── ArtifactError          a CI artifact cannot be used
│   ├── ArtifactExpired    GitHub deleted it (410): reported, never retried
│   └── ArtifactTooLarge   over a size, ratio or member limit (zip bombs)
└── GitHubError            GitHub refused a call (`status` says how)
    ├── GitHubNotFound     404: the thing is gone or out of reach
    ├── PermissionMissing  403: the App lacks a permission; dead-lettered, never retried
    ├── GitHubUnavailable  5xx, timeout, network: retried with backoff
    ├── RetryLater         a rate limit: wait `retry_after` seconds, no attempt is used
    └── AuthorizationRefused  a user's sign-in code, refresh token or token was refused
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class ReportError(BotError):
    """A test report could not be read; the message names the file and says what was wrong."""


class ReportTooLarge(ReportError):
    """The report is larger than the configured limit."""


class MalformedReport(ReportError):
    """The report is not well-formed XML."""


class HostileReport(ReportError):
    """The report declares a DTD or entities, which are never expanded."""


class NotJUnitReport(ReportError):
    """The report is XML but not JUnit."""


class RuleError(BotError):
    """An explicit metric rule does not follow the grammar; the message shows the usage."""


class ConfigurationError(BotError):
    """A setting is missing or contradictory."""


class ArtifactError(BotError):
    """A CI artifact cannot be used; the message says which and why."""


class ArtifactExpired(ArtifactError):
    """The artifact is past its retention (GitHub answers 410)."""


class ArtifactTooLarge(ArtifactError):
    """The artifact exceeds a size, compression-ratio or member-count limit."""


class GitHubError(BotError):
    """GitHub refused or failed a call."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubNotFound(GitHubError):
    """The resource does not exist or is out of the token's reach."""


class PermissionMissing(GitHubError):
    """GitHub answered 403: the App was not granted a permission this call needs."""


class GitHubUnavailable(GitHubError):
    """A server error, timeout or network failure: worth retrying later."""


class RetryLater(GitHubError):
    """A rate limit: the job waits `retry_after` seconds without using an attempt."""

    def __init__(self, retry_after: float, reason: str) -> None:
        super().__init__(f"{reason}: retry in {retry_after:.0f} s", status=429)
        self.retry_after = retry_after


class AuthorizationRefused(GitHubError):
    """GitHub refused a user's authorization: a bad or used code, a bad refresh token, or a
    revoked user token (401). The user signs in again; nothing is retried."""
