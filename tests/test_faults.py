"""Faults end to end: GitHub failing, limiting or slow, the database or a worker dying mid-job.

Each test drives the seed story through signed deliveries against the fake GitHub, injects a
fault, lets the queue retry, and then checks that nothing was lost: the fake's issue body has
the right checkboxes and there is exactly one summary comment, describing the newest run.

Retries that wait for a job's backoff do not wait in real time: `fast_forward` moves the
queue clock (every queued job's `run_after`) to now between two rounds of work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.core import checklist
from bot.core.events import JobKind
from bot.github import GitHubFactory
from bot.store import queue
from bot.store.engine import make_engine
from bot.store.models import Job, utc_now
from bot.worker.context import Context
from bot.worker.loop import Worker

from fakes import FakeGitHub, ServedFake
from fakes.running_bot import (
    WEBHOOK_SECRET,
    RunningBot,
    bot_settings,
    fast_forward,
    steady_backoff,
)
from fakes.seed_story import (
    ISSUE,
    REPO,
    boxes,
    complete_run,
    issue_body,
    issue_payload,
    open_seed_issue,
    story_zip,
    summary_comments,
)
from fakes.webhook_sender import payload

# The seed story: which boxes (by index) each run leaves ticked.
TICKED = {1: [2], 2: [0, 2, 3], 3: [0, 1, 2, 3, 4]}
ALL_MET = "Items met: **5 of 5**"
CONFIG = ".github/remediation.yml"
ROOT = Path(__file__).resolve().parent.parent

ISSUE_GET = rf"/repos/{REPO}/issues/{ISSUE}$"
ISSUE_PATCH = ISSUE_GET
COMMENTS = rf"/repos/{REPO}/issues/{ISSUE}/comments$"
COMMENT_PATCH = rf"/repos/{REPO}/issues/comments/\d+$"
ARTIFACT_LIST = rf"/repos/{REPO}/actions/runs/\d+/artifacts$"
TOKEN_MINT = r"/app/installations/\d+/access_tokens$"
ARTIFACT_ZIP = rf"/repos/{REPO}/actions/artifacts/\d+/zip$"


# -- helpers --------------------------------------------------------------------------------


def jobs_of(bot: RunningBot, kind: JobKind) -> list[Job]:
    """The jobs of one kind, oldest first, as stored now."""
    with Session(bot.engine) as session:
        query = select(Job).where(Job.kind == kind.value).order_by(col(Job.id))
        return list(session.exec(query).all())


def last_job(bot: RunningBot, kind: JobKind) -> Job:
    """The newest job of a kind."""
    found = jobs_of(bot, kind)
    assert found, f"no {kind.value} job"
    return found[-1]


def started(bot: RunningBot, github: FakeGitHub, seed_body: str, *, config: str = "") -> None:
    """The seed issue opened and tracked, the repository configured; no run yet."""
    if config:
        # The bot caches the configuration when it first sees the issue: set it before.
        github.add_repo(REPO, default_branch="main")
        github.set_file(REPO, CONFIG, config)
        github.add_issue(REPO, ISSUE, title="Issue #870", body=seed_body, labels=["remediation"])
        assert bot.deliver("issues", issue_payload("opened", seed_body)).status_code == 202
    else:
        open_seed_issue(bot, github, seed_body)
    bot.work()
    github.requests.clear()


def run(bot: RunningBot, github: FakeGitHub, number: int, **extra: Any) -> None:
    """Story run `number` (1, 2, 3) completes as run id 100 + number; nothing is worked yet."""
    assert complete_run(bot, github, 100 + number, story_zip(number), **extra).status_code == 202


def assert_story_at(github: FakeGitHub, number: int) -> None:
    """The fake's issue shows story run `number`: its boxes and one summary comment."""
    assert boxes(github) == TICKED[number]
    comments = summary_comments(github)
    assert len(comments) == 1, comments
    if number == 3:
        assert ALL_MET in comments[0]
    else:
        assert ALL_MET not in comments[0]


def issue_writes(github: FakeGitHub) -> list[str]:
    """The writes to the seed issue (its body and comments) the fake has seen."""
    return [f"{r.method} {r.path}" for r in github.writes() if "/issues/" in r.path]


def worker_with(bot: RunningBot, served: ServedFake, **overrides: Any) -> Worker:
    """A worker on the bot's database whose settings differ (e.g. a short GitHub timeout)."""
    settings = bot_settings(bot.settings.database_url, served, **overrides)
    context = Context(
        engine=bot.engine, settings=settings, github=GitHubFactory(settings, write_interval=0)
    )
    return Worker(context, backoff=steady_backoff)


def wait_for(condition: Callable[[], bool], *, timeout: float = 10.0, what: str = "") -> None:
    """Poll until `condition` holds (real time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.01)


@contextmanager
def in_background(work: Callable[[], object]) -> Iterator[None]:
    """Run `work` in a thread for the block; re-raise whatever it raised."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join(timeout=30)
    assert not thread.is_alive(), "the worker thread did not finish"
    if errors:
        raise errors[0]


def arrived(github: FakeGitHub, method: str, path: str, count: int = 1) -> Callable[[], bool]:
    """Whether the fake has seen `count` requests (recorded before any fault delay)."""
    return lambda: len(github.requests_to(method, path)) >= count


# -- 1. 5xx bursts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", ISSUE_GET), ("PATCH", COMMENT_PATCH)],
    ids=["get-issue", "patch-comment"],
)
def test_5xx_burst_during_sync_is_retried_by_the_job(
    bot: RunningBot, github: FakeGitHub, seed_body: str, method: str, path: str
) -> None:
    started(bot, github, seed_body)
    run(bot, github, 1)
    bot.work()
    github.requests.clear()
    github.server_error(502, times=3, method=method, path=path)  # beyond the 2 in-place retries

    run(bot, github, 2)
    bot.work()

    sync = last_job(bot, JobKind.SYNC_ISSUE)
    assert (sync.status, sync.attempts) == ("queued", 1)
    assert sync.last_error is not None
    assert sync.last_error.startswith("GitHubUnavailable: GitHub answered 502")
    # Reads are retried in place (3 tries in one attempt); a write is not, since GitHub may
    # have applied it: each 502 on the PATCH costs one job attempt, with backoff.
    in_place = 3 if method == "GET" else 1
    assert len(github.requests_to(method, path)) == in_place
    while fast_forward(bot):
        bot.work()
    sync = last_job(bot, JobKind.SYNC_ISSUE)
    assert (sync.status, sync.attempts) == ("done", 2 if method == "GET" else 4)
    assert_story_at(github, 2)
    run(bot, github, 3)
    bot.work()
    assert_story_at(github, 3)


def test_short_5xx_burst_is_retried_in_place(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    started(bot, github, seed_body)
    github.server_error(503, times=2, method="GET", path=ISSUE_GET)
    github.server_error(502, times=2, method="GET", path=ARTIFACT_LIST)

    run(bot, github, 1)
    bot.work()

    assert [(j.status, j.attempts) for j in jobs_of(bot, JobKind.WORKFLOW_RUN)] == [("done", 1)]
    assert [(j.status, j.attempts) for j in jobs_of(bot, JobKind.SYNC_ISSUE)] == [("done", 1)]
    assert len(github.requests_to("GET", ISSUE_GET)) == 3
    assert_story_at(github, 1)


def test_bot_keeps_its_ticks_when_a_sync_fails_after_writing_the_body(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    """The body PATCH landed, then the comment failed: the retry must still own those ticks."""
    started(bot, github, seed_body, config="untick_regressions: true\n")
    run(bot, github, 1)
    bot.work()
    github.server_error(502, times=3, method="PATCH", path=COMMENT_PATCH)
    run(bot, github, 2)
    bot.work()
    assert boxes(github) == TICKED[2]  # written before the comment failed
    fast_forward(bot)
    bot.work()
    assert_story_at(github, 2)

    # Run 1's results again: the items the bot ticked for run 2 regress, and it unticks them.
    complete_run(bot, github, 104, story_zip(1))
    bot.work()
    assert_story_at(github, 1)


# -- 2. timeouts ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ARTIFACT_LIST, ISSUE_GET], ids=["artifact-list", "get-issue"])
def test_timeout_fails_the_job_which_is_retried(
    bot: RunningBot,
    github: FakeGitHub,
    served_github: ServedFake,
    seed_body: str,
    path: str,
) -> None:
    started(bot, github, seed_body)
    worker = worker_with(bot, served_github, github_timeout_seconds=0.5)
    github.slow(1.0, times=1, method="GET", path=path)

    run(bot, github, 1)
    worker.run_until_idle()

    every = jobs_of(bot, JobKind.WORKFLOW_RUN) + jobs_of(bot, JobKind.SYNC_ISSUE)
    (failed,) = [j for j in every if j.status != "done"]
    assert (failed.status, failed.attempts) == ("queued", 1)
    assert failed.last_error is not None
    assert failed.last_error.startswith("GitHubUnavailable")
    assert summary_comments(github) == []
    fast_forward(bot)
    worker.run_until_idle()
    assert all(j.status == "done" for j in jobs_of(bot, JobKind.SYNC_ISSUE))
    assert_story_at(github, 1)


# -- 3. primary rate limit ----------------------------------------------------------------------


def test_primary_limit_far_away_defers_the_job_without_using_an_attempt(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    started(bot, github, seed_body)
    github.primary_rate_limit(times=1, reset_in=3600, method="GET", path=ISSUE_GET)

    run(bot, github, 1)
    bot.work()

    sync = last_job(bot, JobKind.SYNC_ISSUE)
    assert (sync.status, sync.attempts) == ("queued", 0)
    assert sync.last_error is not None
    assert sync.last_error.startswith("deferred: GitHub rate limit")
    assert "rate limit" in sync.last_error
    assert sync.run_after > utc_now() + timedelta(minutes=55)
    assert issue_writes(github) == []  # nothing written while limited
    assert len(github.requests_to("GET", ISSUE_GET)) == 1  # no sleeping retry in place
    assert boxes(github) == []

    fast_forward(bot)
    bot.work()
    sync = last_job(bot, JobKind.SYNC_ISSUE)
    assert (sync.status, sync.attempts) == ("done", 1)
    assert_story_at(github, 1)


def test_primary_limit_resetting_soon_is_retried_in_place(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    started(bot, github, seed_body)
    github.primary_rate_limit(times=1, reset_in=1, method="GET", path=ISSUE_GET)

    run(bot, github, 1)
    bot.work()

    sync = last_job(bot, JobKind.SYNC_ISSUE)
    assert (sync.status, sync.attempts, sync.last_error) == ("done", 1, None)
    assert len(github.requests_to("GET", ISSUE_GET)) == 2
    assert_story_at(github, 1)


def test_primary_limit_while_minting_the_token_defers_the_job(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    """githubkit raises it inside the auth flow, wrapped in RequestError: still a deferral."""
    github.primary_rate_limit(times=1, reset_in=3600, method="POST", path=TOKEN_MINT)
    open_seed_issue(bot, github, seed_body)
    bot.work()

    (job,) = jobs_of(bot, JobKind.ISSUE)
    assert (job.status, job.attempts) == ("queued", 0)
    assert job.last_error is not None
    assert job.last_error.startswith("deferred: GitHub rate limit")
    fast_forward(bot)
    bot.work()
    run(bot, github, 1)
    bot.work()
    assert_story_at(github, 1)


# -- 4. secondary rate limit ----------------------------------------------------------------------


def test_secondary_limit_with_retry_after_is_retried_in_place(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    started(bot, github, seed_body)
    github.secondary_rate_limit(times=1, retry_after=1, method="POST", path=COMMENTS)

    run(bot, github, 1)
    bot.work()

    sync = last_job(bot, JobKind.SYNC_ISSUE)
    assert (sync.status, sync.attempts, sync.last_error) == ("done", 1, None)
    assert len(github.requests_to("POST", COMMENTS)) == 2
    assert_story_at(github, 1)


def test_secondary_limit_without_retry_after_defers_the_job(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    """githubkit misses this form (remaining > 0, no retry-after); GitHub says wait >= 1 min."""
    started(bot, github, seed_body, config="untick_regressions: true\n")
    run(bot, github, 1)
    bot.work()
    github.secondary_rate_limit(times=1, retry_after=None, method="PATCH", path=COMMENT_PATCH)

    run(bot, github, 2)
    bot.work()

    sync = last_job(bot, JobKind.SYNC_ISSUE)
    assert (sync.status, sync.attempts) == ("queued", 0)
    assert sync.last_error is not None
    assert sync.last_error.startswith("deferred: GitHub secondary rate limit")
    assert utc_now() + timedelta(seconds=50) < sync.run_after < utc_now() + timedelta(seconds=70)
    assert len(github.requests_to("PATCH", COMMENT_PATCH)) == 1  # not retried in place
    fast_forward(bot)
    bot.work()
    assert_story_at(github, 2)
    # The ticks written before the limit hit are still the bot's: a regression unticks them.
    complete_run(bot, github, 104, story_zip(1))
    bot.work()
    assert_story_at(github, 1)


# -- 5. artifacts gone ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"), [(410, "has expired"), (404, "is gone")], ids=["expired", "missing"]
)
def test_artifact_gone_on_download_is_reported_once_not_retried(
    bot: RunningBot,
    github: FakeGitHub,
    seed_body: str,
    caplog: pytest.LogCaptureFixture,
    status: int,
    message: str,
) -> None:
    """Listed as live, then 410 (expired meanwhile) or 404 (deleted meanwhile) on download."""
    started(bot, github, seed_body)
    github.fail_next(status, method="GET", path=ARTIFACT_ZIP, json={"message": "gone"})

    run(bot, github, 1)
    assert bot.work() == 1  # the ingest only: no reports, so no sync

    (ingest,) = jobs_of(bot, JobKind.WORKFLOW_RUN)
    assert (ingest.status, ingest.attempts, ingest.last_error) == ("done", 1, None)
    assert message in caplog.text
    assert fast_forward(bot) == 0
    assert bot.work() == 0
    assert len(github.requests_to("GET", ARTIFACT_ZIP)) == 1
    assert boxes(github) == []
    assert summary_comments(github) == []
    # The next run's artifacts are there: the story goes on.
    run(bot, github, 2)
    bot.work()
    assert_story_at(github, 2)


# -- 8. out-of-order runs -------------------------------------------------------------------------


def deliver_run(bot: RunningBot, github: FakeGitHub, number: int, *, started_at: str) -> None:
    """Story run `number` as run id 100 + number, started at `started_at` (ISO 8601)."""
    github.add_artifact(REPO, 100 + number, name="junit-results", zip_bytes=story_zip(number))
    merge = {
        "repository": {"default_branch": "main"},
        "workflow_run": {"run_started_at": started_at},
    }
    body = payload(
        "workflow_run", "completed", repo=REPO, run_id=100 + number, head_branch="main", merge=merge
    )
    assert bot.deliver("workflow_run", body).status_code == 202


def test_an_older_run_arriving_late_rolls_nothing_back(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    started(bot, github, seed_body)
    deliver_run(bot, github, 3, started_at="2026-03-03T10:00:00Z")
    bot.work()
    assert_story_at(github, 3)
    github.requests.clear()

    deliver_run(bot, github, 1, started_at="2026-03-01T10:00:00Z")  # an older run, delivered late
    bot.work()

    assert [j.status for j in jobs_of(bot, JobKind.WORKFLOW_RUN)] == ["done", "done"]
    # The newest run still decides: no box moves; the comment may only gain the late run as
    # the trend's baseline, and still reports run 3.
    assert_story_at(github, 3)
    assert github.requests_to("PATCH", ISSUE_PATCH) == []
    (comment,) = summary_comments(github)
    assert "Run: [run 103]" in comment


# -- 6. the database connection killed mid-job ----------------------------------------------------


def test_postgres_connection_killed_mid_job_is_retried(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    """pg_terminate_backend on the worker's connections while a slow GitHub call holds the job."""
    if bot.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connection to lose; the postgres leg covers this")
    # Only this test's worker connections are killed: other tests may share the server.
    name = f"faults-{uuid.uuid4().hex[:12]}"
    engine = make_engine(f"{bot.settings.database_url}&application_name={name}")
    context = Context(
        engine=engine, settings=bot.settings, github=GitHubFactory(bot.settings, write_interval=0)
    )
    worker = Worker(context, backoff=steady_backoff)
    started(bot, github, seed_body)
    github.slow(1.0, times=1, method="GET", path=ARTIFACT_LIST)
    run(bot, github, 1)

    try:
        with in_background(worker.run_until_idle):
            wait_for(arrived(github, "GET", ARTIFACT_LIST), what="the artifact listing")
            with bot.engine.begin() as connection:
                killed = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND application_name = :name"
                        " AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).scalar_one()
        assert killed >= 1
        (ingest,) = jobs_of(bot, JobKind.WORKFLOW_RUN)
        assert (ingest.status, ingest.attempts) == ("queued", 1)
        assert ingest.last_error is not None
        assert ingest.last_error.startswith("OperationalError")
        assert summary_comments(github) == []

        fast_forward(bot)
        worker.run_until_idle()
    finally:
        engine.dispose()
    (ingest,) = jobs_of(bot, JobKind.WORKFLOW_RUN)
    assert (ingest.status, ingest.attempts) == ("done", 2)
    assert_story_at(github, 1)


# -- 7. a worker process killed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "delay"),
    [("GET", ARTIFACT_LIST, 10.0), ("POST", COMMENTS, 1.5)],
    ids=["in-ingest", "in-comment-post"],
)
def test_a_killed_worker_process_loses_nothing(
    bot: RunningBot,
    github: FakeGitHub,
    served_github: ServedFake,
    seed_body: str,
    tmp_path: Path,
    method: str,
    path: str,
    delay: float,
) -> None:
    """SIGKILL a `remediation-bot worker` process mid-job; another worker takes over.

    In the comment case GitHub still creates the comment the dead worker asked for: the next
    worker must find it (by its marker) rather than post a second one.
    """
    started(bot, github, seed_body)
    github.slow(delay, times=1, method=method, path=path)
    run(bot, github, 1)
    ours = ("GITHUB_", "DATABASE_", "JOB_", "WORKER_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env |= {
        "DATABASE_URL": bot.settings.database_url,  # a per-test schema rides in the URL as is
        "GITHUB_APP_ID": str(served_github.app_id),
        "GITHUB_PRIVATE_KEY": served_github.private_key_pem,
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "GITHUB_API_URL": served_github.api_url,
        "JOB_LEASE_SECONDS": "2",
        "WORKER_POLL_SECONDS": "0.1",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(arrived(github, method, path), timeout=30, what=f"{method} {path}")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, log.read_text()

    (held,) = [
        j
        for j in jobs_of(bot, JobKind.WORKFLOW_RUN) + jobs_of(bot, JobKind.SYNC_ISSUE)
        if j.status == "running"
    ]
    assert held.worker is not None
    assert f":{process.pid}:" in held.worker
    lease_until = held.lease_until
    assert lease_until is not None
    if method == "POST":
        wait_for(lambda: len(summary_comments(github)) == 1, what="the dead worker's comment")
    wait_for(lambda: utc_now() > lease_until, timeout=5, what="the lease to expire")
    bot.work()

    taken = [
        j
        for j in jobs_of(bot, JobKind.WORKFLOW_RUN) + jobs_of(bot, JobKind.SYNC_ISSUE)
        if j.id == held.id
    ]
    assert [(j.status, j.attempts) for j in taken] == [("done", 2)]
    assert_story_at(github, 1)
    assert len(github.requests_to("POST", COMMENTS)) == 1


# -- 9. a person edits the issue while the bot syncs ----------------------------------------------


def edit(github: FakeGitHub, line: str, *, tick: int | None = None) -> None:
    """A person adds a line to the issue (and ticks box `tick`) on GitHub."""
    with github.lock:
        issue = github.repos[REPO].issues[ISSUE]
        body = issue_body(github).replace("## Conclusion", f"## Conclusion\n\n{line}")
        if tick is not None:
            box = checklist.find_checkboxes(body)[tick]
            body = body[: box.offset] + "x" + body[box.offset + 1 :]
        issue.body = body


def test_a_persons_edit_made_while_the_bot_reads_survives(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    """The bot ticks boxes on the body it just fetched, so an edit before that fetch is kept."""
    started(bot, github, seed_body)
    github.slow(1.0, times=1, method="GET", path=ISSUE_GET)  # the edit lands inside the read
    run(bot, github, 1)

    with in_background(bot.work):
        wait_for(arrived(github, "GET", ISSUE_GET), what="the sync's read of the issue")
        edit(github, "Edited by a person during the read.", tick=1)

    body = issue_body(github)
    assert "Edited by a person during the read." in body
    assert boxes(github) == [1, *TICKED[1]]  # the person's tick and the bot's
    assert len(summary_comments(github)) == 1


def test_an_edit_racing_the_bots_write_is_lost_as_github_has_no_compare_and_swap(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    """The unavoidable race, pinned down: GitHub documents no If-Match for PATCH issue.

    An edit saved between the bot's read and its write is overwritten by the body the bot read
    plus its ticks. The bot keeps the window to one GET and one PATCH back to back; this test
    makes it wide on purpose. Should GitHub ever offer a conditional write, flip it.
    """
    started(bot, github, seed_body)
    github.slow(1.0, times=1, method="PATCH", path=ISSUE_PATCH)  # held before it is applied
    run(bot, github, 1)

    with in_background(bot.work):
        wait_for(arrived(github, "PATCH", ISSUE_PATCH), what="the sync's write of the body")
        edit(github, "Edited by a person during the write.")

    assert "Edited by a person during the write." not in issue_body(github)
    assert_story_at(github, 1)


def test_a_deleted_issue_is_not_retried(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    github.delete_issue(REPO, ISSUE)
    complete_run(bot, github, 901, story_zip(1))
    bot.work()
    with Session(bot.engine) as session:
        assert queue.counts(session=session)["queued"] == 0  # nothing left to retry
        assert queue.counts(session=session)["dead"] == 0
