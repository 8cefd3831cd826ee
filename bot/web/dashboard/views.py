"""The dashboard's data: typed views assembled from `bot.queries` and the pure evaluation.

The HTML pages (bot.dashboard) and the JSON API (bot.dashboard_api) show the same views,
so what a maintainer reads on a page is exactly what a script reads from the API.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Collection
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, Field
from sqlmodel import Session

from bot.core import checklist, reconcile
from bot.core.evaluate import Evaluation, FailureGroup, RunInput
from bot.core.repoconfig import RepoConfig, parse_config
from bot.errors import ConfigurationError
from bot.store import reads
from bot.store.models import Delivery, Job, Repository, Run, TrackedIssue
from bot.store.runs import outcome_maps
from bot.worker import comments

CHART_RUNS = 200  # runs on the issue page's chart and in its history
FLAKE_WINDOW = 200  # runs over which flips are counted
TREND_EPSILON = 0.001  # pass-rate changes smaller than this are "flat"


class RunPoint(BaseModel):
    """One run, with its totals and where to see it on GitHub."""

    id: int
    run_id: str
    attempt: int
    branch: str | None
    head_sha: str | None
    url: str | None
    created_at: datetime
    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int
    pass_rate: float | None = Field(description="Passed over executed (skips excluded).")


class IssueHeader(BaseModel):
    """What every view of an issue starts with."""

    repository: str
    number: int
    title: str
    state: str
    tracked: bool
    url: str
    items_done: int = Field(description="Checklist items ticked (by the bot or a person).")
    items_total: int


class IssueRow(IssueHeader):
    """An issue on the overview: how far along it is."""

    last_run: RunPoint | None
    trend: str | None = Field(description="up, down or flat: pass rate against the run before.")


class RepositoryRow(BaseModel):
    """A repository and its issues."""

    full_name: str
    runs_url: str
    issues: list[IssueRow]


class Overview(BaseModel):
    """Every repository the viewer may read, with its issues."""

    repositories: list[RepositoryRow]


class ItemView(BaseModel):
    """A checklist item and what the newest run says about it."""

    index: int
    text: str
    checked: bool
    status: str = Field(description="met, unmet, unknown or manual.")
    evidence: str
    phase: int | None


class GroupView(BaseModel):
    """Failures sharing one signature (one root cause)."""

    signature: str
    message: str
    tests: list[str]
    phase: int | None
    reason: str


class PhaseView(BaseModel):
    """A phase of the plan with the failures mapped to it."""

    number: int
    label: str
    title: str
    failing: list[str]
    groups: list[GroupView]


class FlakeView(BaseModel):
    """A test that flips between passing and failing."""

    test_id: str
    flips: int
    runs: int
    rate: float = Field(description="Flips per pair of consecutive runs the test ran in.")


class IssueDetail(IssueHeader):
    """Everything the issue page shows."""

    evaluated_run: RunPoint | None
    items: list[ItemView]
    phases: list[PhaseView]
    unplanned: list[GroupView]
    newly_failing: list[str]
    newly_fixed: list[str]
    flaky: list[FlakeView]
    runs: list[RunPoint] = Field(description="Qualifying runs, oldest first (the chart's data).")
    summary_comment: str | None = Field(description="The summary comment's Markdown.")
    desired_body: str | None = Field(description="The body the bot wrote or would write.")
    problem: str | None = Field(description="Why the evaluation could not be made, if so.")


class CasePoint(BaseModel):
    """One test in one run."""

    run: RunPoint
    outcome: str
    duration: float | None
    message: str | None


class CaseHistory(BaseModel):
    """One test's outcome and duration over runs."""

    repository: str
    test_id: str
    points: list[CasePoint]


class DeliveryView(BaseModel):
    """A webhook delivery as recorded."""

    delivery_id: str
    event: str
    action: str | None
    repository: str | None
    outcome: str
    reason: str | None
    received_at: datetime


class JobView(BaseModel):
    """A job of the durable queue."""

    id: int
    kind: str
    lock_key: str
    status: str
    attempts: int
    max_attempts: int
    run_after: datetime
    last_error: str | None
    delivery_id: str | None
    created_at: datetime
    finished_at: datetime | None


class Operations(BaseModel):
    """The queue and the webhook intake."""

    job_counts: dict[str, int]
    deliveries: list[DeliveryView]
    jobs: list[JobView]
    retrying: list[JobView]
    dead: list[JobView]


def run_point(run: Run) -> RunPoint:
    """A run as the views show it."""
    assert run.id is not None
    executed = run.tests - run.skipped
    return RunPoint(
        id=run.id,
        run_id=run.run_id,
        attempt=run.attempt,
        branch=run.branch,
        head_sha=run.head_sha,
        # Upload API callers choose this URL: only web links, never `javascript:`.
        url=run.url if run.url and run.url.startswith(("https://", "http://")) else None,
        created_at=run.created_at,
        tests=run.tests,
        passed=run.passed,
        failed=run.failed,
        errors=run.errors,
        skipped=run.skipped,
        pass_rate=run.passed / executed if executed else None,
    )


def trend(runs: list[Run]) -> str | None:
    """up, down or flat: the newest run's pass rate against the one before."""
    if len(runs) < 2:
        return None
    before, after = run_point(runs[-2]).pass_rate, run_point(runs[-1]).pass_rate
    if before is None or after is None:
        return None
    if after > before + TREND_EPSILON:
        return "up"
    return "down" if after < before - TREND_EPSILON else "flat"


def config_of(repository: Repository) -> tuple[RepoConfig, str | None]:
    """The repository's cached configuration, and any problem reading it."""
    try:
        return parse_config(repository.config_text), None
    except ConfigurationError as exc:
        return RepoConfig(), str(exc)


def branches_of(repository: Repository, config: RepoConfig) -> list[str]:
    """The branches whose runs tick boxes (as the worker decides)."""
    return config.branches or [repository.default_branch or "main"]


def _header(web: str, repository: Repository, issue: TrackedIssue) -> dict[str, Any]:
    """The IssueHeader fields of an issue."""
    done, total = _progress(issue)
    return {
        "repository": repository.full_name,
        "number": issue.number,
        "title": issue.title,
        "state": issue.state,
        "tracked": issue.tracked,
        "url": issue_url(web, repository.full_name, issue.number),
        "items_done": done,
        "items_total": total,
    }


def _progress(issue: TrackedIssue) -> tuple[int, int]:
    boxes = checklist.find_checkboxes(issue.desired_body or issue.body or "")
    return sum(b.checked for b in boxes), len(boxes)


def issue_url(web: str, repository: str, number: int) -> str:
    """The issue on GitHub."""
    return f"{web}{quote(repository)}/issues/{number}"


def overview(*, session: Session, web: str, readable: Collection[str] | None) -> Overview:
    """Repositories (those in `readable`, or all when None) and their issues with progress."""
    repos = reads.repositories(session=session, names=readable)
    by_id = {r.id: r for r in repos if r.id is not None}
    rows: dict[int, list[IssueRow]] = {i: [] for i in by_id}
    recent: dict[int, list[Run]] = {}
    for issue in reads.issues(session=session, repository_ids=list(by_id)):
        repository = by_id[issue.repository_id]
        if issue.repository_id not in recent:
            config, _ = config_of(repository)
            recent[issue.repository_id] = reads.runs(
                session=session,
                repository=repository,
                branches=branches_of(repository, config),
                limit=2,
            )
        last = recent[issue.repository_id]
        rows[issue.repository_id].append(
            IssueRow(
                **_header(web, repository, issue),
                last_run=run_point(last[-1]) if last else None,
                trend=trend(last),
            )
        )
    return Overview(
        repositories=[
            RepositoryRow(
                full_name=r.full_name,
                runs_url=f"{web}{quote(r.full_name)}/actions",
                issues=rows[r.id],
            )
            for r in repos
            if r.id is not None
        ]
    )


def _group(group: FailureGroup) -> GroupView:
    return GroupView(
        signature=group.signature,
        message=group.message,
        tests=list(group.tests),
        phase=group.phase,
        reason=group.reason,
    )


def _run_input(session: Session, run: Run) -> RunInput:
    assert run.id is not None
    return RunInput(
        cases=reads.run_cases(session=session, run_pk=run.id),
        suites=reads.run_suites(session=session, run_pk=run.id),
        label=f"run {run.run_id}",
        url=run.url,
    )


class EvaluationCache:
    """Evaluations by everything they depend on; one per app, shared by its threads.

    An evaluation is a pure function of the body, the runs, the configuration and the
    stored rules, so a key made of those can never serve a stale one. A new run or an edit
    makes a new key; the least recently used entries go.
    """

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[object, ...], Evaluation] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Evaluation | None:
        """The cached evaluation, if any."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], evaluation: Evaluation) -> None:
        """Remember an evaluation."""
        with self._lock:
            self._entries[key] = evaluation
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def _evaluate(
    session: Session,
    issue: TrackedIssue,
    repository: Repository,
    config: RepoConfig,
    runs: list[Run],
    cache: EvaluationCache | None,
) -> tuple[Evaluation | None, str | None]:
    """The newest run's evaluation as the summary comment reads it (`reconcile.evaluate_newest`)."""
    body = issue.desired_body or issue.body
    if body is None:
        return None, "the issue's body is not stored yet"
    if not runs:
        return None, "no qualifying run yet"
    rules = comments.stored_rules(session=session, issue=issue)
    window = [run.id for run in runs[-reconcile.history_window(config) :] if run.id is not None]
    key = (
        issue.id,
        hashlib.sha256(body.encode()).hexdigest(),
        tuple(window),
        repository.config_text,
        tuple(rules.map_rules),
        tuple(rules.ignore),
    )
    evaluation = cache.get(key) if cache is not None else None
    if evaluation is None:
        outcomes = outcome_maps(session=session, run_pks=window)
        evaluation = reconcile.evaluate_newest(
            reconcile.read_plan(body, config),
            [_run_input(session, run) for run in runs[-2:]],
            config=config,
            map_rules=rules.map_rules,
            ignore=rules.ignore,
            history=outcomes[:-1],
        )
        if cache is not None:
            cache.put(key, evaluation)
    return evaluation, None


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
    runs = reads.runs(
        session=session,
        repository=repository,
        branches=branches_of(repository, config),
        limit=CHART_RUNS,
    )
    evaluation, problem = _evaluate(session, issue, repository, config, runs, cache)
    window = [r.id for r in runs[-FLAKE_WINDOW:] if r.id is not None]
    flakes = reads.flakiest(session=session, run_pks=window)
    return IssueDetail(
        **_header(web, repository, issue),
        evaluated_run=run_point(runs[-1]) if runs and evaluation else None,
        items=[
            ItemView(
                index=i.index,
                text=i.text,
                checked=i.checked,
                status=i.status.value,
                evidence=i.evidence,
                phase=i.phase,
            )
            for i in (evaluation.items if evaluation else ())
        ],
        phases=[
            PhaseView(
                number=p.number,
                label=p.label,
                title=p.title,
                failing=list(p.failing),
                groups=[_group(g) for g in p.groups],
            )
            for p in (evaluation.phases if evaluation else ())
        ],
        unplanned=[_group(g) for g in (evaluation.unplanned if evaluation else ())],
        newly_failing=list(evaluation.newly_failing if evaluation else ()),
        newly_fixed=list(evaluation.newly_fixed if evaluation else ()),
        flaky=[
            FlakeView(test_id=f.test_id, flips=f.flips, runs=f.runs, rate=f.rate) for f in flakes
        ],
        runs=[run_point(r) for r in runs],
        summary_comment=issue.desired_comment,
        desired_body=issue.desired_body,
        problem=problem or config_problem,
    )


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


def _delivery(d: Delivery) -> DeliveryView:
    return DeliveryView(
        delivery_id=d.delivery_id,
        event=d.event,
        action=d.action,
        repository=d.repository,
        outcome=d.outcome,
        reason=d.reason,
        received_at=d.received_at,
    )


def _job(j: Job) -> JobView:
    assert j.id is not None
    return JobView(
        id=j.id,
        kind=j.kind,
        lock_key=j.lock_key,
        status=j.status,
        attempts=j.attempts,
        max_attempts=j.max_attempts,
        run_after=j.run_after,
        last_error=j.last_error,
        delivery_id=j.delivery_id,
        created_at=j.created_at,
        finished_at=j.finished_at,
    )


def operations(*, session: Session) -> Operations:
    """Recent deliveries and jobs, retries waiting, dead letters."""
    counts = dict.fromkeys(("queued", "running", "done", "dead"), 0)
    counts.update(reads.job_counts(session=session))
    return Operations(
        job_counts=counts,
        deliveries=[_delivery(d) for d in reads.recent_deliveries(session=session)],
        jobs=[_job(j) for j in reads.recent_jobs(session=session)],
        retrying=[_job(j) for j in reads.retrying_jobs(session=session)],
        dead=[_job(j) for j in reads.recent_jobs(session=session, status="dead")],
    )
