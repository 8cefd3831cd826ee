"""The test page's data: one test's outcome and duration over a repository's runs."""

from __future__ import annotations

from sqlmodel import Session

from bot.store import reads
from bot.store.models import Repository
from bot.web.dashboard.rows import run_point
from bot.web.dashboard.views import CaseHistory, CasePoint


def case_history(*, session: Session, repository: Repository, test_id: str) -> CaseHistory:
    """One test's outcome and duration over the repository's runs."""
    assert repository.id is not None
    points = reads.history(session=session, repository_id=repository.id, test_id=test_id)
    return CaseHistory(
        repository=repository.full_name,
        test_id=test_id,
        points=[
            CasePoint(
                run=run_point(p.run), outcome=p.outcome, duration=p.duration, message=p.message
            )
            for p in points
        ],
    )
