"""SQLite engines: WAL checkpoints wait for a quiet moment in the web process."""

from __future__ import annotations

from pathlib import Path

from bot.store.engine import WriteActivity, checkpoint_sqlite, make_engine
from bot.store.migrate import upgrade


def _wal(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_checkpoints_wait_for_quiet_and_never_let_the_wal_grow_unbounded(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    upgrade(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}", checkpoint_on_commit=False)
    activity = WriteActivity()
    try:
        with engine.begin() as connection:
            for n in range(200):
                activity.touch()
                connection.exec_driver_sql(
                    "INSERT INTO repositories (full_name, created_at) "
                    "VALUES (?, CURRENT_TIMESTAMP)",
                    (f"o/r{n}",),
                )
        assert _wal(path) > 0
        assert not checkpoint_sqlite(engine, activity, quiet=60)  # still busy: wait
        assert checkpoint_sqlite(engine, activity, quiet=0)  # quiet: copy the WAL back
        with engine.connect() as connection:
            busy, logged, copied = connection.exec_driver_sql(
                "PRAGMA wal_checkpoint(PASSIVE)"
            ).one()
        assert (busy, logged - copied) == (0, 0)
    finally:
        engine.dispose()


def test_engines_for_other_processes_still_checkpoint_on_commit(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            (pages,) = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").one()
        assert pages == 1000
    finally:
        engine.dispose()
