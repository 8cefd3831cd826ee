"""create_app(settings): the FastAPI application, wired in one place.

Nothing connects or reads the environment at import: `serve` builds the settings, migrates,
and then asks for the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot import __version__
from bot.config import Settings
from bot.db import make_engine
from bot.migrate import is_current


def create_app(settings: Settings) -> FastAPI:
    """Build the application for these settings."""
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="remediation-bot", version=__version__, lifespan=lifespan)

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
