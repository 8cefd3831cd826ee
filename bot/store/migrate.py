"""Schema migrations run in code with alembic, and the check that a database is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from bot.store.engine import make_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Any fixed 64-bit key: concurrent upgrades of one PostgreSQL database wait for each other.
_PG_MIGRATION_LOCK = 0x7265_6D65_6469_6174


def alembic_config(database_url: str | None = None) -> Config:
    """An alembic Config built in code, so no alembic.ini is needed in the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        # configparser interpolates '%', which percent-encoded URLs are full of.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The newest revision among the packaged migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _run_alembic(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _upgrade_sqlite(engine: Engine, revision: str) -> None:
    with engine.connect() as base:
        # AUTOCOMMIT leaves transaction control to the explicit statements below.
        connection = base.execution_options(isolation_level="AUTOCOMMIT")
        # journal_mode is persistent and needs an exclusive lock, so only set it when missing.
        if connection.exec_driver_sql("PRAGMA journal_mode").scalar() != "wal":
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        # Batch migrations recreate tables; with foreign keys on, dropping the old parent table
        # would cascade-delete child rows. The pragma is a no-op inside a transaction.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        # pysqlite runs DDL outside any transaction; BEGIN IMMEDIATE makes the migration atomic
        # and makes concurrent upgraders queue on the write lock (busy_timeout) instead of racing.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            _run_alembic(connection, revision)
            violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if violations:
                raise RuntimeError(f"migration left foreign key violations: {violations[:5]}")
        except BaseException:
            connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT")


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database to `revision`; on SQLite also switch the file to WAL once."""
    engine = make_engine(database_url)
    try:
        if engine.dialect.name == "sqlite":
            _upgrade_sqlite(engine, revision)
            return
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            _run_alembic(connection, revision)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest packaged revision (a readiness check)."""
    return current_revision(engine) == head_revision()
