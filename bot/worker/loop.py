"""The worker loop: claims jobs from the store and runs their handlers (`bot.worker.registry`).

Collaborators come in a `Context`; each job opens its own session and GitHub client. One
catch-all around dispatch records any failure on the job (with delivery and job ids in the
log), so a bad job is retried with backoff and, at last, dead-lettered; the loop goes on.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from bot import telemetry
from bot.errors import PermissionMissing, RetryLater
from bot.store import claims, queue
from bot.store.models import utc_now
from bot.worker.context import Context, Handler
from bot.worker.heartbeat import Heartbeat
from bot.worker.registry import HANDLERS

log = logging.getLogger(__name__)
CONFIG_PATH = ".github/remediation.yml"
SUMMARY_TITLE = "Remediation status"


def worker_name() -> str:
    """host:pid:thread, unique among workers sharing a queue."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Worker:
    """Runs jobs one at a time until stopped."""

    def __init__(
        self,
        context: Context,
        *,
        name: str | None = None,
        backoff: Callable[[int], timedelta] = queue.backoff,
    ) -> None:
        self.context = context
        self.name = name or worker_name()
        self.backoff = backoff  # attempts so far -> the wait before the next one

    def run_once(self) -> bool:
        """Claim and run one job; False when the queue had nothing runnable."""
        with Session(self.context.engine) as session:
            lease = timedelta(seconds=self.context.settings.job_lease_seconds)
            job = claims.claim(session=session, worker=self.name, lease=lease)
        if job is None:
            return False
        self._run(job)
        return True

    def run_until_idle(self, *, limit: int = 1000) -> int:
        """Run jobs until none is runnable (for tests and the offline demo)."""
        done = 0
        while done < limit and self.run_once():
            done += 1
        return done

    def run_forever(self, stop: threading.Event) -> None:
        """Poll the queue until `stop` is set."""
        log.info("worker started", extra={"worker": self.name})
        while not stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # the database went away: wait and try again
                log.exception("worker could not claim a job")
                ran = False
            if not ran:
                stop.wait(self.context.settings.worker_poll_seconds)

    def _run(self, job: queue.ClaimedJob) -> None:
        fields = {
            "job_id": job.id,
            "delivery_id": job.delivery_id,
            "repository": job.payload.get("repo"),
            "issue": job.payload.get("number"),
            "kind": job.kind,
        }
        handler = HANDLERS.get(job.kind)
        started, outcome = time.perf_counter(), "error"
        try:
            outcome = self._dispatch(job, handler, fields)
        finally:
            seconds = time.perf_counter() - started
            telemetry.record_job(job.kind, outcome, seconds, job.attempts)

    def _dispatch(
        self, job: queue.ClaimedJob, handler: Handler | None, fields: dict[str, Any]
    ) -> str:
        """Run the handler; record the job done, deferred, retried or dead; say which."""
        if handler is None:
            return self._bury_unknown(job, fields)
        lease = timedelta(seconds=self.context.settings.job_lease_seconds)
        with Session(self.context.engine) as session:
            try:
                with Heartbeat(self.context.engine, job, self.name, lease):
                    handler(self.context, session, job.payload)
            except PermissionMissing as exc:  # no retry can succeed until an admin acts
                session.rollback()
                log.error("job dead: %s", exc, extra=fields)
                queue.fail(session=session, job=job, worker=self.name, error=str(exc), retry=False)
                return "dead"
            except RetryLater as exc:
                session.rollback()
                until = utc_now() + timedelta(seconds=max(exc.retry_after, 1.0))
                log.warning("rate limited; job deferred", extra={**fields, "until": str(until)})
                queue.defer(
                    session=session, job=job, worker=self.name, until=until, reason=str(exc)
                )
                return "deferred"
            except Exception as exc:  # one catch-all: record, retry with backoff, dead-letter
                session.rollback()
                log.exception("job failed", extra=fields)
                state = queue.fail(
                    session=session,
                    job=job,
                    worker=self.name,
                    error=f"{type(exc).__name__}: {exc}",
                    backoff=self.backoff,
                )
                log.warning("job %s", state, extra=fields)
                return {"dead": "dead", "queued": "retry"}.get(state, "lost")
            queue.complete(session=session, job=job, worker=self.name)
            log.info("job done", extra=fields)
            return "done"

    def _bury_unknown(self, job: queue.ClaimedJob, fields: dict[str, Any]) -> str:
        """A kind no handler knows: dead at once, since no retry could ever run it."""
        known = ", ".join(sorted(HANDLERS))
        error = f"unknown job kind {job.kind!r}: no handler runs it (known kinds: {known})"
        log.error("job dead: %s", error, extra=fields)
        with Session(self.context.engine) as session:
            queue.fail(session=session, job=job, worker=self.name, error=error, retry=False)
        return "dead"
