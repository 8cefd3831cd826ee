"""The dashboard's views built from hand-made rows: overview, issue, test history, operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlmodel import Session, delete, func, select

from bot.core.junit import Report
from bot.store import repositories
from bot.store.ingest import RunMeta, ingest
from bot.store.models import (
    CaseResultRow,
    Delivery,
    Job,
    Repository,
    Run,
    StoredEvaluation,
    TrackedIssue,
)
from bot.web.dashboard.case_history import case_history
from bot.web.dashboard.evaluations import EvaluationCache
from bot.web.dashboard.issue_page import issue_detail
from bot.web.dashboard.operations import operations
from bot.web.dashboard.overview import overview, trend
from bot.web.dashboard.rows import run_point
from bot.web.dashboard.views import EvaluationView, IssueDetail

WEB = "https://github.com/"
PLAN = """# Cart fixes

### Phase 1 — Cart totals (P1, ~1 hour)

The totals in `test_cart.py` drift by a cent.

## Done when

- [ ] `test_cart.py`: 2/2 tests passing
- [ ] pass rate >= 90%
- [x] Team agreed on rounding
"""
T0 = datetime(2026, 1, 1, tzinfo=UTC)
Case = tuple[str, str, str | None]  # file stem, test name, failure message


def _repository(session: Session, full_name: str = "o/r", **fields: object) -> Repository:
    repository = repositories.upsert_repository(
        session=session, full_name=full_name, default_branch="main"
    )
    for name, value in fields.items():
        setattr(repository, name, value)
    session.add(repository)
    session.commit()
    return repository


def _issue(
    session: Session, repository: Repository, body: str | None = PLAN, number: int = 7
) -> TrackedIssue:
    return repositories.upsert_issue(
        session=session,
        repository=repository,
        number=number,
        title="Cart",
        body=body,
        labelled=True,
    )


def _run(
    session: Session, repository: Repository, run_id: str, passed: int, tests: int, **fields: object
) -> Run:
    """A run row with totals only (no cases), `run_id` hours after T0 unless told."""
    assert repository.id is not None
    values: dict[str, object] = {
        "branch": "main",
        "created_at": T0 + timedelta(hours=int(run_id)),
        **fields,
    }
    run = Run.model_validate(
        {
            "repository_id": repository.id,
            "provider": "upload",
            "run_id": run_id,
            "tests": tests,
            "passed": passed,
            "failed": tests - passed,
            **values,
        }
    )
    session.add(run)
    session.commit()
    session.refresh(run)
    return run


def _junit(cases: list[Case]) -> bytes:
    body = "".join(
        f'<testcase classname="{stem}" name="{name}" file="{stem}.py" time="0.1">'
        + (f'<failure message="{message}">{message}</failure>' if message else "")
        + "</testcase>"
        for stem, name, message in cases
    )
    return f'<testsuite name="unit" tests="{len(cases)}">{body}</testsuite>'.encode()


def _ingest(session: Session, run_id: str, cases: list[Case]) -> None:
    meta = RunMeta(repo="o/r", provider="upload", run_id=run_id, branch="main")
    ingest(session=session, meta=meta, reports=[Report(name="r.xml", source=_junit(cases))])


# Run 1 fails a cart test (Phase 1); run 2 fixes it and breaks a test no phase covers.
RUN1: list[Case] = [
    ("test_cart", "test_total", "AssertionError: 1.01 != 1.00"),
    ("test_cart", "test_empty", None),
    ("test_other", "test_x", None),
]
RUN2: list[Case] = [
    ("test_cart", "test_total", None),
    ("test_cart", "test_empty", None),
    ("test_other", "test_x", "KeyError: x"),
]


# -- overview -------------------------------------------------------------------------------


def test_overview_shows_progress_the_last_run_and_its_trend(session: Session) -> None:
    repository = _repository(session)
    _issue(session, repository)
    _run(session, repository, "1", passed=1, tests=2)
    _run(session, repository, "2", passed=2, tests=2)
    (row,) = overview(session=session, web=WEB, readable=None).repositories
    assert (row.full_name, row.runs_url) == ("o/r", "https://github.com/o/r/actions")
    (issue,) = row.issues
    assert (issue.number, issue.title, issue.tracked) == (7, "Cart", True)
    assert issue.url == "https://github.com/o/r/issues/7"
    assert (issue.items_done, issue.items_total) == (1, 3)
    assert issue.last_run is not None
    assert (issue.last_run.run_id, issue.last_run.pass_rate) == ("2", 1.0)
    assert issue.trend == "up"


def test_overview_shows_only_readable_repositories(session: Session) -> None:
    _issue(session, _repository(session, "o/r"))
    _issue(session, _repository(session, "o/secret"))
    shown = overview(session=session, web=WEB, readable={"o/r"}).repositories
    assert [r.full_name for r in shown] == ["o/r"]
    every = overview(session=session, web=WEB, readable=None).repositories
    assert sorted(r.full_name for r in every) == ["o/r", "o/secret"]


def test_overview_counts_only_runs_that_tick_boxes(session: Session) -> None:
    repository = _repository(session, config_text="branches: [release]\n")
    _issue(session, repository)
    _run(session, repository, "1", passed=2, tests=2, branch="release")
    _run(session, repository, "2", passed=0, tests=2, branch="main")
    _run(session, repository, "3", passed=0, tests=2, branch="release", head_repository="f/r")
    (row,) = overview(session=session, web=WEB, readable=None).repositories
    (issue,) = row.issues
    assert issue.last_run is not None
    assert issue.last_run.run_id == "1"
    assert issue.trend is None  # one qualifying run: nothing to compare with


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [((1, 2), (2, 2), "up"), ((2, 2), (1, 2), "down"), ((1, 2), (2, 4), "flat")],
)
def test_trend_compares_the_newest_two_pass_rates(
    before: tuple[int, int], after: tuple[int, int], expected: str
) -> None:
    runs = [
        Run(id=n, repository_id=1, provider="upload", run_id=str(n), passed=p, tests=t)
        for n, (p, t) in enumerate((before, after), start=1)
    ]
    assert trend(runs) == expected


def test_trend_needs_two_runs_that_executed_tests() -> None:
    executed = Run(id=1, repository_id=1, provider="upload", run_id="1", passed=1, tests=1)
    all_skipped = Run(id=2, repository_id=1, provider="upload", run_id="2", tests=1, skipped=1)
    assert trend([executed]) is None
    assert trend([executed, all_skipped]) is None


def test_a_run_links_only_to_web_addresses() -> None:
    def url_of(url: str) -> str | None:
        run = Run(id=1, repository_id=1, provider="upload", run_id="1", url=url)
        return run_point(run).url

    assert url_of("https://ci.example/runs/1") == "https://ci.example/runs/1"
    assert url_of("javascript:alert(1)") is None


# -- the issue page -------------------------------------------------------------------------


def test_issue_detail_reads_the_newest_run_against_the_plan(session: Session) -> None:
    repository = _repository(session)
    issue = _issue(session, repository)
    _ingest(session, "1", RUN1)
    _ingest(session, "2", RUN2)
    detail = issue_detail(session=session, web=WEB, repository=repository, issue=issue)
    assert detail.problem is None
    assert detail.evaluated_run is not None
    assert detail.evaluated_run.run_id == "2"
    assert [(i.text, i.status) for i in detail.items] == [
        ("`test_cart.py`: 2/2 tests passing", "met"),
        ("pass rate >= 90%", "unmet"),
        ("Team agreed on rounding", "manual"),
    ]
    assert [(p.number, p.title, p.failing) for p in detail.phases] == [(1, "Cart totals", [])]
    (unplanned,) = detail.unplanned
    assert (unplanned.message, unplanned.tests) == ("KeyError: x", ["test_other.py::test_x"])
    assert detail.newly_failing == ["test_other.py::test_x"]
    assert detail.newly_fixed == ["test_cart.py::test_total"]
    assert [r.run_id for r in detail.runs] == ["1", "2"]
    assert detail.flaky == []


def test_issue_detail_says_why_there_is_no_evaluation(session: Session) -> None:
    repository = _repository(session)
    issue = _issue(session, repository)
    detail = issue_detail(session=session, web=WEB, repository=repository, issue=issue)
    assert detail.problem == "no qualifying run yet"
    assert (detail.evaluated_run, detail.items, detail.phases) == (None, [], [])
    _ingest(session, "1", RUN1)
    bodiless = _issue(session, repository, body=None, number=8)
    detail = issue_detail(session=session, web=WEB, repository=repository, issue=bodiless)
    assert detail.problem == "the issue's body is not stored yet"


def test_a_broken_configuration_is_shown_and_defaults_apply(session: Session) -> None:
    repository = _repository(session, config_text="tick_after: many\n")
    issue = _issue(session, repository)
    _ingest(session, "1", RUN1)
    detail = issue_detail(session=session, web=WEB, repository=repository, issue=issue)
    assert detail.problem is not None
    assert "tick_after" in detail.problem
    assert detail.evaluated_run is not None  # evaluated with the defaults all the same


def test_a_stored_view_is_shown_without_reading_the_runs_again(session: Session) -> None:
    repository = _repository(session)
    issue = _issue(session, repository)
    _ingest(session, "1", RUN1)
    _ingest(session, "2", RUN2)
    _ingest(session, "3", RUN1)  # each test that changed changes back: two flips, flaky
    evaluated = issue_detail(session=session, web=WEB, repository=repository, issue=issue)
    flaky = ["test_cart.py::test_total", "test_other.py::test_x"]
    assert [f.test_id for f in evaluated.flaky] == flaky
    # With the results gone, only the stored view can show the same evaluation.
    session.exec(delete(CaseResultRow))
    session.commit()
    stored = issue_detail(session=session, web=WEB, repository=repository, issue=issue)
    assert stored == evaluated
    assert stored.newly_failing == ["test_cart.py::test_total"]


def test_a_new_run_or_an_edit_is_evaluated_again(session: Session) -> None:
    repository = _repository(session)
    issue = _issue(session, repository)
    _ingest(session, "1", RUN1)
    first = issue_detail(session=session, web=WEB, repository=repository, issue=issue)
    assert first.evaluated_run is not None
    assert first.evaluated_run.run_id == "1"
    _ingest(session, "2", RUN2)
    second = issue_detail(session=session, web=WEB, repository=repository, issue=issue)
    assert second.evaluated_run is not None
    assert second.evaluated_run.run_id == "2"
    assert second.newly_failing == ["test_other.py::test_x"]
    edited = _issue(session, repository, body=PLAN.replace("90%", "50%"))
    detail = issue_detail(session=session, web=WEB, repository=repository, issue=edited)
    assert detail.items[1].status == "met"
    count = session.exec(select(func.count()).select_from(StoredEvaluation)).one()
    assert count == 1  # one view per issue, the newest


class CountingCache(EvaluationCache):
    """The real cache, counting the evaluations it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.puts = 0

    def put(self, key: tuple[object, ...], view: EvaluationView) -> None:
        self.puts += 1
        super().put(key, view)


def test_the_cache_serves_an_evaluation_until_the_body_changes(session: Session) -> None:
    repository = _repository(session)
    issue = _issue(session, repository)
    _ingest(session, "1", RUN1)
    cache = CountingCache()

    def detail(issue: TrackedIssue) -> IssueDetail:
        return issue_detail(
            session=session, web=WEB, repository=repository, issue=issue, cache=cache
        )

    first = detail(issue)
    assert detail(issue) == first
    assert cache.puts == 1
    edited = detail(_issue(session, repository, body=PLAN.replace("90%", "50%")))
    assert cache.puts == 2
    assert edited.items[1].status == "met"


def test_the_cache_forgets_the_least_recently_used() -> None:
    cache = EvaluationCache(size=2)
    a, b, c = (cast(EvaluationView, object()) for _ in range(3))
    cache.put(("a",), a)
    cache.put(("b",), b)
    assert cache.get(("a",)) is a  # now the most recent
    cache.put(("c",), c)
    assert cache.get(("b",)) is None
    assert (cache.get(("a",)), cache.get(("c",))) == (a, c)


def test_case_history_follows_one_test_over_runs(session: Session) -> None:
    repository = _repository(session)
    _ingest(session, "1", RUN1)
    _ingest(session, "2", RUN2)
    test_id = "test_cart.py::test_total"
    history = case_history(session=session, repository=repository, test_id=test_id)
    assert history.repository == "o/r"
    assert [(p.run.run_id, p.outcome) for p in history.points] == [("1", "failed"), ("2", "passed")]


# -- operations -----------------------------------------------------------------------------


def test_operations_count_every_status_and_list_dead_letters(session: Session) -> None:
    assert operations(session=session).job_counts == {
        "queued": 0,
        "running": 0,
        "done": 0,
        "dead": 0,
    }
    session.add(Delivery(delivery_id="d-1", event="issues", action="opened", outcome="queued"))
    session.add(Job(kind="sync_issue", lock_key="o/r#7", status="dead", last_error="boom"))
    session.add(Job(kind="sync_issue", lock_key="o/r#8"))
    session.commit()
    ops = operations(session=session)
    assert ops.job_counts == {"queued": 1, "running": 0, "done": 0, "dead": 1}
    assert [d.delivery_id for d in ops.deliveries] == ["d-1"]
    assert [(j.lock_key, j.last_error) for j in ops.dead] == [("o/r#7", "boom")]
    assert len(ops.jobs) == 2
