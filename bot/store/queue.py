"""The durable job queue in the store: enqueue, claim with a lease, retry with backoff, dead."""

from __future__ import annotations

import logging
import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Table,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from bot.store.models import Job, UTCDateTime, utc_now

logger = logging.getLogger(__name__)

STATUSES = ("queued", "running", "done", "dead")
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=10)
DEFAULT_LEASE = timedelta(minutes=5)
# last_error is for people reading the dashboard; a full traceback past this adds nothing.
MAX_ERROR_CHARS = 8192

_jobs = cast(Table, Job.__table__)  # type: ignore[attr-defined]
_c = _jobs.c


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job as its worker holds it; pass it back to complete, fail, defer or extend_lease."""

    id: int
    kind: str
    payload: dict[str, Any]
    lock_key: str
    attempts: int
    max_attempts: int
    delivery_id: str | None


def _trim(text: str) -> str:
    if len(text) <= MAX_ERROR_CHARS:
        return text
    return text[: MAX_ERROR_CHARS - 15] + "\n…[truncated]"


def enqueue_in(
    *,
    session: Session,
    kind: str,
    payload: Mapping[str, Any],
    lock_key: str,
    dedupe_key: str | None = None,
    delivery_id: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 6,
) -> int | None:
    """Add a job inside the caller's transaction (not committed); None if dedupe_key exists."""
    return enqueue_on(
        session.connection(),
        kind=kind,
        payload=payload,
        lock_key=lock_key,
        dedupe_key=dedupe_key,
        delivery_id=delivery_id,
        run_after=run_after,
        max_attempts=max_attempts,
    )


def enqueue(
    *,
    session: Session,
    kind: str,
    payload: Mapping[str, Any],
    lock_key: str,
    dedupe_key: str | None = None,
    delivery_id: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 6,
) -> int | None:
    """Add a job and commit; the new job's id, or None if a job with dedupe_key exists."""
    job_id = enqueue_in(
        session=session,
        kind=kind,
        payload=payload,
        lock_key=lock_key,
        dedupe_key=dedupe_key,
        delivery_id=delivery_id,
        run_after=run_after,
        max_attempts=max_attempts,
    )
    session.commit()
    return job_id


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


def _finish(session: Session, job: ClaimedJob, worker: str, action: str, **values: Any) -> bool:
    """Apply values to the job if this worker still holds it, and commit."""
    held = (
        session.execute(
            update(_jobs)
            .where(_c.id == job.id, _c.worker == worker, _c.status == "running")
            .values(**values)
            .returning(_c.id)
        ).first()
        is not None
    )
    session.commit()
    if not held:
        # The lease expired and another worker reclaimed the job (or it was buried).
        logger.warning(
            "%s ignored: the worker no longer holds the job",
            action,
            extra={"job_id": job.id, "worker": worker, "attempt": job.attempts},
        )
    return held


def complete(*, session: Session, job: ClaimedJob, worker: str) -> None:
    """Mark the job done and commit; ignored (and logged) if the worker lost the job."""
    _finish(
        session, job, worker, "complete", status="done", lease_until=None, finished_at=utc_now()
    )


def backoff(attempts: int) -> timedelta:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base · 2^attempts)]."""
    # The exponent is clamped: the cap is reached long before, and 2.0 * 2**1100 overflows.
    doubled = BACKOFF_BASE.total_seconds() * 2 ** min(attempts, 32)
    ceiling = min(BACKOFF_CAP.total_seconds(), doubled)
    return timedelta(seconds=random.uniform(0, ceiling))  # noqa: S311 - jitter, not a secret


def fail(
    *,
    session: Session,
    job: ClaimedJob,
    worker: str,
    error: str,
    now: datetime | None = None,
) -> str:
    """Record the error and commit: "queued" to retry after a backoff, or "dead" if none is left.

    Returns "ignored" if the worker no longer holds the job.
    """
    now = now or utc_now()
    if job.attempts >= job.max_attempts:
        outcome = "dead"
        values: dict[str, Any] = {"status": "dead", "finished_at": now}
    else:
        outcome = "queued"
        values = {"status": "queued", "run_after": now + backoff(job.attempts)}
    held = _finish(
        session, job, worker, "fail", lease_until=None, last_error=_trim(error), **values
    )
    if not held:
        return "ignored"
    log = logger.error if outcome == "dead" else logger.info
    log("job failed: %s", outcome, extra={"job_id": job.id, "attempt": job.attempts})
    return outcome


def defer(*, session: Session, job: ClaimedJob, worker: str, until: datetime, reason: str) -> None:
    """Requeue the job for `until` without using an attempt (a rate limit), and commit."""
    _finish(
        session,
        job,
        worker,
        "defer",
        status="queued",
        run_after=until,
        lease_until=None,
        attempts=_c.attempts - 1,
        last_error=_trim(f"deferred: {reason}"),
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
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(job.lock_key, 0))))
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


def counts(*, session: Session) -> dict[str, int]:
    """Jobs per status, every status present (queue depth for metrics and the dashboard)."""
    found = dict(session.execute(select(_c.status, func.count()).group_by(_c.status)).all())
    return {status: int(found.get(status, 0)) for status in STATUSES}


def requeue_dead(
    *, session: Session, kinds: Collection[str] = (), ids: Collection[int] = ()
) -> int:
    """Give dead jobs (all, or of these kinds or ids) their attempts back, due now; commits.

    For after an outage that outlasted the retries. The last error stays until the job
    runs again; how many were queued is returned.
    """
    query = (
        update(Job)
        .where(col(Job.status) == "dead")
        .values(
            status="queued",
            attempts=0,
            run_after=utc_now(),
            lease_until=None,
            worker=None,
            finished_at=None,
        )
    )
    if kinds:
        query = query.where(col(Job.kind).in_(list(kinds)))
    if ids:
        query = query.where(col(Job.id).in_(list(ids)))
    result = session.execute(query)
    session.commit()
    return int(cast(Any, result).rowcount)


def recent(*, session: Session, status: str | None = None, limit: int = 50) -> list[Job]:
    """The newest jobs first, optionally of one status."""
    query = sm_select(Job).order_by(col(Job.id).desc()).limit(limit)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.exec(query).all())


# ON CONFLICT DO NOTHING, not catch-IntegrityError: race-free, and no savepoint needed.
# Plain SQL with `:name` parameters, so the webhook's inbox runs it on the driver's cursor too.
JOB_INSERT_SQL = (
    "INSERT INTO jobs (kind, payload, lock_key, dedupe_key, status, attempts, max_attempts, "
    "run_after, delivery_id, created_at) VALUES (:kind, :payload, :lock_key, :dedupe_key, "
    "'queued', 0, :max_attempts, :run_after, :delivery_id, :now) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
)
_JOB_INSERT = text(JOB_INSERT_SQL).bindparams(
    bindparam("payload", type_=JSON),
    bindparam("now", type_=UTCDateTime),
    bindparam("run_after", type_=UTCDateTime),
)


def enqueue_on(
    connection: Connection,
    *,
    kind: str,
    payload: Mapping[str, Any],
    lock_key: str,
    dedupe_key: str | None = None,
    delivery_id: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 6,
) -> int | None:
    """Add a job in the caller's transaction with one prepared statement (the webhook hot path).

    Returns the job's id, or None when a job with this dedupe_key exists.
    """
    now = utc_now()
    row = connection.execute(
        _JOB_INSERT,
        {
            "kind": kind,
            "payload": dict(payload),
            "lock_key": lock_key,
            "dedupe_key": dedupe_key,
            "max_attempts": max_attempts,
            "run_after": run_after or now,
            "now": now,
            "delivery_id": delivery_id,
        },
    ).first()
    return None if row is None else int(row[0])
