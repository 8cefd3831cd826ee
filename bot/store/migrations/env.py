"""Alembic environment: migrates the connection handed over by bot.store.migrate, or opens one."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.store.engine import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations(connection: Connection) -> None:
    """Run the migrations on one connection; batch mode lets SQLite alter tables."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Use bot.store.migrate's connection, or the sqlalchemy.url option for the alembic CLI."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run bot.store.migrate.upgrade")
run_online()
