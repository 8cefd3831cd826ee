"""Job handler for the regression gate: a check run on the head commit of a stored run."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session

from bot.config import GitHubMode
from bot.core import evaluate, gate
from bot.core.repoconfig import RepoConfig
from bot.store import repositories
from bot.store.models import Repository, Run
from bot.store.runs import outcome_maps, run_input
from bot.worker.context import Context
from bot.worker.plans import stored_run, tracked_plans

log = logging.getLogger(__name__)


def on_gate(context: Context, session: Session, payload: dict[str, Any]) -> None:
    """Publish the regression gate of a stored run (GitHub Apps only)."""
    repository, config, run = stored_run(context, session, payload)
    if run is None or context.settings.github_mode is not GitHubMode.APP:
        return  # only Apps may create check runs; a personal token gets 403
    result = _assess(context, session, repository, config, run)
    batches = result.annotation_batches() or [[]]
    output = {"title": result.title, "summary": result.summary}
    with context.github.client(payload.get("installation_id")) as gh:
        check_id = gh.create_check_run(
            repository.full_name,
            str(payload["head_sha"]),
            {**output, "annotations": [a.as_dict() for a in batches[0]]},
            name=config.gate_name,
            conclusion=result.conclusion,
            external_id=str(run.id),
            details_url=payload.get("url") or None,
        )
        for batch in batches[1:]:
            gh.add_check_annotations(
                repository.full_name,
                check_id,
                {**output, "annotations": [a.as_dict() for a in batch]},
            )
    log.info(
        "regression gate: %s (%s)",
        result.conclusion,
        result.title,
        extra={"repository": repository.full_name},
    )


def _assess(
    context: Context, session: Session, repository: Repository, config: RepoConfig, run: Run
) -> gate.GateResult:
    """The gate's verdict: the run's failures against the known ones and the flaky tests."""
    plans = [
        p
        for p in tracked_plans(context, session, repository, config)
        if not config.gate_issues or p.number in config.gate_issues
    ]
    recent = repositories.qualifying_runs(
        session=session,
        repository=repository,
        branches=config.branches_or_default(repository.default_branch),
        limit=config.flaky_window,
    )
    newest = run_input(session=session, run=run)
    earlier = [r.id for r in recent if r.id and r.id != run.id]
    flaky = evaluate.flaky_tests(
        newest,
        outcome_maps(session=session, run_pks=earlier),
        evaluate.FlakyPolicy(window=config.flaky_window, min_runs=config.flaky_min_runs),
    )
    return gate.assess(newest.cases, plans, flaky=frozenset(flaky))
