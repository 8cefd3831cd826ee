"""A drafted issue read back: the metrics it wrote, its phases owning its failures.

The round trip is the test (issue #19): reading a draft gives exactly the goals it wrote;
every failure of the run maps to the phase drafted for it; on the run it was drafted from
every outcome metric is unmet and every bound met; on that run with its failures fixed
(same times, same memory) every metric is met. Seed story, JUnit corpus, generated runs.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import draft, junit, plan
from bot.core.draft_facts import FAILING, owner_of, root_causes
from bot.core.evaluate import Evaluation, RunInput, evaluate
from bot.core.metrics import parse_rule
from bot.core.metrics.base import Metric, MetricKind, Status
from bot.core.results import CaseResult, Outcome, SuiteResult

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CORPUS = FIXTURES / "junit"
BOUNDS = (MetricKind.PEAK_MEMORY, MetricKind.DURATION)


def _run(paths: list[Path]) -> RunInput:
    cases: list[CaseResult] = []
    suites: list[SuiteResult] = []
    for path in paths:
        report = junit.read_report(path)
        cases += report.cases
        suites += report.suites
    return RunInput(cases=cases, suites=suites, label="red run")


def _fixed(run: RunInput) -> RunInput:
    """The same run with every test of a failing file passing, times and memory kept."""
    broken = {owner_of(c) for c in run.cases if c.outcome in FAILING}
    cases = [
        dataclasses.replace(
            c, outcome=Outcome.PASSED, message=None, failure_type=None, flaky=False, reruns=0
        )
        if owner_of(c) in broken
        else c
        for c in run.cases
    ]
    return RunInput(cases=cases, suites=run.suites, label="fixed run")


def _fields(metric: Metric | None) -> tuple[object, ...]:
    """What a metric checks (kind, tests, bound, words), not where it was read from."""
    assert metric is not None
    return tuple(getattr(metric, f.name) for f in dataclasses.fields(metric) if f.name != "source")


def _statuses(evaluation: Evaluation) -> dict[int, Status]:
    return {item.index: item.status for item in evaluation.items}


def assert_round_trip(run: RunInput) -> None:
    body = draft.render(run)
    read = plan.parse(body)
    goals = draft.goals(run)
    assert [_fields(i.metric) for i in read.items] == [_fields(parse_rule(g.rule)) for g in goals]
    assert len(read.phases) == len(root_causes(run))

    red = evaluate(read, [run])
    causes_of: dict[str, set[str]] = {}
    for cause in root_causes(run):
        for case in cause.cases:
            causes_of.setdefault(case.test_id, set()).add(cause.signature)
    twice = {test for test, signatures in causes_of.items() if len(signatures) > 1}
    assert not [t for g in red.unplanned for t in g.tests if t], red.unplanned
    for number, cause in enumerate(root_causes(run), start=1):
        phase = next(p for p in red.phases if p.number == number)
        mapped = {t for g in phase.groups for t in g.tests}
        # A test the runner gave no name cannot be named in a phase, nor one id that failed
        # twice in the run for two causes (a rerun) be named in both.
        assert mapped >= {c.test_id for c in cause.cases if c.name} - twice, number
    for item in read.items:
        expected = Status.MET if item.metric and item.metric.kind in BOUNDS else Status.UNMET
        assert _statuses(red)[item.index] is expected, item.text

    green = evaluate(read, [run, _fixed(run)])
    assert set(_statuses(green).values()) == {Status.MET}, {
        i.text: s for i, s in zip(read.items, _statuses(green).values(), strict=True)
    }


def test_the_seed_story_s_first_run_drafts_a_plan_that_reads_back() -> None:
    run = _run(sorted((FIXTURES / "seed-story" / "run1").glob("*.xml")))
    assert_round_trip(run)
    body = draft.render(run)
    assert "- [ ] `tests/integration/agents/test_user_execution_engine_integration.py`: 5/5" in body
    assert "- [ ] Peak memory stays under 290 MB" in body  # 231.5 MB observed, +25%


def test_the_seed_story_s_last_run_meets_the_draft_of_its_first() -> None:
    first = _run(sorted((FIXTURES / "seed-story" / "run1").glob("*.xml")))
    last = _run(sorted((FIXTURES / "seed-story" / "run3").glob("*.xml")))
    read = plan.parse(draft.render(first))
    outcomes = evaluate(read, [first, last])
    assert {i.text: i.status for i in outcomes.items if i.status is not Status.MET} == {}


FAILING_CORPUS = [
    name
    for name, facts in json.loads((CORPUS / "expected.json").read_text())["files"].items()
    if facts.get("well_formed") and (facts.get("failures") or 0) + (facts.get("errors") or 0)
]


@pytest.mark.parametrize("name", FAILING_CORPUS)
def test_corpus_runs_draft_plans_that_read_back(name: str) -> None:
    assert_round_trip(_run([CORPUS / name]))


_WORDS = st.sampled_from(
    ["timeout", "pool_size", "KeyError", "UserCache", "deadlock", "fixture", "x" * 3, "é|`@#1"]
)
_CASES = st.builds(
    lambda file, name, failed, words, seconds: CaseResult(
        suite=file,
        classname=file.replace("/", ".").removesuffix(".py"),
        name=name,
        outcome=Outcome.FAILED if failed else Outcome.PASSED,
        file=file,
        duration=seconds,
        message=" ".join(words) if failed else None,
    ),
    st.sampled_from(["tests/test_a.py", "tests/api/test_b.py", "tests/x/test_c.py"]),
    st.from_regex(r"test_[a-z]{1,8}", fullmatch=True),
    st.booleans(),
    st.lists(_WORDS, min_size=1, max_size=3),
    st.floats(min_value=0.001, max_value=30, allow_nan=False),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_CASES, min_size=1, max_size=12, unique_by=lambda c: (c.file, c.name)))
def test_generated_runs_draft_plans_that_read_back(cases: list[CaseResult]) -> None:
    if not any(c.outcome is Outcome.FAILED for c in cases):
        cases[0] = dataclasses.replace(cases[0], outcome=Outcome.FAILED, message="boom")
    assert_round_trip(RunInput(cases=cases, suites=[], label="generated"))
