"""The operations page's data: recent webhook deliveries and jobs, retries, dead letters."""

from __future__ import annotations

from sqlmodel import Session

from bot.store import queue, reads
from bot.store.models import Delivery, Job
from bot.web.dashboard.views import DeliveryView, JobView, Operations


def operations(*, session: Session) -> Operations:
    """Recent deliveries and jobs, retries waiting, dead letters."""
    return Operations(
        job_counts=queue.counts(session=session),
        deliveries=[_delivery(d) for d in reads.recent_deliveries(session=session)],
        jobs=[_job(j) for j in reads.recent_jobs(session=session)],
        retrying=[_job(j) for j in reads.retrying_jobs(session=session)],
        dead=[_job(j) for j in reads.recent_jobs(session=session, status="dead")],
    )


def _delivery(d: Delivery) -> DeliveryView:
    return DeliveryView(
        delivery_id=d.delivery_id,
        event=d.event,
        action=d.action,
        repository=d.repository,
        outcome=d.outcome,
        reason=d.reason,
        received_at=d.received_at,
    )


def _job(j: Job) -> JobView:
    assert j.id is not None
    return JobView(
        id=j.id,
        kind=j.kind,
        lock_key=j.lock_key,
        status=j.status,
        attempts=j.attempts,
        max_attempts=j.max_attempts,
        run_after=j.run_after,
        last_error=j.last_error,
        delivery_id=j.delivery_id,
        created_at=j.created_at,
        finished_at=j.finished_at,
    )
