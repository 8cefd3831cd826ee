"""Metric recognition from natural language, and the explicit rule grammar."""

from __future__ import annotations

import pytest

from bot.core.metrics import parse_rule, recognise, rule_in_comment
from bot.core.metrics.base import DurationScope, MetricKind
from bot.errors import RuleError

MB = 1024**2


@pytest.mark.parametrize(
    ("text", "kind", "facts"),
    [
        (
            "`test_x.py`: 5/5 tests passing",
            MetricKind.TESTS_PASSING,
            {"selector": "test_x.py", "expected": 5},
        ),
        (
            "All tests in `tests/integration/` pass",
            MetricKind.TESTS_PASSING,
            {"selector": "tests/integration/", "expected": None},
        ),
        ("`OrderServiceTest` passes", MetricKind.TESTS_PASSING, {"selector": "OrderServiceTest"}),
        (
            "login.spec.ts: 12/12 passing",
            MetricKind.TESTS_PASSING,
            {"selector": "login.spec.ts", "expected": 12},
        ),
        ("90%+ pass rate", MetricKind.PASS_RATE, {"threshold": 0.9, "comparison": ">="}),
        ("Overall pass rate at least 98%", MetricKind.PASS_RATE, {"threshold": 0.98}),
        ("pass rate >= 97%", MetricKind.PASS_RATE, {"threshold": 0.97, "comparison": ">="}),
        (
            "Memory usage remains stable under 250MB",
            MetricKind.PEAK_MEMORY,
            {"threshold": 250 * MB, "comparison": "<="},
        ),
        (
            "Peak memory below 1.5 GB",
            MetricKind.PEAK_MEMORY,
            {"threshold": 1.5 * 1024**3, "comparison": "<"},
        ),
        (
            "Execution time improvements (target <0.5s per test)",
            MetricKind.DURATION,
            {"threshold": 0.5, "scope": DurationScope.EACH},
        ),
        (
            "no single test above 3 s",
            MetricKind.DURATION,
            {"threshold": 3.0, "scope": DurationScope.EACH},
        ),
        (
            "suite under 2 minutes",
            MetricKind.DURATION,
            {"threshold": 120.0, "scope": DurationScope.TOTAL},
        ),
        (
            "Average test under 200 ms",
            MetricKind.DURATION,
            {"threshold": 0.2, "scope": DurationScope.MEAN},
        ),
        (
            "Zero user isolation violations under concurrent load",
            MetricKind.ZERO_FAILURES,
            {"words": ("user", "isolation", "violation")},
        ),
        ("Zero deadlock errors", MetricKind.ZERO_FAILURES, {"words": ("deadlock",)}),
    ],
)
def test_recognised_metrics(text: str, kind: MetricKind, facts: dict[str, object]) -> None:
    metric = recognise(text)
    assert metric is not None
    assert metric.kind is kind
    for key, value in facts.items():
        expected = pytest.approx(value) if isinstance(value, float) else value
        assert getattr(metric, key) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Update the docs",
        "Release notes written",
        "Failures under 5%",
        "Team agreed on the retry budget",
        "Fix the retry loop",
    ],
)
def test_everything_else_is_manual(text: str) -> None:
    assert recognise(text) is None


@pytest.mark.parametrize(
    ("rule", "kind"),
    [
        ("tests test_x.py 5/5", MetricKind.TESTS_PASSING),
        ("tests tests/integration/", MetricKind.TESTS_PASSING),
        ("pass-rate >= 97%", MetricKind.PASS_RATE),
        ("memory <= 250MB", MetricKind.PEAK_MEMORY),
        ("duration each < 0.5s", MetricKind.DURATION),
        ("duration total <= 2min", MetricKind.DURATION),
        ("zero deadlock", MetricKind.ZERO_FAILURES),
    ],
)
def test_rules(rule: str, kind: MetricKind) -> None:
    metric = parse_rule(rule)
    assert metric is not None
    assert metric.kind is kind
    assert metric.source == "rule"


def test_manual_rule_and_rule_comment() -> None:
    assert parse_rule("manual") is None
    assert rule_in_comment(" remediation: memory <= 1GB ") == "memory <= 1GB"
    assert rule_in_comment("just a note") is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "empty rule"),
        ("speed fast", "unknown rule 'speed'"),
        ("pass-rate 97", "pass-rate rule"),
        ("memory <= lots", "memory rule"),
        ("duration each <= 3 fortnights", "unknown time unit"),
        ("zero", "zero rule"),
    ],
)
def test_bad_rules_say_what_is_wrong(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rule(rule)
