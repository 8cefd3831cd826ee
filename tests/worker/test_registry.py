"""One registry: every job kind has exactly one handler, and every handler a job kind."""

from __future__ import annotations

from bot.core.events import JobKind
from bot.worker.registry import HANDLERS


def test_every_job_kind_has_a_handler_and_no_handler_is_orphaned() -> None:
    assert set(HANDLERS) == {kind.value for kind in JobKind}
