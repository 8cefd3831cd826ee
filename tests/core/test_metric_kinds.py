"""Each metric kind on its own: its judge over hand-built runs, its rule grammar, the registry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.core.metrics import KINDS, judge, parse_rule, recognise, rule_in_comment
from bot.core.metrics.base import DurationScope, Metric, MetricKind, RunView, Status, Verdict
from bot.core.results import CaseResult, Outcome, SuiteResult
from bot.errors import RuleError

MB = 1024**2
PASSED, FAILED, ERROR, SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED


def case(name: str, outcome: Outcome = PASSED, **fields: Any) -> CaseResult:
    """A case of tests/test_store.py unless `fields` name another file."""
    file = fields.pop("file", "tests/test_store.py")
    module = file.removesuffix(".py").replace("/", ".")
    return CaseResult(
        suite=module, classname=module, name=name, outcome=outcome, file=file, **fields
    )


def verdict(metric: Metric, *cases: CaseResult, **view: Any) -> Verdict:
    return judge(metric, RunView(cases=cases, **view))


# -- the registry ---------------------------------------------------------------------------


def test_every_kind_has_exactly_one_module() -> None:
    assert sorted(k.KIND for k in KINDS) == sorted(MetricKind)
    assert len({k.RULE_WORD for k in KINDS}) == len(KINDS)


def test_the_registry_keeps_the_reading_precedence() -> None:
    assert [k.KIND for k in KINDS] == [
        MetricKind.DURATION,
        MetricKind.TESTS_PASSING,
        MetricKind.PASS_RATE,
        MetricKind.PEAK_MEMORY,
        MetricKind.ZERO_FAILURES,
        MetricKind.WINDOW,
        MetricKind.STREAK,
        MetricKind.NO_FLAKY,
        MetricKind.NO_NEW_FAILURES,
    ]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        # A time bound with a verdict is read as the bound on tests that must also pass: a
        # reading of the verdict alone would tick the box on a run with a slow test.
        (
            "`test_perf.py`: 5/5 tests passing, each under 2 minutes",
            [MetricKind.DURATION, MetricKind.TESTS_PASSING],
        ),
        ("95% pass rate, each test under 1s", [MetricKind.DURATION, MetricKind.PASS_RATE]),
        ("No test above 3 s", [MetricKind.DURATION]),  # no kind of failure: not zero-failures
        ("Memory under 250MB, pass rate 95%", [MetricKind.PEAK_MEMORY]),
    ],
)
def test_the_first_kind_that_reads_an_item_wins(text: str, kinds: list[MetricKind]) -> None:
    assert [k.KIND for k in KINDS if k.recognise(text)] == kinds
    metric = recognise(text)
    assert metric is not None
    assert metric.kind is kinds[0]
    assert metric.passing is (kinds[0] is MetricKind.DURATION and "pass" in text)


def test_an_unknown_rule_lists_every_kind_in_its_message() -> None:
    usage = (
        "manual | duration each|mean|total [SELECTOR] CMP TIME [passing] | "
        "tests SELECTOR [N[/M]] | pass-rate [SELECTOR] CMP N% | memory CMP SIZE | zero WORD... | "
        "window M/N [tests SELECTOR] | streak N [tests SELECTOR] | no-flaky [SELECTOR] | "
        "no-new-failures [SELECTOR]"
    )
    with pytest.raises(RuleError) as raised:
        parse_rule("speed fast")
    assert str(raised.value) == f"unknown rule 'speed'; expected one of: {usage}"


def test_a_manual_item_is_judged_manual() -> None:
    assert judge(None, RunView(cases=[case("a")])) == Verdict(
        Status.MANUAL, "not machine-checkable; tick it by hand"
    )


# -- tests passing --------------------------------------------------------------------------

STORE = Metric(MetricKind.TESTS_PASSING, selector="test_store.py")


def test_tests_passing_is_met_when_every_selected_test_passes() -> None:
    other = case("b", FAILED, file="tests/test_web.py")
    assert verdict(STORE, case("a"), case("c"), other) == Verdict(Status.MET, "2/2 passing")


def test_tests_passing_is_unmet_when_a_selected_test_fails() -> None:
    assert verdict(STORE, case("a"), case("b", ERROR)) == Verdict(Status.UNMET, "1/2 passing")


def test_tests_passing_is_unmet_when_fewer_tests_than_expected_ran() -> None:
    five = Metric(MetricKind.TESTS_PASSING, selector="test_store.py", expected=5)
    assert verdict(five, case("a"), case("b"), case("c")) == Verdict(
        Status.UNMET, "3/3 passing (5 expected)"
    )


def test_tests_passing_is_unknown_when_no_test_matches() -> None:
    missing = case("a", file="tests/test_web.py")
    assert verdict(STORE, missing) == Verdict(
        Status.UNKNOWN, "no tests matching `test_store.py` in this run"
    )


def test_tests_passing_is_unknown_when_it_rests_on_a_flaky_pass() -> None:
    shaky = case("a")
    assert verdict(STORE, shaky, case("b"), flaky=frozenset({shaky.test_id})) == Verdict(
        Status.UNKNOWN, "2/2 passing, but a is flaky"
    )


# -- pass rate ------------------------------------------------------------------------------

NINETY = Metric(MetricKind.PASS_RATE, threshold=0.9, comparison=">=")


def test_pass_rate_is_met_at_the_threshold_and_skips_do_not_count() -> None:
    cases = [case(f"t{n}") for n in range(9)] + [case("f", FAILED), case("s", SKIPPED)]
    assert verdict(NINETY, *cases) == Verdict(Status.MET, "pass rate 90% (9/10) >= 90%")


def test_pass_rate_is_unmet_below_the_threshold() -> None:
    cases = [case(f"t{n}") for n in range(8)] + [case("f", FAILED), case("e", ERROR)]
    assert verdict(NINETY, *cases) == Verdict(Status.UNMET, "pass rate 80% (8/10) >= 90%")


def test_a_strict_pass_rate_is_unmet_at_the_threshold() -> None:
    above = Metric(MetricKind.PASS_RATE, threshold=0.5, comparison=">")
    assert verdict(above, case("a"), case("b", FAILED)).status is Status.UNMET


def test_pass_rate_is_unknown_without_executed_tests() -> None:
    assert verdict(NINETY, case("s", SKIPPED)) == Verdict(
        Status.UNKNOWN, "no executed tests in this run"
    )


def test_pass_rate_is_unknown_when_only_flaky_passes_reach_it() -> None:
    cases = [case(f"t{n}") for n in range(9)] + [case("f", FAILED)]
    flaky = frozenset({cases[0].test_id})
    assert verdict(NINETY, *cases, flaky=flaky) == Verdict(
        Status.UNKNOWN, "pass rate 90% (9/10) >= 90%, but only with flaky passes"
    )


def test_pass_rate_stays_met_when_steady_passes_reach_it() -> None:
    cases = [case(f"t{n}") for n in range(10)]
    flaky = frozenset({cases[0].test_id})
    assert verdict(NINETY, *cases, flaky=flaky).status is Status.MET


# -- peak memory ----------------------------------------------------------------------------

UNDER_250MB = Metric(MetricKind.PEAK_MEMORY, threshold=250 * MB, comparison="<=")


def test_peak_memory_is_met_by_the_largest_figure_with_the_unit_in_the_name() -> None:
    suite = SuiteResult("tests.test_store", properties={"peak_rss_mb": "200", "run": "7"})
    small = case("a", properties={"heap": "12 MB"})
    assert verdict(UNDER_250MB, small, suites=[suite]) == Verdict(
        Status.MET, "peak 200 MB <= 250 MB"
    )


def test_peak_memory_is_unmet_by_a_case_figure_above_the_limit() -> None:
    big = case("a", properties={"memory": "231.5 MB", "peak_memory": "1.5 GB"})
    assert verdict(UNDER_250MB, big) == Verdict(Status.UNMET, "peak 1.5 GB <= 250 MB")


def test_a_strict_memory_limit_is_unmet_at_the_limit() -> None:
    below = Metric(MetricKind.PEAK_MEMORY, threshold=250 * MB, comparison="<")
    assert verdict(below, case("a", properties={"rss": f"{250 * MB}"})).status is Status.UNMET


def test_peak_memory_is_unknown_without_memory_figures() -> None:
    unrelated = case("a", properties={"seed": "42", "mem_note": "fine"})
    assert verdict(UNDER_250MB, unrelated) == Verdict(
        Status.UNKNOWN, "no memory figures in this run"
    )


# -- duration -------------------------------------------------------------------------------


def duration(scope: DurationScope, seconds: float, comparison: str = "<=") -> Metric:
    return Metric(MetricKind.DURATION, threshold=seconds, comparison=comparison, scope=scope)


TIMED = (case("a", duration=0.1), case("b", duration=0.3), case("s", SKIPPED, duration=9.0))


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (duration(DurationScope.EACH, 0.5), Verdict(Status.MET, "slowest 0.3s (b) <= 0.5s")),
        (duration(DurationScope.EACH, 0.3, "<"), Verdict(Status.UNMET, "slowest 0.3s (b) < 0.3s")),
        (duration(DurationScope.MEAN, 0.2), Verdict(Status.MET, "mean 0.2s <= 0.2s")),
        (duration(DurationScope.MEAN, 0.15), Verdict(Status.UNMET, "mean 0.2s <= 0.15s")),
        (duration(DurationScope.TOTAL, 120), Verdict(Status.MET, "total 0.4s <= 2 min")),
        (duration(DurationScope.TOTAL, 0.25), Verdict(Status.UNMET, "total 0.4s <= 0.25s")),
    ],
)
def test_duration_bounds_the_slowest_mean_or_total_of_executed_tests(
    metric: Metric, expected: Verdict
) -> None:
    assert verdict(metric, *TIMED) == expected


def test_duration_is_unknown_without_timed_executed_tests() -> None:
    untimed = (case("a"), case("s", SKIPPED, duration=1.0))
    assert verdict(duration(DurationScope.EACH, 0.5), *untimed) == Verdict(
        Status.UNKNOWN, "no test durations in this run"
    )


def test_a_duration_that_says_the_tests_pass_is_unmet_while_one_fails_however_fast() -> None:
    metric = recognise("All tests pass in under 2 minutes")
    assert metric == Metric(
        MetricKind.DURATION, threshold=120.0, scope=DurationScope.TOTAL, passing=True
    )
    quick_but_red = (case("a", duration=0.1), case("b", FAILED, duration=0.1))
    assert verdict(metric, *quick_but_red) == Verdict(Status.UNMET, "1 test failing")
    assert verdict(metric, *TIMED).status is Status.MET
    assert parse_rule("duration total <= 120s passing") == replace(metric, source="rule")


# -- zero failures --------------------------------------------------------------------------

NO_DEADLOCKS = Metric(MetricKind.ZERO_FAILURES, words=("deadlock",))


def test_zero_failures_is_unmet_when_a_failure_mentions_the_words() -> None:
    stuck = case("test_commit", FAILED, message="Deadlock detected while committing")
    assert verdict(NO_DEADLOCKS, stuck, case("test_deadlocks_retry")) == Verdict(
        Status.UNMET, "1 failing about “deadlock”: test_commit"
    )


def test_zero_failures_is_met_when_related_tests_ran_without_such_failures() -> None:
    unrelated_failure = case("test_render", FAILED, message="expected 2, got 3")
    run = (case("test_deadlock_retry"), case("test_no_deadlocks"), unrelated_failure)
    assert verdict(NO_DEADLOCKS, *run) == Verdict(
        Status.MET, "0 failures about “deadlock” in 2 related tests"
    )


def test_zero_failures_is_not_met_by_unrelated_tests_passing() -> None:
    """No failures at all in unrelated tests proves nothing about deadlocks (issue 15)."""
    assert verdict(NO_DEADLOCKS, case("a"), case("b"), case("s", SKIPPED)) == Verdict(
        Status.UNKNOWN, "no tests about “deadlock” ran in this run"
    )


def test_zero_failures_needs_two_of_its_words_in_a_test_s_name_to_call_it_related() -> None:
    axe = recognise("No axe-core accessibility violations (WCAG 2.1 AA)")
    assert axe is not None
    accessibility = case("test_page_has_heading", file="tests/e2e/accessibility.spec.ts")
    assert verdict(axe, accessibility).status is Status.UNKNOWN
    violations = case("test_no_accessibility_violations", file="tests/e2e/a11y.spec.ts")
    assert verdict(axe, violations).status is Status.MET


def test_zero_failures_is_unknown_without_related_tests_in_a_failing_run() -> None:
    unrelated_failure = case("test_render", FAILED, message="expected 2, got 3")
    assert verdict(NO_DEADLOCKS, case("a"), unrelated_failure) == Verdict(
        Status.UNKNOWN, "no tests about “deadlock” ran in this run"
    )


def test_zero_failures_is_unknown_when_nothing_executed() -> None:
    assert verdict(NO_DEADLOCKS, case("s", SKIPPED)).status is Status.UNKNOWN


def test_zero_failures_with_several_words_needs_two_of_them_in_a_failure() -> None:
    isolation = Metric(MetricKind.ZERO_FAILURES, words=("user", "isolation", "violation"))
    one_word = case("test_a", FAILED, message="user not found", file="tests/test_isolation.py")
    two_words = case("test_b", FAILED, message="isolation violation for tenant")
    # One word is not enough to be about the failure kind; failing, it proves nothing either.
    assert verdict(isolation, one_word).status is Status.UNKNOWN
    assert verdict(isolation, one_word, two_words) == Verdict(
        Status.UNMET, "1 failing about “user isolation violation”: test_b"
    )


# -- the rule grammar -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "facts"),
    [
        ("tests test_x.py 5/5", {"selector": "test_x.py", "expected": 5}),
        ("tests tests/a/test_b.py::test_c 3/4 passing", {"expected": 3}),
        ("tests OrderServiceTest", {"selector": "OrderServiceTest", "expected": None}),
        ("pass-rate > 99.5%", {"threshold": 0.995, "comparison": ">"}),
        ("pass-rate >=97 %", {"threshold": 0.97, "comparison": ">="}),
        ("memory < 512KiB", {"threshold": 512 * 1024, "comparison": "<"}),
        ("MEMORY <= 1.5 GB", {"threshold": 1.5 * 1024**3, "comparison": "<="}),
        ("memory <= 1000", {"threshold": 1000.0}),
        ("duration mean < 200ms", {"threshold": 0.2, "scope": DurationScope.MEAN}),
        ("duration TOTAL <= 2 min", {"threshold": 120.0, "scope": DurationScope.TOTAL}),
        ("duration each >= 1h", {"threshold": 3600.0, "comparison": ">="}),
        ("zero Deadlocks, timeouts", {"words": ("deadlock", "timeout")}),
    ],
)
def test_rule_arguments_become_the_metric(rule: str, facts: dict[str, object]) -> None:
    metric = parse_rule(rule)
    assert metric is not None
    assert metric.source == "rule"
    for key, value in facts.items():
        expected = pytest.approx(value) if isinstance(value, float) else value
        assert getattr(metric, key) == expected


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("tests", "tests rule '': expected `tests SELECTOR [N[/M]]`"),
        ("tests a b", "tests rule 'a b'"),
        ("pass-rate = 97%", "pass-rate rule '= 97%'"),
        ("memory 250MB", "memory rule '250MB'"),
        ("duration <= 2s", "duration rule '<= 2s'"),
        ("duration sometimes <= 2s", "duration rule 'sometimes <= 2s'"),
        ("manual please", "unknown rule 'manual'"),
    ],
)
def test_malformed_rules_are_refused_with_their_text(rule: str, message: str) -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule(rule)
    assert str(raised.value).startswith(message)


def test_a_rule_comment_needs_the_prefix_in_any_case() -> None:
    assert rule_in_comment("Remediation:  zero deadlock ") == "zero deadlock"
    assert rule_in_comment(None) is None
    assert rule_in_comment("") is None


def test_a_command_naming_two_files_needs_both_to_have_run_and_passed() -> None:
    metric = recognise("`pytest tests/test_a.py tests/test_b.py -v` passes")
    assert metric == Metric(MetricKind.TESTS_PASSING, selector="tests/test_a.py,tests/test_b.py")
    a, b = case("test_1", file="tests/test_a.py"), case("test_2", file="tests/test_b.py")
    assert verdict(metric, a) == Verdict(
        Status.UNKNOWN, "no tests matching `tests/test_b.py` in this run"
    )
    assert verdict(metric, a, b).status is Status.MET
    failing_b = case("test_2", FAILED, file="tests/test_b.py")
    assert verdict(metric, a, failing_b).status is Status.UNMET
