"""The durable job queue in the store: enqueue, claim with a lease, retry with backoff, dead."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Connection,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlmodel import Session, col

from bot.store.models import Job, UTCDateTime, table_of, utc_now

logger = logging.getLogger(__name__)

STATUSES = ("queued", "running", "done", "dead")
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=10)
DEFAULT_LEASE = timedelta(minutes=5)
# last_error is for people reading the dashboard; a full traceback past this adds nothing.
MAX_ERROR_CHARS = 8192

_jobs = table_of(Job)
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
    job_id = enqueue_on(
        session.connection(),
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
    backoff: Callable[[int], timedelta] = backoff,
    retry: bool = True,
) -> str:
    """Record the error and commit: "queued" to retry after a backoff, or "dead" if none is left.

    `retry=False` makes the job dead at once (no attempt could succeed). Returns "ignored" if
    the worker no longer holds the job.
    """
    now = now or utc_now()
    if not retry or job.attempts >= job.max_attempts:
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
