"""Engine construction for SQLite and PostgreSQL; nothing connects until first use."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

# Per-connection settings that take no lock. journal_mode=WAL is deliberately absent: it is
# persistent in the file, needs an exclusive lock, and two workers setting it at once killed
# each other with "database is locked"; bot.migrate.upgrade sets it once.
SQLITE_PRAGMAS = (
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)


def normalize_url(database_url: str) -> str:
    """Point bare PostgreSQL URLs at the psycopg 3 driver, the one installed."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def is_sqlite(database_url: str) -> bool:
    """Whether the URL names a SQLite database."""
    return make_url(normalize_url(database_url)).get_backend_name() == "sqlite"


def _set_sqlite_pragmas(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def make_engine(database_url: str) -> Engine:
    """Create (not connect) an engine for the URL, with the SQLite pragmas on each connection."""
    url = normalize_url(database_url)
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    # The sqlite3 timeout is the lock wait while connecting; busy_timeout covers statements.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine
