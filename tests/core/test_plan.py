"""Plan parsing: phases, checklist items, tracked tests and stated figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import plan as plan_module
from bot.core.metrics.base import DurationScope, MetricKind

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEED = (FIXTURES / "issue-870.md").read_text(encoding="utf-8")


def test_seed_phases_with_priority_estimate_and_what_they_name() -> None:
    plan = plan_module.parse(SEED)
    assert [(p.number, p.title, p.priority, p.estimate) for p in plan.phases] == [
        (1, "Core API Fixes", "1", "2-4 hours"),
        (2, "Memory Isolation Fixes", "2", "4-6 hours"),
        (3, "Async Handling Improvements", "3", "1-2 hours"),
    ]
    first = plan.phases[0]
    assert "/netra_backend/app/db/database_manager.py" in first.files
    assert {"create_agent_instance", "pool_timeout"} <= set(first.identifiers)
    assert "agent_instance_factory.py" in " ".join(plan.phases[1].files)


def test_seed_items_and_their_metrics() -> None:
    plan = plan_module.parse(SEED)
    assert [i.index for i in plan.items] == [0, 1, 2, 3, 4]
    assert not any(i.checked for i in plan.items)
    kinds = [i.metric.kind if i.metric else None for i in plan.items]
    assert kinds == [
        MetricKind.TESTS_PASSING,
        MetricKind.TESTS_PASSING,
        MetricKind.PEAK_MEMORY,
        MetricKind.DURATION,
        MetricKind.ZERO_FAILURES,
    ]
    first = plan.items[0].metric
    assert first is not None
    assert (first.selector, first.expected) == ("test_user_execution_engine_integration.py", 5)
    assert SEED[plan.items[0].offset] == " "
    assert SEED.splitlines()[plan.items[0].line].startswith("- [ ]")


def test_seed_tracked_tests_and_claims() -> None:
    plan = plan_module.parse(SEED)
    assert plan.tests == (
        "test_agent_websocket_event_delivery_nodatabase.py",
        "test_agent_registry_concurrent_access_integration.py",
        "test_user_execution_engine_integration.py",
        "test_base_agent_factory_user_isolation.py",
    )
    rows = [(c.subject, c.passed, c.total) for c in plan.claims if c.subject]
    assert sum(total for _, _, total in rows) == 14
    prose = [(c.passed, c.total) for c in plan.claims if c.subject is None]
    assert prose == [(6, 12)]  # "Expected: 90%+ (11/12+ ...)" is a hope, not a claim


def test_milestone_headings_with_dash_and_p_priority() -> None:
    plan = plan_module.parse((FIXTURES / "plans/checkout-jest/issue.md").read_text())
    assert [(p.label, p.title, p.priority, p.estimate) for p in plan.phases] == [
        ("Milestone 1", "Retry loop", "P1", "2 hours"),
        ("Milestone 2", "Cart totals", "P2", "1 day"),
    ]
    assert "chargeWithRetry" in plan.phases[0].identifiers
    assert plan.phases[1].tests == ("cart.spec.ts",)
    assert [i.checked for i in plan.items] == [False, False, False, False, False, True, False]


def test_explicit_rule_on_the_item_wins() -> None:
    plan = plan_module.parse((FIXTURES / "plans/checkout-jest/issue.md").read_text())
    ruled = plan.items[6]
    assert ruled.rule == "duration total <= 120s"
    assert ruled.metric is not None
    assert ruled.metric.scope is DurationScope.TOTAL
    assert ruled.metric.source == "rule"


def test_rule_override_from_configuration_and_broken_rule() -> None:
    body = "- [ ] Memory is fine\n- [ ] Something\n"
    plan = plan_module.parse(body, rule_overrides={0: "memory <= 1GB", 1: "memory whatever"})
    assert plan.items[0].metric is not None
    assert plan.items[0].metric.kind is MetricKind.PEAK_MEMORY
    assert plan.items[1].metric is None
    assert plan.items[1].rule_error is not None
    assert "memory rule" in plan.items[1].rule_error


def test_stage_letters_and_definition_of_done() -> None:
    plan = plan_module.parse((FIXTURES / "plans/orders-junit5/issue.md").read_text())
    assert [(p.number, p.label, p.title) for p in plan.phases] == [
        (1, "Stage A", "Restore the Spring context"),
        (2, "Stage B", "Reservation deadlocks"),
    ]
    assert plan.phases[1].estimate == "3 days"
    assert "com.acme.orders.InventoryReservationTest" in plan.tests
    assert "InventoryReservationTest" not in plan.tests  # the qualified name is kept
    assert plan.items[5].metric is None  # "Release notes written" is manual


def test_numbered_list_under_a_plan_heading() -> None:
    body = (
        "# Flaky login\n\n## Plan\n\n"
        "1. Stabilise `login.spec.ts` by waiting for `sessionReady`\n"
        "2. Remove the `sleep(5)` in `auth_helpers.py`\n\n"
        "## Notes\n\n1. not a phase\n"
    )
    plan = plan_module.parse(body)
    assert [(p.number, p.title) for p in plan.phases] == [
        (1, "Stabilise login.spec.ts by waiting for sessionReady"),
        (2, "Remove the sleep(5) in auth_helpers.py"),
    ]
    assert plan.phases[0].tests == ("login.spec.ts",)


def test_items_know_their_phase() -> None:
    body = "### Phase 1: A\n- [ ] fix `a`\n### Phase 2: B\n- [x] fix `b`\n## Done\n- [ ] all\n"
    plan = plan_module.parse(body)
    assert [(i.phase, i.checked) for i in plan.items] == [(1, False), (2, True), (None, False)]


def test_test_ids_in_code_spans_and_tables() -> None:
    body = (
        "Failing: `tests/a/test_b.py::test_c`, `OrderServiceTest`, `login.spec.ts`.\n\n"
        "| test | result |\n|---|---|\n| `com.acme.FooTest` | 1/2 |\n"
    )
    plan = plan_module.parse(body)
    assert plan.tests == (
        "tests/a/test_b.py::test_c",
        "OrderServiceTest",
        "login.spec.ts",
        "com.acme.FooTest",
    )
    assert [(c.subject, c.passed, c.total) for c in plan.claims] == [("com.acme.FooTest", 1, 2)]


def test_json_contract_keys() -> None:
    data = plan_module.parse(SEED).as_dict()
    assert {"phases", "items", "tests"} <= set(data)
    assert {"number", "title", "priority", "tests"} <= set(data["phases"][0])
    assert {"index", "text", "checked", "metric"} <= set(data["items"][0])
    assert data["items"][0]["metric"]["kind"] == "tests_passing"


def test_hostile_plan_with_many_items_and_deep_nesting() -> None:
    many = "".join(f"- [ ] item {n} under 5 s per test\n" for n in range(10_000))
    assert len(plan_module.parse(many).items) == 10_000
    deep = "".join("  " * depth + "- level\n" for depth in range(400)) + "- [ ] after\n"
    assert [i.text for i in plan_module.parse(deep).items] == ["after"]


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_parse_never_raises(body: str) -> None:
    plan = plan_module.parse(body)
    assert all(0 <= item.offset < len(body) for item in plan.items)


@pytest.mark.parametrize(
    "heading",
    [
        "### Phase 1: Core API Fixes (Priority 1 - 2-4 hours)",
        "### Milestone 1 — Core API Fixes (P1, ~2 hours)",
        "## Stage A: Core API Fixes",
        "#### Step 1. Core API Fixes",
    ],
)
def test_phase_heading_variants(heading: str) -> None:
    plan = plan_module.parse(f"{heading}\n\nText about `create_agent_instance`.\n")
    assert len(plan.phases) == 1
    assert plan.phases[0].number == 1
    assert plan.phases[0].title == "Core API Fixes"


def test_steps_inside_a_phase_are_not_phases_of_their_own() -> None:
    body = (
        "## Phase 1: Fix imports (30 min)\n"
        "#### Step 1: find them\n- [ ] a\n"
        "#### Step 2: fix them\n- [ ] b\n"
        "## Phase 2: Fix fixtures\n"
        "### Step 1: rewrite conftest\n- [ ] c\n"
    )
    plan = plan_module.parse(body)
    assert [(p.label, p.title) for p in plan.phases] == [
        ("Phase 1", "Fix imports"),
        ("Phase 2", "Fix fixtures"),
    ]
    assert [item.phase for item in plan.items] == [1, 1, 2]
