"""The bot served on loopback with its worker driven by the test, and its settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import CursorResult, Engine, update
from sqlmodel import Session, col

from bot.config import Settings
from bot.github import GitHubFactory
from bot.store.models import Job, utc_now
from bot.web.app import create_app
from bot.worker.loop import Worker

from .bot_server import serve_bot
from .github_server import ServedFake
from .webhook_sender import deliver

WEBHOOK_SECRET = "webhook-secret-for-tests"
DASHBOARD_TOKEN = "dashboard-token-for-tests"


@dataclass
class RunningBot:
    """The bot served by uvicorn; its worker is driven by the test, one job at a time."""

    url: str
    settings: Settings
    worker: Worker
    engine: Engine

    def deliver(self, event: str, body: bytes, *, delivery_id: str | None = None) -> httpx.Response:
        """Send a signed delivery the way GitHub does."""
        return deliver(
            self.url, event=event, body=body, secret=WEBHOOK_SECRET, delivery_id=delivery_id
        )

    def work(self) -> int:
        """Run queued jobs until none is runnable."""
        return self.worker.run_until_idle()


def bot_settings(database_url: str, served: ServedFake, **overrides: Any) -> Settings:
    """Settings of an App installed on the fake GitHub."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "github_app_id": str(served.app_id),
        "github_private_key": served.private_key_pem,
        "github_webhook_secret": WEBHOOK_SECRET,
        "github_api_url": served.api_url,
        "github_timeout_seconds": 5.0,
        "worker_enabled": False,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@contextmanager
def served(bot: RunningBot, served_github: ServedFake, **overrides: Any) -> Iterator[str]:
    """Another app on the same database with other settings (the worker stays off)."""
    settings = bot_settings(bot.settings.database_url, served_github, **overrides)
    with serve_bot(create_app(settings, github=GitHubFactory(settings))) as url:
        yield url


def fast_forward(bot: RunningBot) -> int:
    """Fast-forward the queue clock: every queued job (backoff, deferral) is due now."""
    with Session(bot.engine) as session:
        result = session.execute(
            update(Job).where(col(Job.status) == "queued").values(run_after=utc_now())
        )
        session.commit()
        assert isinstance(result, CursorResult)  # what an UPDATE returns
        return result.rowcount


def steady_backoff(attempts: int) -> timedelta:
    """A failed job waits a whole minute: it is retried after a test fast-forwards the queue.

    The real backoff is uniform in [0, 4 s] after a first failure, so now and then the same
    round of work would retry at once.
    """
    return timedelta(minutes=1)
