"""Evaluation of plans against runs: the seed story and plans in other words."""

from __future__ import annotations

from pathlib import Path

from bot.core import plan as plan_module
from bot.core.evaluate import FlakyPolicy, RunInput, evaluate
from bot.core.junit import read_report
from bot.core.mapping import MapRule
from bot.core.metrics.base import Status
from bot.core.results import CaseResult, Outcome

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MET, UNMET = Status.MET, Status.UNMET


def statuses(body: str, runs: list[RunInput]) -> list[Status]:
    return [item.status for item in evaluate(plan_module.parse(body), runs).items]


def test_seed_story_metrics_run_by_run(seed_body: str, seed_runs: list[RunInput]) -> None:
    assert statuses(seed_body, seed_runs[:1]) == [UNMET, UNMET, MET, UNMET, UNMET]
    assert statuses(seed_body, seed_runs[:2]) == [MET, UNMET, MET, MET, UNMET]
    assert statuses(seed_body, seed_runs) == [MET, MET, MET, MET, MET]


def test_seed_evidence_comes_from_the_data(seed_body: str, seed_runs: list[RunInput]) -> None:
    evaluation = evaluate(plan_module.parse(seed_body), seed_runs[:1])
    evidence = [item.evidence for item in evaluation.items]
    assert evidence[0] == "0/5 passing"
    assert evidence[1] == "1/4 passing"
    assert evidence[2] == "peak 231.5 MB <= 250 MB"
    assert evidence[3].startswith("slowest 0.72s")
    assert evidence[4].startswith("3 failing about")


def test_seed_failures_map_to_their_phases(seed_body: str, seed_runs: list[RunInput]) -> None:
    evaluation = evaluate(plan_module.parse(seed_body), seed_runs[:1])
    by_phase = {p.number: p for p in evaluation.phases}
    phase1 = [g.message for g in by_phase[1].groups]
    assert any("create_agent_instance" in m for m in phase1)
    assert any("pool_timeout" in m for m in phase1)
    assert len(by_phase[1].failing) == 5
    (isolation,) = by_phase[2].groups
    assert "Duplicate memory marker" in isolation.message
    assert len(isolation.tests) == 3  # three messages, one signature once ids are removed
    assert by_phase[3].failing == ()
    assert evaluation.unplanned == ()


def test_seed_discrepancy_between_prose_table_and_data(
    seed_body: str, seed_runs: list[RunInput]
) -> None:
    evaluation = evaluate(plan_module.parse(seed_body), seed_runs[:1])
    assert evaluation.discrepancies == (
        "The issue says 6/12 passing, but its own table sums to 6 of 14; "
        "this run has 6 of 14 executed tests passing.",
    )


def test_trend_newly_fixed_and_failing(seed_body: str, seed_runs: list[RunInput]) -> None:
    evaluation = evaluate(plan_module.parse(seed_body), seed_runs[:2])
    assert evaluation.previous is not None
    assert evaluation.previous.passed == 6
    assert len(evaluation.newly_fixed) == 5
    assert evaluation.newly_failing == ()
    reversed_runs = [seed_runs[1], seed_runs[0]]
    assert len(evaluate(plan_module.parse(seed_body), reversed_runs).newly_failing) == 5


def test_tracked_table_per_test_file(seed_body: str, seed_runs: list[RunInput]) -> None:
    tracked = evaluate(plan_module.parse(seed_body), seed_runs[:1]).tracked
    assert [(t.name.split("_")[1], t.passed, t.total, t.status) for t in tracked] == [
        ("agent", 1, 1, "passing"),
        ("agent", 4, 4, "passing"),
        ("user", 0, 5, "failing"),
        ("base", 1, 4, "failing"),
    ]
    assert tracked[0].peak_memory is not None
    assert round(tracked[0].peak_memory / 1024**2, 1) == 214.6


def test_json_contract(seed_body: str, seed_runs: list[RunInput]) -> None:
    data = evaluate(plan_module.parse(seed_body), seed_runs[:1]).as_dict()
    assert data["totals"] == {"tests": 14, "passed": 6, "failed": 7, "errors": 1, "skipped": 0}
    assert {"index", "text", "status", "evidence"} <= set(data["metrics"][0])
    assert [p["number"] for p in data["phases"]] == [1, 2, 3]
    assert all("::" in t for t in data["phases"][0]["failing"])
    assert data["unplanned"] == []


def test_map_rule_and_ignore(seed_body: str, seed_runs: list[RunInput]) -> None:
    plan = plan_module.parse(seed_body)
    ruled = evaluate(plan, seed_runs[:1], map_rules=[MapRule("*isolation*", 3)])
    assert len(ruled.phases[2].failing) == 3
    assert ruled.phases[2].groups[0].reason.startswith("mapped by rule")
    ignored = evaluate(plan, seed_runs[:1], ignore=["test_base_agent_factory_user_isolation.py"])
    assert len(ignored.ignored) == 4
    # Excluded from metrics: no longer unmet by that file's violations. Not met either: the
    # other tests name only one of "user isolation violation", too little to be about it.
    assert ignored.items[4].status is Status.UNKNOWN
    assert "no tests about “user isolation violation” ran" in ignored.items[4].evidence
    assert len(ignored.phases[1].failing) == 3  # ...still shown


def _jest(name: str) -> RunInput:
    report = read_report(FIXTURES / "plans/checkout-jest" / name)
    return RunInput(cases=report.cases, suites=report.suites)


def test_jest_plan_in_other_words() -> None:
    body = (FIXTURES / "plans/checkout-jest/issue.md").read_text()
    evaluation = evaluate(plan_module.parse(body), [_jest("run-before.xml")])
    assert [i.status for i in evaluation.items] == [
        UNMET,
        UNMET,
        UNMET,
        UNMET,
        UNMET,
        Status.MANUAL,
        MET,
    ]
    assert [g.phase for g in evaluation.phases[0].groups] == [1, 1]
    (timeout,) = evaluation.unplanned  # no milestone covers the coupon timeout
    assert "Exceeded timeout" in timeout.message
    after = evaluate(plan_module.parse(body), [_jest("run-before.xml"), _jest("run-after.xml")])
    assert [i.status for i in after.items][:4] == [MET, MET, MET, MET]
    assert len(after.newly_fixed) == 4


def test_junit5_plan_definition_of_done() -> None:
    body = (FIXTURES / "plans/orders-junit5/issue.md").read_text()
    report = read_report(FIXTURES / "plans/orders-junit5/run.xml")
    evaluation = evaluate(plan_module.parse(body), [RunInput(report.cases, report.suites)])
    assert [(i.status, i.evidence) for i in evaluation.items[:2]] == [
        (UNMET, "4/6 passing"),
        (UNMET, "2/3 passing"),
    ]
    assert evaluation.items[4].status is MET  # peak 912 MB < 1.5 GB
    assert evaluation.phases[1].failing == (
        "com.acme.orders.InventoryReservationTest::reservesStock",
    )
    assert evaluation.flaky == ("com.acme.orders.InventoryReservationTest::reservesConcurrently",)


def _run(*outcomes: tuple[str, Outcome]) -> RunInput:
    return RunInput(
        cases=[
            CaseResult(suite="s", classname="c", name=name, outcome=outcome, file="test_f.py")
            for name, outcome in outcomes
        ]
    )


def test_flaky_across_history_and_within_a_run() -> None:
    plan = plan_module.parse("- [ ] all good")
    passed, failed = Outcome.PASSED, Outcome.FAILED
    alternating = [_run(("a", failed if n % 2 else passed), ("b", passed)) for n in range(6)]
    assert evaluate(plan, alternating).flaky == ("test_f.py::a",)
    assert evaluate(plan, alternating[:3]).flaky == ()  # too few runs for a verdict
    streak = [_run(("a", failed)) for _ in range(8)] + [_run(("a", passed))]
    assert evaluate(plan, streak).flaky == ()  # a long failure streak, then a fix: not a flake
    same_run = [_run(("a", passed), ("a", failed))]
    assert evaluate(plan, same_run).flaky == ("test_f.py::a",)
    policy = FlakyPolicy(window=4, min_runs=3, min_flip_rate=0.5)
    assert evaluate(plan, alternating[:3], flaky_policy=policy).flaky == ("test_f.py::a",)


def test_a_flaky_pass_alone_never_meets_a_metric() -> None:
    plan = plan_module.parse("- [ ] `test_f.py`: 1/1 tests passing\n- [ ] pass rate >= 100%")
    passed, failed = Outcome.PASSED, Outcome.FAILED
    history = [_run(("a", failed if n % 2 else passed)) for n in range(6)]
    history.append(_run(("a", passed)))
    evaluation = evaluate(plan, history)
    assert evaluation.flaky == ("test_f.py::a",)
    assert [(i.status, i.evidence) for i in evaluation.items] == [
        (Status.UNKNOWN, "1/1 passing, but a is flaky"),
        (Status.UNKNOWN, "pass rate 100% (1/1) >= 100%, but only with flaky passes"),
    ]
