"""The durable job queue on both backends, including real concurrent and killed worker processes."""

from __future__ import annotations

import itertools
import multiprocessing
import random
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.store import claims, queue, reads
from bot.store.engine import is_sqlite, make_engine
from bot.store.models import Job, utc_now

MINUTE = timedelta(minutes=1)


def _job(engine: Engine, job_id: int) -> Job:
    """The job as stored now, read through a fresh session."""
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _add(session: Session, lock_key: str = "o/r#1", **kwargs: Any) -> int:
    job_id = queue.enqueue(
        session=session, kind=kwargs.pop("kind", "sync"), payload={}, lock_key=lock_key, **kwargs
    )
    assert job_id is not None
    return job_id


def _job_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Job)).one()


def test_enqueue_claim_complete_round_trip(engine: Engine, session: Session) -> None:
    job_id = queue.enqueue(
        session=session,
        kind="ingest",
        payload={"run": 7, "names": ["a", "ü"]},
        lock_key="o/r#870",
        delivery_id="d-1",
    )
    assert job_id is not None

    claimed = claims.claim(session=session, worker="w1")

    assert claimed == queue.ClaimedJob(
        id=job_id,
        kind="ingest",
        payload={"run": 7, "names": ["a", "ü"]},
        lock_key="o/r#870",
        attempts=1,
        max_attempts=6,
        delivery_id="d-1",
    )
    running = _job(engine, job_id)
    assert (running.status, running.worker) == ("running", "w1")
    assert running.lease_until is not None
    assert running.lease_until > utc_now() + timedelta(minutes=4)

    queue.complete(session=session, job=claimed, worker="w1")

    done = _job(engine, job_id)
    assert (done.status, done.lease_until, done.attempts) == ("done", None, 1)
    assert done.finished_at is not None
    assert claims.claim(session=session, worker="w1") is None


def test_duplicate_dedupe_key_creates_no_job(engine: Engine, session: Session) -> None:
    first = queue.enqueue(
        session=session, kind="ingest", payload={}, lock_key="k", dedupe_key="delivery-1"
    )
    again = queue.enqueue(
        session=session, kind="ingest", payload={"x": 1}, lock_key="k", dedupe_key="delivery-1"
    )

    assert first is not None
    assert again is None
    assert _job_count(engine) == 1


def test_concurrent_duplicates_never_raise(engine: Engine) -> None:
    results: list[int | None] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def enqueue_one() -> None:
        try:
            with Session(engine) as session:
                start.wait()
                results.append(
                    queue.enqueue(
                        session=session, kind="k", payload={}, lock_key="k", dedupe_key="same"
                    )
                )
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=enqueue_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r is not None for r in results) == 1
    assert results.count(None) == 7
    assert _job_count(engine) == 1


def test_enqueue_on_joins_the_callers_transaction(engine: Engine, session: Session) -> None:
    job_id = queue.enqueue_on(session.connection(), kind="sync", payload={}, lock_key="k")
    assert job_id is not None
    session.rollback()
    assert _job_count(engine) == 0

    kept = queue.enqueue_on(session.connection(), kind="sync", payload={}, lock_key="k")
    session.commit()
    assert kept is not None
    assert _job(engine, kept).status == "queued"


def test_oldest_runnable_job_first(session: Session) -> None:
    now = utc_now()
    later = _add(session, "a", run_after=now - timedelta(seconds=1))
    oldest = _add(session, "b", run_after=now - timedelta(seconds=5))
    future = _add(session, "c", run_after=now + timedelta(hours=1))
    same_time = _add(session, "d", run_after=now - timedelta(seconds=1))

    order = [claims.claim(session=session, worker="w", now=now) for _ in range(4)]

    assert [j.id if j else None for j in order] == [oldest, later, same_time, None]
    for job in order[:3]:
        assert job is not None
        queue.complete(session=session, job=job, worker="w")
    claimed = claims.claim(session=session, worker="w", now=now + timedelta(hours=1))
    assert claimed is not None
    assert claimed.id == future


def test_claim_filters_by_kind(session: Session) -> None:
    _add(session, "a", kind="ingest")
    sync = _add(session, "b", kind="sync")

    claimed = claims.claim(session=session, worker="w", kinds={"sync", "evaluate"})

    assert claimed is not None
    assert claimed.id == sync
    assert claims.claim(session=session, worker="w", kinds=["evaluate"]) is None


def test_one_job_per_lock_key_at_a_time(session: Session) -> None:
    first = _add(session, "o/r#1")
    second = _add(session, "o/r#1")
    other = _add(session, "o/r#2")

    a = claims.claim(session=session, worker="w1")
    b = claims.claim(session=session, worker="w2")
    assert (a and a.id, b and b.id) == (first, other)  # different keys run in parallel
    assert claims.claim(session=session, worker="w3") is None  # o/r#1 is busy

    assert a is not None
    queue.complete(session=session, job=a, worker="w1")
    c = claims.claim(session=session, worker="w3")
    assert c is not None
    assert c.id == second


def test_failure_backs_off_then_dies(engine: Engine, session: Session) -> None:
    job_id = _add(session, max_attempts=3)
    now = utc_now()

    for attempt in (1, 2):
        claimed = claims.claim(session=session, worker="w", now=now)
        assert claimed is not None
        assert claimed.attempts == attempt
        assert queue.fail(session=session, job=claimed, worker="w", error="boom", now=now) == (
            "queued"
        )
        job = _job(engine, job_id)
        assert (job.status, job.attempts, job.last_error, job.lease_until) == (
            "queued",
            attempt,
            "boom",
            None,
        )
        ceiling = min(queue.BACKOFF_CAP, queue.BACKOFF_BASE * 2**attempt)
        assert now <= job.run_after <= now + ceiling
        if job.run_after > now:
            assert claims.claim(session=session, worker="w", now=now) is None
        now = job.run_after

    claimed = claims.claim(session=session, worker="w", now=now)
    assert claimed is not None
    huge = "x" * 100_000
    assert queue.fail(session=session, job=claimed, worker="w", error=huge, now=now) == "dead"

    dead = _job(engine, job_id)
    assert (dead.status, dead.attempts, dead.finished_at) == ("dead", 3, now)
    assert dead.last_error is not None
    assert dead.last_error.startswith("xxx")
    assert len(dead.last_error) <= queue.MAX_ERROR_CHARS
    assert claims.claim(session=session, worker="w", now=now + timedelta(days=1)) is None


def test_backoff_is_full_jitter_under_the_cap() -> None:
    random.seed(870)
    for attempts in (0, 1, 3, 8, 20, 5000):
        ceiling = min(queue.BACKOFF_CAP, queue.BACKOFF_BASE * 2 ** min(attempts, 32))
        delays = [queue.backoff(attempts) for _ in range(200)]
        assert all(timedelta(0) <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # spread over the range, not pinned low
    assert queue.backoff(20) <= queue.BACKOFF_CAP


def test_defer_uses_no_attempt(engine: Engine, session: Session) -> None:
    job_id = _add(session, max_attempts=1)
    now = utc_now()
    claimed = claims.claim(session=session, worker="w", now=now)
    assert claimed is not None
    until = now + timedelta(hours=1)

    queue.defer(session=session, job=claimed, worker="w", until=until, reason="rate limit reset")

    job = _job(engine, job_id)
    assert (job.status, job.attempts, job.run_after) == ("queued", 0, until)
    assert job.last_error == "deferred: rate limit reset"
    assert claims.claim(session=session, worker="w", now=until - MINUTE) is None
    again = claims.claim(session=session, worker="w", now=until)
    assert again is not None
    assert again.attempts == 1  # max_attempts=1 and still allowed to run


def test_expired_lease_is_reclaimed_and_the_late_worker_ignored(
    engine: Engine, session: Session
) -> None:
    job_id = _add(session, "o/r#5", max_attempts=3)
    queued_same_key = _add(session, "o/r#5")
    t0 = utc_now()
    lost = claims.claim(session=session, worker="w1", lease=MINUTE, now=t0)
    assert lost is not None

    assert claims.claim(session=session, worker="w2", now=t0 + MINUTE / 2) is None

    reclaimed = claims.claim(session=session, worker="w2", lease=MINUTE, now=t0 + 2 * MINUTE)
    assert reclaimed is not None
    assert (reclaimed.id, reclaimed.attempts) == (job_id, 2)
    assert _job(engine, job_id).last_error is None

    queue.complete(session=session, job=lost, worker="w1")  # too late: ignored
    assert queue.fail(session=session, job=lost, worker="w1", error="late") == "ignored"
    assert claims.extend_lease(session=session, job=lost, worker="w1", lease=MINUTE) is False
    job = _job(engine, job_id)
    assert (job.status, job.worker, job.last_error) == ("running", "w2", None)
    # The reclaimed job holds the key again: the other job of o/r#5 still waits.
    assert claims.claim(session=session, worker="w3", now=t0 + 2 * MINUTE) is None

    queue.complete(session=session, job=reclaimed, worker="w2")
    assert _job(engine, job_id).status == "done"
    nxt = claims.claim(session=session, worker="w3", now=t0 + 2 * MINUTE)
    assert nxt is not None
    assert nxt.id == queued_same_key


def test_repeated_lease_expiry_ends_dead(engine: Engine, session: Session) -> None:
    job_id = _add(session, max_attempts=2)
    t0 = utc_now()
    for attempt in (1, 2):
        claimed = claims.claim(
            session=session, worker=f"w{attempt}", lease=MINUTE, now=t0 + 2 * attempt * MINUTE
        )
        assert claimed is not None
        assert claimed.attempts == attempt

    assert claims.claim(session=session, worker="w3", now=t0 + 10 * MINUTE) is None

    dead = _job(engine, job_id)
    assert (dead.status, dead.attempts, dead.lease_until) == ("dead", 2, None)
    assert dead.last_error == "lease expired on attempt 2 of 2 (worker lost)"


def test_extend_lease_keeps_a_long_job(engine: Engine, session: Session) -> None:
    _add(session)
    t0 = utc_now()
    claimed = claims.claim(session=session, worker="w1", lease=MINUTE, now=t0)
    assert claimed is not None

    assert claims.extend_lease(
        session=session, job=claimed, worker="w1", lease=5 * MINUTE, now=t0 + MINUTE / 2
    )
    assert claims.claim(session=session, worker="w2", now=t0 + 2 * MINUTE) is None
    assert claims.extend_lease(session=session, job=claimed, worker="w2", lease=MINUTE) is False

    stolen = claims.claim(session=session, worker="w2", now=t0 + 6 * MINUTE)
    assert stolen is not None
    assert (
        claims.extend_lease(
            session=session, job=claimed, worker="w1", lease=MINUTE, now=t0 + 6 * MINUTE
        )
        is False
    )


def test_counts_and_recent(session: Session) -> None:
    assert queue.counts(session=session) == {"queued": 0, "running": 0, "done": 0, "dead": 0}
    done_id = _add(session, "a")
    dead_id = _add(session, "b", max_attempts=1)
    running_id = _add(session, "c")
    queued_id = _add(session, "d", run_after=utc_now() + timedelta(hours=1))
    for worker, outcome in (("w1", "done"), ("w2", "dead"), ("w3", "running")):
        claimed = claims.claim(session=session, worker=worker)
        assert claimed is not None
        if outcome == "done":
            queue.complete(session=session, job=claimed, worker=worker)
        elif outcome == "dead":
            queue.fail(session=session, job=claimed, worker=worker, error="ValueError: no")

    assert queue.counts(session=session) == {"queued": 1, "running": 1, "done": 1, "dead": 1}
    assert [j.id for j in reads.recent_jobs(session=session)] == [
        queued_id,
        running_id,
        dead_id,
        done_id,
    ]
    assert [j.id for j in reads.recent_jobs(session=session, limit=2)] == [queued_id, running_id]
    [dead] = reads.recent_jobs(session=session, status="dead")
    assert (dead.id, dead.last_error) == (dead_id, "ValueError: no")


# Worker processes below run under "spawn": each imports this module and builds its own engine.


def _drain(database_url: str, worker: str, out: str, start: Any) -> None:
    """Claim and complete jobs until none is left, logging `id key start end` per job."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session, open(out, "w") as log:
            start.wait()
            while True:
                job = claims.claim(session=session, worker=worker, lease=timedelta(seconds=60))
                if job is None:
                    left = queue.counts(session=session)
                    session.rollback()
                    if left["queued"] == 0 and left["running"] == 0:
                        return
                    time.sleep(0.001)
                    continue
                began = time.monotonic_ns()
                time.sleep(random.uniform(0, 0.002))  # widen the window an overlap would need
                log.write(f"{job.id} {job.lock_key} {began} {time.monotonic_ns()}\n")
                log.flush()
                queue.complete(session=session, job=job, worker=worker)
    finally:
        engine.dispose()


def _claim_and_hang(database_url: str, ready: Any) -> None:
    """Claim one job under a 2 s lease, say so, then hang until killed."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        claimed = claims.claim(session=session, worker="doomed", lease=timedelta(seconds=2))
        assert claimed is not None
        ready.set()
        time.sleep(60)


def _assert_each_ran_once_one_per_key(logs: list[Path], ids: set[int]) -> None:
    """Every job ran exactly once, by more than one worker, and no two jobs of a key overlapped."""
    runs = [line.split() for log in logs for line in log.read_text().splitlines()]
    assert sorted(int(job_id) for job_id, *_ in runs) == sorted(ids)
    assert sum(1 for log in logs if log.read_text()) >= 2  # the work was actually shared
    intervals: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for _, key, began, ended in runs:
        intervals[key].append((int(began), int(ended)))
    for key, spans in intervals.items():
        spans.sort()
        for (_, end), (next_start, _) in itertools.pairwise(spans):
            assert end <= next_start, f"two jobs of {key} ran at once"


def test_concurrent_claims_in_threads(engine: Engine, database_url: str, tmp_path: Path) -> None:
    with Session(engine) as session:
        ids = {_add(session, f"o/r#{n // 12}") for n in range(60)}
    start = threading.Barrier(4)
    logs = [tmp_path / f"thread{n}.log" for n in range(4)]
    threads = [
        threading.Thread(target=_drain, args=(database_url, f"t{n}", str(log), start))
        for n, log in enumerate(logs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()

    _assert_each_ran_once_one_per_key(logs, ids)
    with Session(engine) as session:
        assert queue.counts(session=session)["done"] == 60


def test_four_processes_drain_the_queue_exactly_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    if is_sqlite(database_url):
        pytest.skip("PostgreSQL only: on SQLite one in-process worker serves")
    keys = [f"o/r#{n}" for n in range(15)]
    with Session(engine) as session:
        # Runs of one key at the head of the queue: workers race for the same key constantly.
        ids = {_add(session, keys[n // 20]) for n in range(300)}
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(4)
    logs = [tmp_path / f"worker{n}.log" for n in range(4)]
    processes = [
        context.Process(target=_drain, args=(database_url, f"w{n}", str(log), start))
        for n, log in enumerate(logs)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    _assert_each_ran_once_one_per_key(logs, ids)
    with Session(engine) as session:
        assert queue.counts(session=session) == {"queued": 0, "running": 0, "done": 300, "dead": 0}
        assert {j.attempts for j in reads.recent_jobs(session=session, limit=300)} == {1}


def test_killed_worker_loses_nothing(engine: Engine, database_url: str) -> None:
    with Session(engine) as session:
        job_id = _add(session)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    doomed = context.Process(target=_claim_and_hang, args=(database_url, ready))
    doomed.start()
    try:
        assert ready.wait(timeout=20)
    finally:
        doomed.kill()
        doomed.join()
    killed_at = time.monotonic()

    with Session(engine) as session:
        assert _job(engine, job_id).worker == "doomed"
        claimed = claims.claim(session=session, worker="survivor")
        assert claimed is None  # the dead worker's lease still runs
        while claimed is None and time.monotonic() - killed_at < 10:
            time.sleep(0.1)  # a real process died: wait out its real lease
            claimed = claims.claim(session=session, worker="survivor")
        assert claimed is not None
        assert (claimed.id, claimed.attempts) == (job_id, 2)
        queue.complete(session=session, job=claimed, worker="survivor")

    job = _job(engine, job_id)
    assert (job.status, job.worker) == ("done", "survivor")


def test_dead_jobs_are_queued_again_with_their_attempts_back(
    engine: Engine, session: Session
) -> None:
    dead = [_add(session, f"o/r#{n}", kind=kind, max_attempts=1) for n, kind in enumerate("aab")]
    for job_id in dead:
        claimed = claims.claim(session=session, worker="w1", lease=MINUTE)
        assert claimed is not None
        assert claimed.id == job_id
        assert queue.fail(session=session, job=claimed, worker="w1", error="GitHub down") == "dead"
    assert queue.requeue_dead(session=session, kinds=["b"]) == 1
    assert queue.requeue_dead(session=session, ids=[dead[0]]) == 1
    assert queue.requeue_dead(session=session, ids=[dead[0]]) == 0  # queued, no longer dead
    requeued = _job(engine, dead[2])
    assert (requeued.status, requeued.attempts, requeued.finished_at) == ("queued", 0, None)
    assert requeued.last_error == "GitHub down"  # kept until it runs again
    assert _job(engine, dead[1]).status == "dead"
    claimed = claims.claim(session=session, worker="w2", lease=MINUTE)
    assert claimed is not None
    assert claimed.id in (dead[0], dead[2])


def test_another_schemas_claim_of_the_same_key_does_not_block_this_queue(
    engine: Engine, database_url: str
) -> None:
    """Advisory locks are database-wide; the key is hashed with the schema, so queues of two
    deployments in one database never skip each other's keys."""
    if is_sqlite(database_url):
        pytest.skip("PostgreSQL only: SQLite has no advisory locks")
    with Session(engine) as session:
        job_id = _add(session, "acme/agents#870")
    other = make_engine(database_url)
    with other.connect() as neighbour:  # a worker of a queue in another schema, mid-claim
        neighbour.exec_driver_sql("SET search_path TO public")
        neighbour.execute(select(func.pg_advisory_lock(claims.advisory_key("acme/agents#870"))))
        with Session(engine) as session:
            claimed = claims.claim(session=session, worker="w1", lease=MINUTE)
        neighbour.execute(select(func.pg_advisory_unlock_all()))
    other.dispose()
    assert claimed is not None
    assert claimed.id == job_id
