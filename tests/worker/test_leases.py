"""Leases: a job slower than its lease runs once; an unknown job kind is dead at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from sqlmodel import select as select_rows

from bot.core.events import JobKind
from bot.github import GitHubFactory
from bot.store import claims, queue
from bot.store.models import Job
from bot.worker.context import Context
from bot.worker.loop import Worker

from fakes import FakeGitHub, ServedFake
from fakes.running_bot import RunningBot, bot_settings, steady_backoff
from fakes.seed_story import REPO, complete_run, open_seed_issue, story_zip


def _worker(bot: RunningBot, served: ServedFake, name: str, lease: float) -> Worker:
    settings = bot_settings(bot.settings.database_url, served, job_lease_seconds=lease)
    context = Context(
        engine=bot.engine, settings=settings, github=GitHubFactory(settings, write_interval=0)
    )
    return Worker(context, name=name, backoff=steady_backoff)


def _run_jobs(bot: RunningBot) -> list[Job]:
    with Session(bot.engine) as session:
        return list(session.exec(select_rows(Job).where(Job.kind == JobKind.WORKFLOW_RUN.value)))


def test_a_job_slower_than_its_lease_runs_exactly_once(
    bot: RunningBot, github: FakeGitHub, served_github: ServedFake, seed_body: str
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    github.slow(3.0, method="GET", path=r"/actions/runs/\d+/artifacts$")
    assert complete_run(bot, github, 101, story_zip(1)).status_code == 202
    first = _worker(bot, served_github, "first", lease=1.0)
    second = _worker(bot, served_github, "second", lease=1.0)
    running = threading.Thread(target=first.run_once)
    running.start()
    while not [j for j in _run_jobs(bot) if j.worker == "first"]:  # first claims it first
        running.join(0.01)
    stolen = []
    while running.is_alive():  # the lease expires three times over while the job runs
        stolen.append(second.run_once())
        running.join(0.2)
    assert not any(stolen)
    (job,) = _run_jobs(bot)
    assert (job.status, job.attempts, job.worker) == ("done", 1, "first")
    assert len(github.requests_to("GET", rf"/repos/{REPO}/actions/runs/101/artifacts$")) == 1


def test_an_unknown_job_kind_is_dead_at_once_with_a_clear_error(bot: RunningBot) -> None:
    with Session(bot.engine) as session:
        queue.enqueue(session=session, kind="frobnicate", payload={}, lock_key="k")
    assert bot.worker.run_once() is True
    with Session(bot.engine) as session:
        job = session.exec(select_rows(Job)).one()
    assert (job.status, job.attempts) == ("dead", 1)
    assert job.last_error is not None
    assert job.last_error.startswith("unknown job kind 'frobnicate'")


@pytest.mark.postgres
def test_extending_a_lease_takes_the_same_lock_as_claims(postgres_schema_url: str) -> None:
    from bot.store.engine import make_engine
    from bot.store.migrate import upgrade

    upgrade(postgres_schema_url)
    engine = make_engine(postgres_schema_url)
    try:
        with Session(engine) as session:
            queue.enqueue(session=session, kind="sync", payload={}, lock_key="o/r#1")
            job = claims.claim(session=session, worker="w")
        assert job is not None
        with engine.connect() as holder, Session(engine) as session:
            holder.execute(select(func.pg_advisory_xact_lock(claims.advisory_key("o/r#1"))))
            session.execute(text("SET lock_timeout = '300ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                claims.extend_lease(session=session, job=job, worker="w", lease=queue.DEFAULT_LEASE)
    finally:
        engine.dispose()
