"""Claiming jobs: the oldest runnable job whose lock key is free, under a lease, race-free.

SQLite serialises claims behind its one write lock; PostgreSQL uses `FOR UPDATE SKIP LOCKED`
and a transaction-scoped advisory lock per lock key, hashed with the schema.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from bot.store.models import utc_now
from bot.store.queue import DEFAULT_LEASE, ClaimedJob, _c, _jobs

logger = logging.getLogger(__name__)


def _runnable(now: datetime) -> ColumnElement[bool]:
    """Queued and due, or running under a lease that expired (its worker is gone)."""
    return or_(
        and_(_c.status == "queued", _c.run_after <= now),
        and_(_c.status == "running", _c.lease_until < now),
    )


def _key_is_free(now: datetime) -> ColumnElement[bool]:
    """No other job with this row's lock key runs under a live lease."""
    other = aliased(_jobs)
    return ~exists().where(
        other.c.lock_key == _c.lock_key,
        other.c.id != _c.id,
        other.c.status == "running",
        other.c.lease_until >= now,
    )


def _hold_write_lock_sqlite(session: Session) -> None:
    # pysqlite opens a deferred transaction only before its first write, so two processes
    # could read the same candidate. BEGIN IMMEDIATE takes SQLite's single write lock first
    # (waiting up to busy_timeout); if a write transaction is already open, it holds it.
    connection = session.connection()
    dbapi_connection = connection.connection.dbapi_connection
    if not getattr(dbapi_connection, "in_transaction", False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def advisory_key(lock_key: str) -> ColumnElement[int]:
    """The PostgreSQL advisory lock id of a lock key, within this schema's queue.

    Advisory locks are shared by the whole database: without the schema in the hash, two
    deployments (or test runs) in one database made each other's workers skip a key.
    """
    return func.hashtextextended(func.concat(func.current_schema(), ":", lock_key), 0)


def _try_lock_key_postgres(session: Session, lock_key: str, now: datetime) -> bool:
    """Take the key's advisory lock for this transaction, then re-check that the key is free.

    Without it two workers could each pick a different job of one key, both seeing no running
    job because neither has committed. The re-check is a new statement, so under READ
    COMMITTED it sees any claim committed before the lock was granted.
    """
    locked = session.execute(
        select(func.pg_try_advisory_xact_lock(advisory_key(lock_key)))
    ).scalar_one()
    if not locked:
        return False
    live = session.execute(
        select(_c.id)
        .where(_c.lock_key == lock_key, _c.status == "running", _c.lease_until >= now)
        .limit(1)
    ).first()
    return live is None


def claim(
    *,
    session: Session,
    worker: str,
    lease: timedelta = DEFAULT_LEASE,
    kinds: Collection[str] | None = None,
    now: datetime | None = None,
) -> ClaimedJob | None:
    """Claim the oldest runnable job whose lock key is free, and commit; None if there is none.

    A running job whose lease expired is claimed again as a new attempt, or goes dead if it
    has no attempts left. The session's pending work, if any, is committed with the claim.
    """
    now = now or utc_now()
    dialect = session.get_bind().dialect.name
    skipped_keys: list[str] = []
    try:
        if dialect == "sqlite":
            _hold_write_lock_sqlite(session)
        while True:
            query = (
                select(_c.id, _c.lock_key, _c.status, _c.attempts, _c.max_attempts)
                .where(_runnable(now), _key_is_free(now), _c.lock_key.not_in(skipped_keys))
                .order_by(_c.run_after, _c.id)
                .limit(1)
            )
            if kinds is not None:
                query = query.where(_c.kind.in_(list(kinds)))
            if dialect == "postgresql":
                query = query.with_for_update(skip_locked=True, of=_jobs)
            candidate = session.execute(query).first()
            if candidate is None:
                session.commit()
                return None
            job_id, lock_key, status, attempts, max_attempts = candidate
            if status == "running" and attempts >= max_attempts:
                _bury_lost(
                    session, job_id=job_id, attempts=attempts, max_attempts=max_attempts, now=now
                )
                continue
            if dialect == "postgresql" and not _try_lock_key_postgres(session, lock_key, now):
                skipped_keys.append(lock_key)
                continue
            claimed = _take(session, job_id=job_id, worker=worker, lease=lease, now=now)
            if status == "running":
                logger.warning(
                    "job reclaimed after its lease expired",
                    extra={"job_id": job_id, "worker": worker, "attempt": claimed.attempts},
                )
            session.commit()
            return claimed
    except BaseException:
        session.rollback()
        raise


def _bury_lost(
    session: Session, *, job_id: int, attempts: int, max_attempts: int, now: datetime
) -> None:
    error = f"lease expired on attempt {attempts} of {max_attempts} (worker lost)"
    session.execute(
        update(_jobs)
        .where(_c.id == job_id)
        .values(status="dead", lease_until=None, finished_at=now, last_error=error)
    )
    logger.error("job dead: lease expired on its last attempt", extra={"job_id": job_id})


def _take(
    session: Session, *, job_id: int, worker: str, lease: timedelta, now: datetime
) -> ClaimedJob:
    row = session.execute(
        update(_jobs)
        .where(_c.id == job_id)
        .values(
            status="running",
            worker=worker,
            lease_until=now + lease,
            attempts=_c.attempts + 1,
        )
        .returning(
            _c.id,
            _c.kind,
            _c.payload,
            _c.lock_key,
            _c.attempts,
            _c.max_attempts,
            _c.delivery_id,
        )
    ).one()
    return ClaimedJob(
        id=row.id,
        kind=row.kind,
        payload=dict(row.payload),
        lock_key=row.lock_key,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        delivery_id=row.delivery_id,
    )


def extend_lease(
    *,
    session: Session,
    job: ClaimedJob,
    worker: str,
    lease: timedelta,
    now: datetime | None = None,
) -> bool:
    """Extend a long job's lease from now, and commit; False if the worker lost the job.

    A job whose lease expired keeps it if nobody reclaimed it and no other job of its lock key
    started meanwhile.
    """
    now = now or utc_now()
    if session.get_bind().dialect.name == "postgresql":
        # Serializes with claims of the same key, so the key check below cannot race one.
        session.execute(select(func.pg_advisory_xact_lock(advisory_key(job.lock_key))))
    held = (
        session.execute(
            update(_jobs)
            .where(_c.id == job.id, _c.worker == worker, _c.status == "running", _key_is_free(now))
            .values(lease_until=now + lease)
            .returning(_c.id)
        ).first()
        is not None
    )
    session.commit()
    if not held:
        logger.warning("lease lost", extra={"job_id": job.id, "worker": worker})
    return held
