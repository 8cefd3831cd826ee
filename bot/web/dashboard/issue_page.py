"""The issue page's data: the newest qualifying run's evaluation, flaky tests, run history."""

from __future__ import annotations

from sqlmodel import Session

from bot.store import issue_rules
from bot.store.models import Repository, TrackedIssue
from bot.web.dashboard.evaluations import EvaluationCache, flaky, newest_view, readings
from bot.web.dashboard.rows import config_of, header_fields, qualifying_runs, run_point
from bot.web.dashboard.views import IssueDetail

CHART_RUNS = 200  # runs on the issue page's chart and in its history


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
    view, problem = newest_view(session, issue, repository, config, runs, cache)
    body = issue.desired_body or issue.body
    if view is None and body is not None:
        rules = issue_rules.stored_rules(session=session, issue=issue)
        shown_readings = readings(body, config, rules)
    else:
        shown_readings = view.readings if view is not None else []
    return IssueDetail(
        **header_fields(web, repository, issue),
        evaluated_run=run_point(runs[-1]) if runs and view else None,
        items=view.items if view else [],
        readings=shown_readings,
        phases=view.phases if view else [],
        unplanned=view.unplanned if view else [],
        newly_failing=view.newly_failing if view else [],
        newly_fixed=view.newly_fixed if view else [],
        flaky=view.flaky if view else flaky(session, [r.id for r in runs if r.id is not None]),
        runs=[run_point(r) for r in runs],
        summary_comment=issue.desired_comment,
        desired_body=issue.desired_body,
        problem=problem or config_problem,
    )
