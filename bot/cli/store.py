"""The store as commands reach it: a session for one command, where it is, a repository name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # the database libraries load only for the commands that use the store
    from sqlmodel import Session

    from bot.config import Settings


@contextmanager
def store_session(settings: Settings) -> Iterator[Session]:
    """A session on the configured store, for one command; the engine goes with it."""
    from sqlmodel import Session

    from bot.store.engine import make_engine

    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def where(settings: Settings) -> str:
    """The store's URL, password hidden, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def check_repository_name(repo: str, *, param_hint: str) -> None:
    """Refuse anything but OWNER/NAME (raises typer.BadParameter)."""
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise typer.BadParameter("expected OWNER/NAME", param_hint=param_hint)
