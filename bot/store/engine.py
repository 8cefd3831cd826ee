"""Engine construction for SQLite and PostgreSQL; nothing connects until first use."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

from bot.store import sanitize

# Per-connection settings that take no lock. journal_mode=WAL is deliberately absent: it is
# persistent in the file, needs an exclusive lock, and two workers setting it at once killed
# each other with "database is locked"; bot.store.migrate.upgrade sets it once.
SQLITE_BUSY_TIMEOUT_MS = 30000
SQLITE_PRAGMAS = (
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
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


def make_engine(database_url: str, *, checkpoint_on_commit: bool = True) -> Engine:
    """Create (not connect) an engine for the URL: NUL-free writes, SQLite pragmas per connection.

    `checkpoint_on_commit=False` leaves SQLite's WAL checkpoints to `checkpoint_sqlite`: the
    web process does that in a background thread, because a checkpoint run by the commit that
    crosses the threshold stalls that request (it was the webhook's whole p99).
    """
    url = normalize_url(database_url)
    if not is_sqlite(url):
        engine = create_engine(url, pool_pre_ping=True, json_serializer=sanitize.dumps)
        sanitize.install(engine)
        return engine
    # The sqlite3 timeout is the lock wait while connecting; busy_timeout covers statements.
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        json_serializer=sanitize.dumps,
    )
    sanitize.install(engine)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    if not checkpoint_on_commit:
        event.listen(engine, "connect", _no_autocheckpoint)
    return engine


def _no_autocheckpoint(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    finally:
        cursor.close()


class WriteActivity:
    """When the web process last wrote: checkpoints wait for a quiet moment."""

    def __init__(self) -> None:
        self.last = 0.0

    def touch(self) -> None:
        """A write just happened (a plain float store: cheap enough for every request)."""
        self.last = time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last write."""
        return time.monotonic() - self.last


# Past this size the WAL is checkpointed even under load, so it never grows unbounded. The
# forced checkpoint stalls commits for a few hundred ms (its writes and fsync compete with
# theirs), so the bound sits above a long burst: ~60,000 deliveries.
WAL_CHECKPOINT_BYTES = 256 * 1024 * 1024


def checkpoint_sqlite(engine: Engine, activity: WriteActivity, *, quiet: float = 1.0) -> bool:
    """Copy the WAL into the database file when writes paused (or the WAL grew too big).

    A checkpoint's fsync stalls the commits that run beside it, so under a burst of
    deliveries it waits; returns whether it ran.
    """
    database = engine.url.database
    wal = Path(f"{database}-wal") if database else None
    size = wal.stat().st_size if wal is not None and wal.exists() else 0
    if size == 0 or (activity.quiet_for() < quiet and size < WAL_CHECKPOINT_BYTES):
        return False
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    return True
