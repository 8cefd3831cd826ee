"""create_app(settings): the FastAPI application, wired in one place.

Nothing connects or reads the environment at import: `serve` builds the settings, migrates,
and then asks for the app. With `WORKER_ENABLED` (the default) a worker thread runs jobs
inside the same process, which is all a single SQLite deployment needs.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlmodel import Session

from bot import __version__, telemetry
from bot.config import Settings
from bot.github import GitHubFactory, web_url
from bot.store.engine import WriteActivity, checkpoint_sqlite, is_sqlite, make_engine
from bot.store.inbox import Inbox
from bot.store.migrate import is_current
from bot.store.models import Repository, TrackedIssue
from bot.web import uploads, webhooks
from bot.web.access import Gate
from bot.web.dashboard import api, pages
from bot.web.dashboard.evaluations import EvaluationCache
from bot.web.dashboard.issue_page import issue_detail
from bot.worker.loop import Context, Worker

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, github: GitHubFactory | None = None) -> FastAPI:
    """Build the application for these settings (and, in tests, a given GitHub factory)."""
    sqlite = is_sqlite(settings.database_url)
    engine = make_engine(settings.database_url, checkpoint_on_commit=not sqlite)
    activity = WriteActivity()
    evaluations = EvaluationCache()
    web = web_url(settings.github_api_url)

    def warm(session: Session, repository: Repository, issue: TrackedIssue) -> None:
        # The in-process worker evaluates the dashboard's view right after a sync, so the
        # first page view after a run is served from the cache too.
        issue_detail(
            session=session, web=web, repository=repository, issue=issue, cache=evaluations
        )

    context = Context(
        engine=engine,
        settings=settings,
        github=github or GitHubFactory(settings),
        after_sync=warm,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything imported and built so far lives as long as the process: keep it out of
        # the collector's full passes, whose pauses were the webhook's p99.
        gc.freeze()
        stop = threading.Event()
        thread = None
        if settings.worker_enabled:
            worker = Worker(context)
            thread = threading.Thread(
                target=worker.run_forever, args=(stop,), name="remediation-worker", daemon=True
            )
            thread.start()
        app.state.worker_thread = thread
        checkpointer = None
        if sqlite:
            checkpointer = threading.Thread(
                target=_checkpoint_loop,
                args=(engine, activity, stop),
                name="sqlite-checkpoint",
                daemon=True,
            )
            checkpointer.start()
        try:
            yield
        finally:
            stop.set()
            for background in (thread, checkpointer):
                if background is not None:
                    background.join(timeout=30)
            engine.dispose()

    app = FastAPI(title="remediation-bot", version=__version__, lifespan=lifespan)
    app.state.context = context
    app.include_router(webhooks.router(settings, Inbox(engine, activity)))
    app.include_router(uploads.router(settings))
    gate = Gate(settings)
    app.include_router(api.router(settings, gate, evaluations))
    app.include_router(pages.router(settings, gate, evaluations))
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    app.include_router(telemetry.metrics_router(engine))

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    def readyz() -> JSONResponse:
        """The database answers and its schema is at the newest migration."""
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            current = is_current(engine)
        except Exception as exc:  # any database failure means "not ready", never a 500
            return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, 503)
        if not current:
            return JSONResponse({"status": "migrations pending"}, 503)
        return JSONResponse({"status": "ready"})

    return app


def _checkpoint_loop(engine: Engine, activity: WriteActivity, stop: threading.Event) -> None:
    """SQLite's WAL checkpoints, off the request path, in quiet moments."""
    while not stop.wait(0.5):
        try:
            checkpoint_sqlite(engine, activity)
        except Exception:  # a busy or vanished database: the next second will do
            log.debug("checkpoint skipped", exc_info=True)


def app_from_environment() -> FastAPI:
    """The app for settings read from the environment (uvicorn's factory for `serve`)."""
    settings = Settings()
    telemetry.configure_logging(settings)
    return create_app(settings)
