"""A running job's lease, renewed while its handler works, so no other worker runs it too."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session

from bot.store import claims
from bot.store.queue import ClaimedJob

log = logging.getLogger(__name__)


class Heartbeat:
    """Extends the job's lease every third of it, from a thread, for the `with` block."""

    def __init__(self, engine: Engine, job: ClaimedJob, worker: str, lease: timedelta) -> None:
        self._engine = engine
        self._job = job
        self._worker = worker
        self._lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{job.id}", daemon=True)
        self.lost = False  # another worker took the job over: its lease had expired

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        interval = self._lease.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                with Session(self._engine) as session:
                    held = claims.extend_lease(
                        session=session, job=self._job, worker=self._worker, lease=self._lease
                    )
            except Exception:  # the store is away: the lease may still outlive the outage
                log.warning("lease not extended", exc_info=True, extra={"job_id": self._job.id})
                continue
            if not held:
                self.lost = True
                return
