"""The webhook's one write: each delivery and its job, durable before the 202, in shared commits.

GitHub never redelivers on its own, so a delivery is answered only once its row is committed.
Written one transaction per delivery through SQLAlchemy's statement machinery, that write cost
more than the rows themselves: 717 µs of application time per delivery, against 168 µs for a
bare HMAC + insert endpoint (`benchmarks/reference_webhook.py`). Here the deliveries that
arrive in the same turn of the event loop share one transaction, executed on the driver's own
cursor with the column types' own SQLAlchemy bind processors, and each request waits for
the commit that holds its row. A group that fails is written again one delivery at a time,
so one bad delivery never costs the others theirs. On PostgreSQL the commit runs on one
writer thread, never on the event loop (its round trips would stall every other request).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import JSON, Engine

from bot.core.events import Arrival
from bot.store import sanitize
from bot.store.engine import WriteActivity
from bot.store.models import UTCDateTime, utc_now
from bot.store.queue import JOB_INSERT_SQL

_DELIVERY_INSERT = (
    "INSERT INTO deliveries (delivery_id, event, action, repository, installation_id, outcome, "
    "reason, received_at) VALUES (:delivery_id, :event, :action, :repository, "
    ":installation_id, :outcome, :reason, :received_at) "
    "ON CONFLICT (delivery_id) DO NOTHING RETURNING id"
)


class Inbox:
    """Records arrivals for the webhook endpoint; one per application, used on its event loop."""

    def __init__(
        self, engine: Engine, *, max_attempts: int, activity: WriteActivity | None = None
    ) -> None:
        self._engine = engine
        self._max_attempts = max_attempts
        self._activity = activity
        dialect = engine.dialect
        self._delivery_sql = _placeholders(_DELIVERY_INSERT, dialect.name)
        self._job_sql = _placeholders(JOB_INSERT_SQL, dialect.name)
        self._timestamp = _bind(UTCDateTime(), dialect)
        self._json = _bind(JSON(), dialect)
        self._waiting: list[tuple[Arrival, asyncio.Future[bool]]] = []
        # A SQLite commit is local and takes tens of microseconds: done on the loop, it is
        # the fastest path. A PostgreSQL commit is network round trips that would stall every
        # request on the loop, so one writer thread does them; deliveries arriving meanwhile
        # share its next commit.
        self._writer = None if dialect.name == "sqlite" else ThreadPoolExecutor(1, "inbox-writer")
        self._writing = False

    async def record(self, arrival: Arrival) -> bool:
        """Commit the arrival (and its job); False when this delivery id was seen before."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._waiting.append((arrival, future))
        if len(self._waiting) == 1 and not self._writing:  # the first schedules the commit
            loop.call_soon(self._flush)
        return await future

    def write(self, arrivals: Sequence[Arrival]) -> list[bool]:
        """Write these arrivals in one transaction now; whether each was new."""
        if self._activity is not None:
            self._activity.touch()
        now = self._timestamp(utc_now())
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                fresh = [self._insert(cursor, arrival, now) for arrival in arrivals]
            finally:
                cursor.close()
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()  # back to the pool
        return fresh

    def _insert(self, cursor: Any, arrival: Arrival, now: Any) -> bool:
        cursor.execute(
            self._delivery_sql,
            sanitize.clean(
                {
                    "delivery_id": arrival.delivery_id,
                    "event": arrival.event,
                    "action": arrival.action,
                    "repository": arrival.repository,
                    "installation_id": arrival.installation_id,
                    "outcome": "queued" if arrival.route.kind else "ignored",
                    "reason": arrival.route.reason,
                    "received_at": now,
                }
            ),
        )
        if cursor.fetchone() is None:
            return False  # a redelivery: its job was queued the first time
        route = arrival.route
        if route.kind is not None:
            cursor.execute(
                self._job_sql,
                {
                    "kind": route.kind.value,
                    "payload": self._json(dict(route.payload or {})),
                    "lock_key": sanitize.clean(route.lock_key),
                    "dedupe_key": sanitize.clean(f"delivery:{arrival.delivery_id}"),
                    "max_attempts": self._max_attempts,
                    "run_after": now,
                    "now": now,
                    "delivery_id": sanitize.clean(arrival.delivery_id),
                },
            )
            cursor.fetchall()
        return True

    def _flush(self) -> None:
        group, self._waiting = self._waiting, []
        if not group:
            return
        arrivals = [arrival for arrival, _ in group]
        if self._writer is None:
            self._settle(group, self._outcomes(arrivals))
            return
        self._writing = True
        written = asyncio.get_running_loop().run_in_executor(self._writer, self._outcomes, arrivals)
        written.add_done_callback(lambda done: self._written(group, done))

    def _written(
        self,
        group: list[tuple[Arrival, asyncio.Future[bool]]],
        done: asyncio.Future[list[bool | Exception]],
    ) -> None:
        """On the loop again: answer this group, then commit whatever arrived meanwhile."""
        self._writing = False
        self._settle(group, done.result())
        self._flush()

    def _outcomes(self, arrivals: list[Arrival]) -> list[bool | Exception]:
        try:
            return list(self.write(arrivals))
        except Exception as exc:  # noqa: BLE001 - sqlite3, psycopg or SQLAlchemy, handed over
            # One bad delivery must not cost the others theirs: write each on its own.
            return [exc] if len(arrivals) == 1 else [self._write_alone(a) for a in arrivals]

    def _settle(
        self,
        group: list[tuple[Arrival, asyncio.Future[bool]]],
        outcomes: list[bool | Exception],
    ) -> None:
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if future.done():  # the request was cancelled (the client went away)
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    def _write_alone(self, arrival: Arrival) -> bool | Exception:
        try:
            return self.write([arrival])[0]
        except Exception as exc:  # noqa: BLE001 - handed to the one request it belongs to
            return exc


def _placeholders(sql: str, dialect: str) -> str:
    """`:name` as sqlite3 takes it, or `%(name)s` for psycopg."""
    return sql if dialect == "sqlite" else re.sub(r":(\w+)", r"%(\1)s", sql)


def _bind(column_type: Any, dialect: Any) -> Callable[[Any], Any]:
    """The value conversion SQLAlchemy itself applies to this column type on this dialect."""
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value
