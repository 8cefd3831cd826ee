"""The issue page's data: the newest qualifying run's evaluation, flaky tests, run history."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.core import reconcile
from bot.core.evaluate import Evaluation, FailureGroup
from bot.core.repoconfig import RepoConfig
from bot.store import issue_rules, reads
from bot.store.models import Repository, Run, TrackedIssue
from bot.web.dashboard.evaluations import EvaluationCache, newest_evaluation
from bot.web.dashboard.rows import config_of, header_fields, qualifying_runs, run_point
from bot.web.dashboard.views import (
    FlakeView,
    GroupView,
    IssueDetail,
    ItemView,
    PhaseView,
    ReadingView,
)

CHART_RUNS = 200  # runs on the issue page's chart and in its history
FLAKE_WINDOW = 200  # runs over which flips are counted


def issue_detail(
    *,
    session: Session,
    web: str,
    repository: Repository,
    issue: TrackedIssue,
    cache: EvaluationCache | None = None,
) -> IssueDetail:
    """The issue page's data: the evaluation of the newest qualifying run, and history."""
    config, config_problem = config_of(repository)
    runs = qualifying_runs(session=session, repository=repository, config=config, limit=CHART_RUNS)
    evaluation, problem = newest_evaluation(session, issue, repository, config, runs, cache)
    return IssueDetail(
        **header_fields(web, repository, issue),
        evaluated_run=run_point(runs[-1]) if runs and evaluation else None,
        **_evaluated_fields(evaluation),
        readings=_readings(session, issue, config),
        flaky=_flaky(session, runs),
        runs=[run_point(r) for r in runs],
        summary_comment=issue.desired_comment,
        desired_body=issue.desired_body,
        problem=problem or config_problem,
    )


def _evaluated_fields(evaluation: Evaluation | None) -> dict[str, Any]:
    """The IssueDetail fields an evaluation fills (all empty without one)."""
    if evaluation is None:
        return {"items": [], "phases": [], "unplanned": [], "newly_failing": [], "newly_fixed": []}
    return {
        "items": [
            ItemView(
                index=i.index,
                text=i.text,
                checked=i.checked,
                status=i.status.value,
                evidence=i.evidence,
                phase=i.phase,
            )
            for i in evaluation.items
        ],
        "phases": [
            PhaseView(
                number=p.number,
                label=p.label,
                title=p.title,
                failing=list(p.failing),
                groups=[_group(g) for g in p.groups],
            )
            for p in evaluation.phases
        ],
        "unplanned": [_group(g) for g in evaluation.unplanned],
        "newly_failing": list(evaluation.newly_failing),
        "newly_fixed": list(evaluation.newly_fixed),
    }


def _readings(session: Session, issue: TrackedIssue, config: RepoConfig) -> list[ReadingView]:
    """How the checklist is read, as the summary comment says it (no run needed)."""
    body = issue.desired_body or issue.body
    if body is None:
        return []
    rules = issue_rules.stored_rules(session=session, issue=issue)
    _, readings = reconcile.read_checklist(body, config, rules.item_rules)
    return [
        ReadingView(index=r.index, text=r.text, reading=r.words, suggested_rule=r.suggestion)
        for r in readings
    ]


def _group(group: FailureGroup) -> GroupView:
    return GroupView(
        signature=group.signature,
        message=group.message,
        tests=list(group.tests),
        phase=group.phase,
        reason=group.reason,
    )


def _flaky(session: Session, runs: list[Run]) -> list[FlakeView]:
    window = [r.id for r in runs[-FLAKE_WINDOW:] if r.id is not None]
    return [
        FlakeView(test_id=f.test_id, flips=f.flips, runs=f.runs, rate=f.rate)
        for f in reads.flakiest(session=session, run_pks=window)
    ]
