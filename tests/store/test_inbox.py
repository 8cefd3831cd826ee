"""The webhook's write path on both backends: shared commits, redeliveries, and a bad row alone."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from bot.core.events import Arrival, JobKind, Route
from bot.store.inbox import Inbox
from bot.store.models import Delivery, Job

PAYLOAD = {"repo": "acme/agents", "run_id": 7, "pull_requests": [3], "head_branch": "main"}


def _arrival(delivery_id: str, *, job: bool = True, installation_id: int | None = 42) -> Arrival:
    return Arrival(
        delivery_id=delivery_id,
        event="workflow_run",
        action="completed",
        repository="acme/agents",
        installation_id=installation_id,
        route=Route(JobKind.WORKFLOW_RUN, "acme/agents:run:7", PAYLOAD)
        if job
        else Route(None, reason="workflow_run.requested: results come with `completed`"),
    )


def _stored(engine: Engine) -> tuple[list[Delivery], list[Job]]:
    with Session(engine) as session:
        deliveries = list(session.exec(select(Delivery).order_by(col(Delivery.id))))
        queued = list(session.exec(select(Job).order_by(col(Job.id))))
    return deliveries, queued


def test_arrivals_read_back_through_the_models_exactly_as_written(engine: Engine) -> None:
    fresh = Inbox(engine, max_attempts=6).write([_arrival("d1"), _arrival("d2", job=False)])
    assert fresh == [True, True]
    deliveries, queued = _stored(engine)
    assert [(d.delivery_id, d.outcome, d.installation_id) for d in deliveries] == [
        ("d1", "queued", 42),
        ("d2", "ignored", 42),
    ]
    assert deliveries[1].reason == "workflow_run.requested: results come with `completed`"
    assert deliveries[0].received_at.tzinfo == UTC
    (job,) = queued
    assert (job.kind, job.payload, job.lock_key) == ("workflow_run", PAYLOAD, "acme/agents:run:7")
    assert (job.dedupe_key, job.delivery_id, job.status) == ("delivery:d1", "d1", "queued")
    assert job.run_after == job.created_at == deliveries[0].received_at


def test_a_redelivery_is_not_new_and_queues_nothing(engine: Engine) -> None:
    inbox = Inbox(engine, max_attempts=6)
    assert inbox.write([_arrival("d1"), _arrival("d1")]) == [True, False]
    assert inbox.write([_arrival("d1")]) == [False]
    deliveries, queued = _stored(engine)
    assert (len(deliveries), len(queued)) == (1, 1)


def test_arrivals_of_one_turn_share_one_transaction(engine: Engine) -> None:
    checkouts: list[object] = []
    event.listen(engine, "checkout", lambda *args: checkouts.append(args))
    inbox = Inbox(engine, max_attempts=6)

    async def arrive_together() -> list[bool]:
        return await asyncio.gather(*(inbox.record(_arrival(f"d{n}")) for n in range(20)))

    assert asyncio.run(arrive_together()) == [True] * 20
    assert len(checkouts) == 1  # one connection, one commit, for all twenty
    deliveries, queued = _stored(engine)
    assert (len(deliveries), len(queued)) == (20, 20)


def test_a_row_the_store_refuses_fails_alone(engine: Engine) -> None:
    """An id beyond BIGINT fails its own insert; the deliveries beside it are still kept."""
    inbox = Inbox(engine, max_attempts=6)
    refused = _arrival("bad", installation_id=2**70)

    async def arrive_together() -> list[bool | BaseException]:
        arrivals = [_arrival("d1"), refused, _arrival("d2")]
        return await asyncio.gather(*(inbox.record(a) for a in arrivals), return_exceptions=True)

    first, failed, last = asyncio.run(arrive_together())
    assert (first, last) == (True, True)
    assert isinstance(failed, Exception)
    deliveries, queued = _stored(engine)
    assert [d.delivery_id for d in deliveries] == ["d1", "d2"]
    assert [j.delivery_id for j in queued] == ["d1", "d2"]


def test_a_request_that_goes_away_leaves_the_others_answered(engine: Engine) -> None:
    inbox = Inbox(engine, max_attempts=6)

    async def one_cancelled() -> list[bool]:
        tasks = [asyncio.ensure_future(inbox.record(_arrival(f"d{n}"))) for n in range(3)]
        await asyncio.sleep(0)  # all three wait for the shared commit
        tasks[1].cancel()
        with pytest.raises(asyncio.CancelledError):
            await tasks[1]
        return [await tasks[0], await tasks[2]]

    assert asyncio.run(one_cancelled()) == [True, True]
    deliveries, _ = _stored(engine)
    # Its arrival had joined the shared commit: the row is kept, and a redelivery says so.
    assert len(deliveries) == 3


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_slow_postgresql_commit_does_not_stall_the_event_loop(engine: Engine) -> None:
    """The deliveries table is locked for 0.6 s: the write waits, the loop keeps turning."""
    inbox = Inbox(engine, max_attempts=6)
    gaps: list[float] = []

    async def ticker(stop: asyncio.Event) -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async def scenario() -> bool:
        stop = asyncio.Event()
        ticking = asyncio.create_task(ticker(stop))
        await asyncio.sleep(0.05)
        fresh = await inbox.record(_arrival("slow"))
        stop.set()
        await ticking
        return fresh

    with engine.connect() as holder:
        holder.exec_driver_sql("LOCK TABLE deliveries IN EXCLUSIVE MODE")
        threading.Timer(0.6, holder.rollback).start()
        started = time.perf_counter()
        assert asyncio.run(scenario()) is True
        waited = time.perf_counter() - started
    assert waited >= 0.5  # the write really waited for the lock
    assert max(gaps) < 0.3  # while the loop went on
