"""Items about code, logs, services, coverage, several runs or a baseline stay manual."""

from __future__ import annotations

import pytest

from bot.core.metrics import recognise
from bot.core.metrics.base import MetricKind
from bot.core.metrics.subjects import manual_reason

# The issue's own examples (issue 15) and others of the same kinds: none is a test result.
NOT_TEST_RESULTS = [
    "Zero deprecation warnings in logs",
    "Zero `LegacyEngine` imports in app code",
    "No deprecation warnings in the logs",
    "WebSocket success rate above 90%",
    "Login success rate > 98%",
    "Redis under 100 ms",
    "< 10 s response time",
    "Add tests to restore coverage to 60%+",
    "80%+ coverage threshold",
    "Zero clippy warnings (`cargo clippy -- -D warnings`)",
    "No unused imports",
    "No `attr-defined` errors",
    "13/13 examples compile successfully (100%)",
    "Cache hit rates exceed 80% for incremental builds",
    "No P0 blocking issues remain",
    "0 HIGH severity issues",
    "No race conditions: `go test ./internal/api -race`",
    "Memory reduced by 75%",
    "-30% time",
    # Over several runs, but in words no multi-run kind can judge soundly.
    "No increase in flakiness",
    "Tests pass consistently",
    "The suite is reliable",
    "10 consecutive runs",
    "`make test` green in 5 consecutive runs",
    "Performance impact < 5 seconds per test run",
    "No data loss during concurrent updates",
]


@pytest.mark.parametrize("text", NOT_TEST_RESULTS)
def test_items_not_about_test_results_stay_manual_with_a_reason(text: str) -> None:
    assert recognise(text) is None
    assert manual_reason(text) is not None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # The seed's own items keep their readings.
        (
            "`test_user_execution_engine_integration.py`: 5/5 tests passing",
            MetricKind.TESTS_PASSING,
        ),
        ("Memory usage remains stable under 250MB", MetricKind.PEAK_MEMORY),
        ("Execution time improvements (target <0.5s per test)", MetricKind.DURATION),
        ("Zero user isolation violations under concurrent load", MetricKind.ZERO_FAILURES),
        # A test whose name carries a subject word is still a test.
        ("`test_imports_resolve` passes", MetricKind.TESTS_PASSING),
    ],
)
def test_test_results_are_still_read(text: str, kind: MetricKind) -> None:
    metric = recognise(text)
    assert metric is not None
    assert metric.kind is kind


def test_every_manual_item_of_a_plan_says_why() -> None:
    from bot.core import plan as plan_module

    body = (
        "- [ ] Zero deprecation warnings in logs\n"
        "- [ ] Ship it <!-- remediation: manual -->\n"
        "- [ ] Be nice\n"
        "- [ ] Fast <!-- remediation: speed 3 -->\n"
        "- [ ] `test_x.py`: 2/2 tests passing\n"
    )
    reasons = [item.manual_reason for item in plan_module.parse(body).items]
    assert reasons[0] is not None
    assert "not test results" in reasons[0]
    assert reasons[1] == "a rule says it is manual"
    assert reasons[2] is not None
    assert "explicit rule" in reasons[2]
    assert reasons[3] is not None
    assert reasons[3].startswith("its rule is broken")
    assert reasons[4] is None
    assert plan_module.parse(body).as_dict()["items"][0]["manual_reason"] == reasons[0]
