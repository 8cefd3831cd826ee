"""The dashboard's data as typed views (pydantic models), shown by its pages and its JSON API.

The HTML pages (`pages`) and the JSON API (`api`) show the same views, so what a
maintainer reads on a page is exactly what a script reads from the API. The builders live
beside this module: `overview`, `issue_page`, `case_history`, `operations`.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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


class ReadingView(BaseModel):
    """How the bot reads one checklist item, and a rule that would measure a manual one."""

    index: int
    text: str
    reading: str = Field(description="The metric in words and its origin, or why it is manual.")
    suggested_rule: str | None = Field(description="An explicit rule for a manual item, if any.")


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


class EvaluationView(BaseModel):
    """The newest run's evaluation as the issue page shows it, with the flaky tests of the
    same runs (neither changes until a run arrives): cached, and stored whole."""

    items: list[ItemView]
    readings: list[ReadingView]
    phases: list[PhaseView]
    unplanned: list[GroupView]
    newly_failing: list[str]
    newly_fixed: list[str]
    flaky: list[FlakeView]


class IssueDetail(IssueHeader):
    """Everything the issue page shows."""

    evaluated_run: RunPoint | None
    items: list[ItemView]
    readings: list[ReadingView] = Field(default_factory=list)
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
