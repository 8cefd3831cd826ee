"""create_app(settings): the FastAPI application, wired in one place.

Nothing connects or reads the environment at import: `serve` builds the settings, migrates,
and then asks for the app. With `WORKER_ENABLED` (the default) a worker thread runs jobs
inside the same process, which is all a single SQLite deployment needs.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot import __version__, telemetry
from bot.config import Settings
from bot.github import GitHubFactory, web_url
from bot.store.engine import WriteActivity, checkpoint_sqlite, is_sqlite, make_engine
from bot.store.inbox import Inbox
from bot.store.migrate import is_current
from bot.store.models import Repository, TrackedIssue
from bot.web import uploads, webhooks
from bot.web.access import AccessRule
from bot.web.dashboard import api, login, pages
from bot.web.dashboard.evaluations import EvaluationCache
from bot.web.dashboard.issue_page import issue_detail
from bot.web.deps import EngineDep, operator_viewer
from bot.web.viewer import AccessUnavailable
from bot.worker.context import Context
from bot.worker.loop import Worker

log = logging.getLogger(__name__)

probes = APIRouter(tags=["operations"])


def create_app(settings: Settings, *, github: GitHubFactory | None = None) -> FastAPI:
    """Build the application for these settings (and, in tests, a given GitHub factory)."""
    sqlite = is_sqlite(settings.database_url)
    engine = make_engine(settings.database_url, checkpoint_on_commit=not sqlite)
    activity = WriteActivity()
    evaluations = EvaluationCache()
    context = Context(
        engine=engine,
        settings=settings,
        github=github or GitHubFactory(settings),
        after_sync=view_warmer(settings, evaluations),
    )
    app = FastAPI(
        title="remediation-bot", version=__version__, lifespan=_lifespan(context, activity, sqlite)
    )
    # What bot.web.deps reads.
    app.state.context = context
    app.state.access = AccessRule(settings, engine=engine)
    app.state.evaluations = evaluations
    inbox = Inbox(engine, max_attempts=settings.job_max_attempts, activity=activity)
    app.include_router(webhooks.router(settings, inbox))
    app.include_router(uploads.router)
    app.include_router(api.router)
    app.include_router(pages.public)
    app.include_router(login.public)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    app.include_router(telemetry.metrics_router(engine), dependencies=[Depends(operator_viewer)])
    app.include_router(probes)
    app.add_exception_handler(SQLAlchemyError, _store_unavailable)
    app.add_exception_handler(AccessUnavailable, _access_unavailable)
    return app


async def _access_unavailable(request: Request, exc: Exception) -> Response:
    """A signed-in user's access is due for a check and GitHub is down: refuse, say why."""
    message = (
        "GitHub cannot be reached to check which repositories you may read; "
        "nothing is shown until it answers. Retry shortly."
    )
    headers = {"Retry-After": "30"}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=503, headers=headers)
    return HTMLResponse(
        f"<!doctype html><title>GitHub unavailable</title><p>{message}</p>",
        status_code=503,
        headers=headers,
    )


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The store failed mid-request: 503, so the caller retries (nothing is half-written)."""
    log.error("store unavailable: %s", type(exc).__name__, exc_info=exc)
    return JSONResponse(
        {"message": "the store is unavailable; retry shortly (the bot's log says why)"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


def view_warmer(
    settings: Settings, evaluations: EvaluationCache
) -> Callable[[Session, Repository, TrackedIssue], None]:
    """The after-sync hook that evaluates and stores the dashboard's view of a synced issue
    (the in-process worker's and the standalone `worker`'s)."""
    web = web_url(settings.github_api_url)

    def warm(session: Session, repository: Repository, issue: TrackedIssue) -> None:
        # The view is evaluated right after a sync and stored, so the first page view after
        # a run, on any replica, is served without evaluating.
        issue_detail(
            session=session, web=web, repository=repository, issue=issue, cache=evaluations
        )

    return warm


def _lifespan(
    context: Context, activity: WriteActivity, sqlite: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: the worker and checkpoint threads, stopped and joined at the end."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything imported and built so far lives as long as the process: keep it out of
        # the collector's full passes, whose pauses were the webhook's p99.
        gc.freeze()
        stop = threading.Event()
        thread = None
        if context.settings.worker_enabled:
            thread = _background("remediation-worker", Worker(context).run_forever, stop)
        app.state.worker_thread = thread
        checkpointer = None
        if sqlite:
            checkpointer = _background(
                "sqlite-checkpoint", _checkpoint_loop, context.engine, activity, stop
            )
        try:
            yield
        finally:
            stop.set()
            for background in (thread, checkpointer):
                if background is not None:
                    background.join(timeout=30)
            context.engine.dispose()

    return lifespan


def _background(name: str, target: Callable[..., None], *args: Any) -> threading.Thread:
    """A daemon thread, started."""
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    thread.start()
    return thread


def _checkpoint_loop(engine: Engine, activity: WriteActivity, stop: threading.Event) -> None:
    """SQLite's WAL checkpoints, off the request path, in quiet moments."""
    while not stop.wait(0.5):
        try:
            checkpoint_sqlite(engine, activity)
        except Exception:  # a busy or vanished database: the next second will do
            log.debug("checkpoint skipped", exc_info=True)


@probes.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@probes.get("/readyz")
def readyz(engine: EngineDep) -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = is_current(engine)
    except (SQLAlchemyError, OSError) as exc:  # a database failure: "not ready", never a 500
        return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, 503)
    if not current:
        return JSONResponse({"status": "migrations pending"}, 503)
    return JSONResponse({"status": "ready"})


def app_from_environment() -> FastAPI:
    """The app for settings read from the environment (uvicorn's factory for `serve`)."""
    settings = Settings()
    telemetry.configure_logging(settings)
    return create_app(settings)
