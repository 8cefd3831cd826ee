"""The HTTP edge's shared dependencies, as `Annotated` aliases for route signatures.

Each reads what `create_app` put on `app.state` (`context`: the worker's Context with the
engine and settings; `access`: the dashboard's AccessRule; `evaluations`: its
EvaluationCache), so routers hold no per-app state of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.github import web_url
from bot.web.access import AccessRule, Viewer
from bot.web.dashboard.evaluations import EvaluationCache

# The readers of app.state below are `async def`: FastAPI runs plain `def` dependencies on
# a worker thread, a hop these attribute reads do not need.


def get_session(request: Request) -> Iterator[Session]:
    """A session on the app's engine for one request."""
    with Session(request.app.state.context.engine) as session:
        yield session


async def get_engine(request: Request) -> Engine:
    """The app's engine."""
    engine: Engine = request.app.state.context.engine
    return engine


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.context.settings
    return settings


async def get_web_root(request: Request) -> str:
    """GitHub's web root for the configured API (links on the dashboard)."""
    settings: Settings = request.app.state.context.settings
    return web_url(settings.github_api_url)


async def get_access(request: Request) -> AccessRule:
    """The dashboard's access rule."""
    access: AccessRule = request.app.state.access
    return access


async def get_evaluations(request: Request) -> EvaluationCache:
    """The app's cache of dashboard evaluations."""
    evaluations: EvaluationCache = request.app.state.evaluations
    return evaluations


SessionDep = Annotated[Session, Depends(get_session)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
WebRootDep = Annotated[str, Depends(get_web_root)]
AccessDep = Annotated[AccessRule, Depends(get_access)]
EvaluationsDep = Annotated[EvaluationCache, Depends(get_evaluations)]


async def page_viewer(request: Request, access: AccessDep) -> Viewer:
    """The viewer of a page, a redirect to the login form, or 403."""
    return await access.page_viewer(request)


async def api_viewer(request: Request, access: AccessDep) -> Viewer:
    """The viewer of a JSON route, or 401/403."""
    return await access.api_viewer(request)


async def operator_viewer(request: Request, access: AccessDep) -> Viewer:
    """A viewer who may see what spans repositories (metrics), or 401/403."""
    viewer = await access.api_viewer(request)
    if not viewer.may_operate:
        raise HTTPException(403, "for viewers who administer an installed repository")
    return viewer


PageViewerDep = Annotated[Viewer, Depends(page_viewer)]
ApiViewerDep = Annotated[Viewer, Depends(api_viewer)]
