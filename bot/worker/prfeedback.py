"""Job handler for pull-request feedback: one sticky comment on how a PR's run moves each plan."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.core import prfeedback
from bot.store import repositories
from bot.store.runs import run_input
from bot.worker.context import Context
from bot.worker.plans import stored_run, tracked_plans


def on_pr_feedback(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """Publish the pull-request feedback of a stored run."""
    repository, config, run = stored_run(context, session, payload)
    if run is None:
        return
    plans = tracked_plans(context, session, repository, config)
    if not plans:
        return
    base_runs = [
        r
        for r in repositories.qualifying_runs(
            session=session,
            repository=repository,
            branches=config.branches_or_default(repository.default_branch),
            limit=2,
        )
        if r.id != run.id
    ]
    base = run_input(session=session, run=base_runs[-1]) if base_runs else None
    pr_run = run_input(session=session, run=run)
    text = prfeedback.render(
        prfeedback.impacts(plans, base, pr_run),
        run_label=pr_run.label,
        base_label=base.label if base else None,
    )
    with context.github.client(payload.get("installation_id")) as gh:
        numbers = [int(n) for n in payload.get("pull_requests") or []]
        if not numbers and payload.get("head_sha"):
            numbers = gh.pulls_for_commit(repository.full_name, str(payload["head_sha"]))
        for number in numbers:
            current = gh.find_comment(repository.full_name, number, prfeedback.MARKER)
            if current is None:
                gh.create_comment(repository.full_name, number, text)
            elif current.body != text:
                gh.update_comment(repository.full_name, current.id, text)
