"""GitHubFactory: one githubkit client per job, authenticated as the settings say.

Holds what outlives a job: the installation-token cache, and the retry policy githubkit
applies in place (short rate-limit waits, a couple of 5xx on reads).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from githubkit import AppInstallationAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.cache import MemCacheStrategy
from githubkit.exception import GitHubException, RateLimitExceeded, RequestFailed
from githubkit.retry import RetryOption

from bot import __version__
from bot.config import GitHubMode, Settings
from bot.errors import GitHubError
from bot.github.client import GitHubClient
from bot.github.pacing import WritePacer

# Rate-limit waits up to this long happen inside the call; longer ones re-queue the job.
MAX_INLINE_WAIT = timedelta(seconds=10)


def _retry_decision(exc: GitHubException, count: int) -> RetryOption:
    """Retry short rate-limit waits and a couple of 5xx in place; leave the rest to the job."""
    if isinstance(exc, RateLimitExceeded):
        if count < 2 and exc.retry_after <= MAX_INLINE_WAIT:
            return RetryOption(True, exc.retry_after)
        return RetryOption(False)
    # Only reads are retried in place: a POST that failed with 5xx may still have created its
    # comment; the job's own retry then finds it by its marker instead of posting twice.
    if (
        isinstance(exc, RequestFailed)
        and exc.response.status_code >= 500
        and count < 2
        and exc.response.raw_request.method in ("GET", "HEAD")
    ):
        return RetryOption(True, timedelta(seconds=0.2 * 2**count))
    return RetryOption(False)


class GitHubFactory:
    """Builds a client per job for the configured mode; holds the shared token cache."""

    def __init__(self, settings: Settings, *, write_interval: float | None = None) -> None:
        self._settings = settings
        self._cache = MemCacheStrategy()  # installation tokens, shared across jobs
        # One pacer for every client this factory builds: writes of one installation are
        # spaced across jobs, not only within one.
        self._pacer = WritePacer(1.0 if write_interval is None else write_interval)

    @property
    def online(self) -> bool:
        """Whether credentials are configured (otherwise the bot runs offline)."""
        return self._settings.github_mode is not GitHubMode.OFFLINE

    @contextmanager
    def client(self, installation_id: int | None) -> Iterator[GitHubClient]:
        """A client for one job; `installation_id` is required in App mode."""
        settings = self._settings
        auth: Any
        if settings.github_mode is GitHubMode.APP:
            if installation_id is None:
                raise GitHubError("App mode needs an installation id (none in the event)")
            auth = AppInstallationAuthStrategy(
                settings.github_app_id, settings.private_key_pem() or "", installation_id
            )
        elif settings.github_mode is GitHubMode.TOKEN:
            assert settings.github_token is not None
            auth = TokenAuthStrategy(settings.github_token.get_secret_value())
        else:
            raise GitHubError("no GitHub credentials configured (offline mode)")
        gh: GitHub[Any] = GitHub(
            auth,
            base_url=settings.github_api_url,
            user_agent=f"remediation-bot/{__version__}",
            timeout=httpx.Timeout(settings.github_timeout_seconds, connect=5.0),
            http_cache=False,  # the default caches every GET (artifacts too) with no TTL
            follow_redirects=False,  # artifact downloads are fetched by hand, size-limited
            auto_retry=_retry_decision,
            cache_strategy=self._cache,
        )
        with gh:
            yield GitHubClient(
                gh,
                pacer=self._pacer,
                pace_key=installation_id if installation_id is not None else "token",
                timeout=settings.github_timeout_seconds,
            )
