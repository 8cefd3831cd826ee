"""The multi-run kinds (streak, window, no-flaky, no-new-failures): readings, rules, judges."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from bot.core import plan as plan_module
from bot.core.evaluate import RunInput, evaluate
from bot.core.metrics import judge, parse_rule, recognise, why_manual
from bot.core.metrics.base import Metric, MetricKind, RunView, Status, Verdict
from bot.core.metrics.history import MAX_RUNS
from bot.core.reconcile import history_window, widest_window
from bot.core.repoconfig import RepoConfig
from bot.core.results import CaseResult, Outcome
from bot.errors import RuleError

PASSED, FAILED, ERROR, SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED
STREAK, WINDOW = MetricKind.STREAK, MetricKind.WINDOW
NO_FLAKY, NO_NEW = MetricKind.NO_FLAKY, MetricKind.NO_NEW_FAILURES


def case(name: str, outcome: Outcome = PASSED, file: str = "tests/test_auth.py") -> CaseResult:
    module = file.removesuffix(".py").replace("/", ".")
    return CaseResult(suite=module, classname=module, name=name, outcome=outcome, file=file)


def view(*runs: Mapping[str, Outcome], **fields: Any) -> RunView:
    """The last of `runs` ({"file::name": outcome}, oldest first) after the others."""
    *past, newest = runs
    cases = [case(i.split("::")[1], o, file=i.split("::")[0]) for i, o in newest.items()]
    return RunView(cases=cases, past=past, **fields)


A, B, C = "tests/test_auth.py::a", "tests/test_auth.py::b", "tests/test_db.py::c"
GREEN = {A: PASSED, B: PASSED, C: PASSED}
C_FAILS = {A: PASSED, B: PASSED, C: FAILED}


# -- readings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ("10 consecutive green runs", STREAK, {"runs": 10}),
        ("**10 consecutive passing runs**", STREAK, {"runs": 10}),
        ("Green for 5 runs in a row", STREAK, {"runs": 5}),
        ("3 green runs in a row", STREAK, {"runs": 3}),
        ("Passes consistently across 3 runs", STREAK, {"runs": 3}),
        ("Three consecutive successful CI runs", STREAK, {"runs": 3}),
        ("Zero failures in 4 consecutive runs", STREAK, {"runs": 4}),
        (
            "`test_auth.py` passes in 5 consecutive runs",
            STREAK,
            {"runs": 5, "selector": "test_auth.py"},
        ),
        ("`test_auth.py` passes in 5 runs", STREAK, {"runs": 5, "selector": "test_auth.py"}),
        ("29 of 30 runs pass", WINDOW, {"runs": 30, "expected": 29}),
        ("Green in 9 out of 10 recent runs", WINDOW, {"runs": 10, "expected": 9}),
        (
            "`tests/api/` passing in 19/20 runs",
            WINDOW,
            {"runs": 20, "expected": 19, "selector": "tests/api/"},
        ),
        ("No flaky tests", NO_FLAKY, {}),
        ("Zero flaky tests over 20 runs", NO_FLAKY, {"runs": 20}),
        ("No flaky tests in `tests/api/`", NO_FLAKY, {"selector": "tests/api/"}),
        # No flaky test at all is the reading: it bounds the new ones, and says so.
        ("No new flaky tests introduced", NO_FLAKY, {}),
        # A regression is a test that passed and now fails: against the run read first.
        ("No regressions", NO_NEW, {}),
        ("Zero regressions in existing tests", NO_NEW, {}),
        ("No flaky tests (pass 10/10 runs)", NO_FLAKY, {"runs": 10}),
        ("No new test failures introduced", NO_NEW, {}),
        ("No new failures", NO_NEW, {}),
        ("Zero new failing tests", NO_NEW, {}),
        ("No new failures in `tests/api/`", NO_NEW, {"selector": "tests/api/"}),
    ],
)
def test_multi_run_items_are_read(text: str, kind: MetricKind, fields: dict[str, Any]) -> None:
    assert recognise(text) == Metric(kind, **fields)


@pytest.mark.parametrize(
    "text",
    [
        "Tests pass consistently",  # no number of runs
        "Reliably green",
        "No increase in flakiness",  # relative to an unnamed flake rate
        "10 consecutive runs",  # says nothing about passing
        "`make test` green in 5 consecutive runs",  # the scope is not a test
        "5 of 3 runs pass",  # nonsense
        "10 consecutive green builds",  # builds, not test runs
        "No flaky tests in production",
        "No flaky tests for two weeks",  # more than runs can show
    ],
)
def test_vague_or_unsound_multi_run_items_stay_manual_with_a_reason(text: str) -> None:
    assert recognise(text) is None
    assert "explicit rule" not in why_manual(text)  # a subject is named, not "unrecognised"


def test_a_vague_item_keeps_the_several_runs_reason() -> None:
    assert why_manual("Tests pass consistently") == "needs several runs (one run cannot prove it)"
    assert recognise("Passes in 1 run") is None  # one run is no streak


# -- rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "metric"),
    [
        ("streak 10", Metric(STREAK, runs=10, source="rule")),
        (
            "streak 5 tests test_auth.py",
            Metric(STREAK, runs=5, selector="test_auth.py", source="rule"),
        ),
        ("window 29/30", Metric(WINDOW, runs=30, expected=29, source="rule")),
        (
            "window 9/10 tests tests/api/",
            Metric(WINDOW, runs=10, expected=9, selector="tests/api/", source="rule"),
        ),
        ("no-flaky", Metric(NO_FLAKY, source="rule")),
        ("no-flaky tests/api/", Metric(NO_FLAKY, selector="tests/api/", source="rule")),
        ("no-new-failures", Metric(NO_NEW, source="rule")),
    ],
)
def test_multi_run_rules(rule: str, metric: Metric) -> None:
    assert parse_rule(rule) == metric


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("streak 1", "`streak N [tests SELECTOR]` with N >= 2"),
        ("streak ten", "`streak N [tests SELECTOR]`"),
        ("streak 3 test_auth.py", "`streak N [tests SELECTOR]`"),
        ("window 31/30", "`window M/N [tests SELECTOR]` with N >= 2 and 1 <= M <= N"),
        ("window 0/5", "1 <= M <= N"),
        ("window 30", "`window M/N [tests SELECTOR]`"),
        ("no-flaky a b", "`no-flaky [SELECTOR]`"),
        ("no-new-failures since last week", "`no-new-failures [SELECTOR]`"),
    ],
)
def test_broken_multi_run_rules_say_what_is_expected(rule: str, expected: str) -> None:
    with pytest.raises(RuleError, match="expected") as raised:
        parse_rule(rule)
    assert expected in str(raised.value)


# -- streak ---------------------------------------------------------------------------------

THREE = Metric(STREAK, runs=3)


def test_a_streak_is_never_met_from_one_run() -> None:
    assert judge(THREE, view(GREEN)) == Verdict(Status.UNKNOWN, "1 of 3 runs seen, green so far")


def test_a_streak_on_a_short_history_is_unknown() -> None:
    assert judge(THREE, view(GREEN, GREEN)) == Verdict(
        Status.UNKNOWN, "2 of 3 runs seen, green so far"
    )


def test_a_failing_run_in_the_streak_makes_it_unmet() -> None:
    assert judge(THREE, view(GREEN, GREEN, C_FAILS, GREEN)) == Verdict(
        Status.UNMET, "the run failed in 1 of the last 3 runs; green streak 1 of 3"
    )
    # Even before N runs are seen: the streak is broken now.
    assert judge(THREE, view(GREEN, C_FAILS)).status is Status.UNMET
    assert judge(THREE, view({A: ERROR})).status is Status.UNMET


def test_enough_green_runs_meet_a_streak() -> None:
    assert judge(THREE, view(C_FAILS, GREEN, GREEN, GREEN)) == Verdict(
        Status.MET, "the run green in 3 consecutive runs"
    )


def test_a_scoped_streak_reads_only_its_tests() -> None:
    auth = Metric(STREAK, runs=3, selector="test_auth.py")
    assert judge(auth, view(C_FAILS, C_FAILS, C_FAILS)).status is Status.MET
    assert judge(auth, view(GREEN, {A: FAILED}, GREEN)).status is Status.UNMET
    assert judge(auth, view(GREEN, GREEN, {C: PASSED})) == Verdict(
        Status.UNKNOWN, "no tests matching `test_auth.py` in this run"
    )
    # A run in the streak where none of the tests ran proves nothing.
    assert judge(auth, view(GREEN, {C: PASSED}, GREEN)) == Verdict(
        Status.UNKNOWN, "`test_auth.py` ran no tests in 1 of the last 3 runs"
    )


def test_a_flaky_pass_in_the_newest_run_proves_nothing() -> None:
    shaky = view(GREEN, GREEN, GREEN, flaky=frozenset({A}))
    assert judge(THREE, shaky) == Verdict(
        Status.UNKNOWN, "green, but this run's passes of a are flaky"
    )


def test_a_streak_beyond_the_cap_stays_unknown() -> None:
    long = Metric(STREAK, runs=MAX_RUNS + 10)
    runs = [GREEN] * (MAX_RUNS + 20)
    assert judge(long, view(GREEN, *runs)) == Verdict(
        Status.UNKNOWN, f"needs {MAX_RUNS + 10} runs; the bot reads at most the newest {MAX_RUNS}"
    )


# -- window ---------------------------------------------------------------------------------

TWO_OF_THREE = Metric(WINDOW, runs=3, expected=2)


def test_a_window_allows_its_failures() -> None:
    assert judge(TWO_OF_THREE, view(GREEN, C_FAILS, GREEN)) == Verdict(
        Status.MET, "the run green in 2 of the last 3 runs (at least 2 needed)"
    )
    assert judge(TWO_OF_THREE, view(GREEN, C_FAILS, C_FAILS)) == Verdict(
        Status.UNMET, "the run green in 1 of the last 3 runs, failed in 2 (at most 1)"
    )
    assert judge(TWO_OF_THREE, view(GREEN, C_FAILS)) == Verdict(
        Status.UNKNOWN, "2 of 3 runs seen; the run green in 1 of the last 2 runs"
    )
    assert judge(TWO_OF_THREE, view(GREEN)).status is Status.UNKNOWN


# -- no flaky tests -------------------------------------------------------------------------

NO_FLAKES = Metric(NO_FLAKY)


def test_no_flaky_tests_needs_enough_runs() -> None:
    assert judge(NO_FLAKES, view(GREEN)) == Verdict(
        Status.UNKNOWN, "1 of 5 runs seen, no flips so far"
    )
    assert judge(NO_FLAKES, view(GREEN, GREEN, GREEN, flaky_min_runs=2)).status is Status.MET


def test_a_test_going_back_and_forth_is_flaky() -> None:
    flipping = view(GREEN, GREEN, C_FAILS, GREEN, GREEN)
    assert judge(NO_FLAKES, flipping) == Verdict(Status.UNMET, "1 flaky across the last 5 runs: c")
    scoped = Metric(NO_FLAKY, selector="test_auth.py")
    assert judge(scoped, flipping).status is Status.MET


def test_one_fix_is_not_a_flake() -> None:
    fixed = view(C_FAILS, C_FAILS, C_FAILS, GREEN, GREEN)
    assert judge(NO_FLAKES, fixed) == Verdict(
        Status.MET,
        "no test of the run flipped between pass and fail across 5 runs (3 tests)",
    )


def test_a_test_flaky_within_the_newest_run_is_flaky() -> None:
    flaky = view(GREEN, GREEN, GREEN, GREEN, GREEN, flaky=frozenset({B}))
    assert judge(NO_FLAKES, flaky).status is Status.UNMET


# -- no new failures ------------------------------------------------------------------------

NO_NEW_FAILURES = Metric(NO_NEW)


def test_no_new_failures_needs_an_earlier_run() -> None:
    assert judge(NO_NEW_FAILURES, view(GREEN)) == Verdict(
        Status.UNKNOWN, "1 run seen; no earlier run to compare with"
    )


def test_a_failure_since_the_first_run_is_new() -> None:
    assert judge(NO_NEW_FAILURES, view(GREEN, GREEN, C_FAILS)) == Verdict(
        Status.UNMET, "1 failing now that did not fail in the oldest of 3 runs read: c"
    )
    brand_new = {**GREEN, "tests/test_new.py::d": FAILED}
    assert judge(NO_NEW_FAILURES, view(GREEN, brand_new)).status is Status.UNMET


def test_a_failure_the_issue_started_with_is_not_new() -> None:
    assert judge(NO_NEW_FAILURES, view(C_FAILS, C_FAILS, C_FAILS)) == Verdict(
        Status.MET,
        "no test fails now that did not fail in the oldest of 3 runs read "
        "or passed in the run before",
    )
    # ...unless it was fixed in between and broke again.
    assert judge(NO_NEW_FAILURES, view(C_FAILS, GREEN, C_FAILS)).status is Status.UNMET


def test_a_test_that_stopped_running_leaves_no_new_failures_unknown() -> None:
    assert judge(NO_NEW_FAILURES, view(GREEN, {A: PASSED})) == Verdict(
        Status.UNKNOWN, "2 tests that passed in the oldest of 2 runs read did not run now: b, c"
    )


# -- through evaluate and the sync's window -------------------------------------------------


def _run(outcomes: Mapping[str, Outcome]) -> RunInput:
    return RunInput(cases=view(outcomes).cases)


def test_evaluate_judges_the_newest_run_with_the_runs_before_it() -> None:
    plan = plan_module.parse("- [ ] 3 consecutive green runs\n- [ ] No new test failures\n")
    runs = [_run(GREEN), _run(C_FAILS), _run(GREEN), _run(GREEN)]
    statuses = [
        [i.status for i in evaluate(plan, runs[:end]).items] for end in range(1, len(runs) + 1)
    ]
    assert statuses == [
        [Status.UNKNOWN, Status.UNKNOWN],
        [Status.UNMET, Status.UNMET],
        [Status.UNMET, Status.MET],
        [Status.UNMET, Status.MET],
    ]
    # Green three times after a pass, fail, pass: the flaky policy calls `c` flaky, and its
    # passes prove nothing yet.
    streak, no_new = evaluate(plan, [*runs, _run(GREEN)]).items
    assert (streak.status, streak.evidence) == (
        Status.UNKNOWN,
        "green, but this run's passes of c are flaky",
    )
    assert no_new.status is Status.MET
    fixed = [_run(C_FAILS), _run(C_FAILS), _run(GREEN), _run(GREEN), _run(GREEN)]
    assert [i.status for i in evaluate(plan, fixed).items] == [Status.MET] * 2


def test_ignored_tests_are_left_out_of_earlier_runs_too() -> None:
    plan = plan_module.parse("- [ ] 3 consecutive green runs\n")
    runs = [_run(C_FAILS), _run(C_FAILS), _run(GREEN)]
    assert evaluate(plan, runs).items[0].status is Status.UNMET
    assert evaluate(plan, runs, ignore=["tests/test_db.py"]).items[0].status is Status.MET


def test_the_sync_reads_as_many_runs_as_the_plan_needs_up_to_the_cap() -> None:
    config = RepoConfig()
    assert history_window(config) == 10  # the flaky window
    assert history_window(config, plan_module.parse("- [ ] 3 consecutive green runs\n")) == 10
    assert history_window(config, plan_module.parse("- [ ] 29 of 30 runs pass\n")) == 30
    assert history_window(config, plan_module.parse("- [ ] 200 consecutive green runs\n")) == 50
    # Each of the tick streak's evaluations needs the span of its own.
    streaky = RepoConfig(tick_after=3)
    assert history_window(streaky, plan_module.parse("- [ ] 20 consecutive green runs\n")) == 22
    assert widest_window(config) == MAX_RUNS  # what the dashboard keys its cache by
