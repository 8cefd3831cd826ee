"""The regression gate: known failures pass, new ones fail with annotations in batches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.core import gate
from bot.core import plan as plan_module
from bot.core.evaluate import RunInput
from bot.core.mapping import MapRule
from bot.core.results import CaseResult, Outcome

from fakes import FakeGitHub
from fakes.running_bot import RunningBot
from fakes.seed_story import REPO, complete_run, open_seed_issue, story_zip, zip_of


def _seed_plan(
    seed_body: str, *, map_rules: Sequence[MapRule] = (), ignore: Sequence[str] = ()
) -> gate.TrackedPlan:
    plan = plan_module.parse(seed_body)
    return gate.TrackedPlan(
        number=870, title="Issue 870", plan=plan, map_rules=map_rules, ignore=ignore
    )


def _new_failure(n: int) -> CaseResult:
    return CaseResult(
        suite="billing",
        classname="tests.billing.test_invoices",
        name=f"test_rounding_{n}",
        outcome=Outcome.FAILED,
        file="tests/billing/test_invoices.py",
        message=f"AssertionError: invoice {n} total 10.01 != 10.00",
    )


def test_known_failures_pass_the_gate(seed_body: str, seed_runs: list[RunInput]) -> None:
    result = gate.assess(seed_runs[0].cases, [_seed_plan(seed_body)])
    assert result.conclusion == "success"
    assert result.new == []
    assert {(k.issue, k.phase) for k in result.known} == {(870, 1), (870, 2)}
    assert "Known failures" in result.summary


def test_a_new_failure_fails_the_gate_and_is_listed_first(
    seed_body: str, seed_runs: list[RunInput]
) -> None:
    cases = [*seed_runs[0].cases, _new_failure(1)]
    result = gate.assess(cases, [_seed_plan(seed_body)])
    assert result.conclusion == "failure"
    assert [c.name for c in result.new] == ["test_rounding_1"]
    assert result.summary.index("New failures") < result.summary.index("Known failures")
    (annotation,) = result.annotations
    assert annotation.path == "tests/billing/test_invoices.py"
    assert annotation.annotation_level == "failure"


def test_rules_make_failures_known(seed_body: str) -> None:
    mapped = _seed_plan(seed_body, map_rules=[MapRule("tests/billing/*", 3)])
    assert gate.assess([_new_failure(1)], [mapped]).conclusion == "success"
    ignored = _seed_plan(seed_body, ignore=["tests/billing/test_invoices.py"])
    (known,) = gate.assess([_new_failure(2)], [ignored]).known
    assert known.phase is None
    assert known.reason == "ignored by command"


def test_120_new_failures_make_three_annotation_batches() -> None:
    result = gate.assess([_new_failure(n) for n in range(120)], [])
    assert [len(batch) for batch in result.annotation_batches()] == [50, 50, 20]
    assert len(result.summary) <= gate.MAX_SUMMARY


def _junit(cases: int, *, failing_new: int) -> bytes:
    rows = [
        f'<testcase classname="tests.billing.test_invoices" name="test_rounding_{n}" '
        f'file="tests/billing/test_invoices.py" time="0.01">'
        f'<failure message="invoice {n} total 10.01 != 10.00">trace</failure></testcase>'
        for n in range(failing_new)
    ]
    rows += [
        f'<testcase classname="tests.ok" name="test_ok_{n}" time="0.01"/>' for n in range(cases)
    ]
    return f'<testsuite name="pytest">{"".join(rows)}</testsuite>'.encode()


def test_check_runs_through_the_fake_github(
    bot: RunningBot, github: FakeGitHub, seed_body: str, tmp_path: Path
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    complete_run(bot, github, 501, story_zip(1))
    bot.work()
    (known_only,) = github.repos[REPO].check_runs.values()
    assert known_only.fields["conclusion"] == "success"
    assert known_only.fields["name"] == "remediation / regression gate"

    report = tmp_path / "junit.xml"
    report.write_bytes(_junit(10, failing_new=120))
    github.requests.clear()
    complete_run(bot, github, 502, zip_of([report]), head_branch="feature/rounding")
    bot.work()
    check_calls = [r for r in github.requests if "check-runs" in r.path]
    assert [(r.method, len(r.json["output"]["annotations"])) for r in check_calls] == [
        ("POST", 50),
        ("PATCH", 50),
        ("PATCH", 20),
    ]
    assert check_calls[0].json["conclusion"] == "failure"
    assert "120 new failures" in check_calls[0].json["output"]["title"]


def test_a_flaky_test_failing_is_shown_as_flaky_not_new() -> None:
    failing = _new_failure(7)
    result = gate.assess([failing], [], flaky=frozenset({failing.test_id}))
    assert result.conclusion == "success"
    assert "flaky" in result.summary


def test_annotations_stop_at_a_useful_number() -> None:
    result = gate.assess([_new_failure(n) for n in range(500)], [])
    assert len(result.annotations) == gate.MAX_ANNOTATIONS
    assert result.summary.startswith(f"The first {gate.MAX_ANNOTATIONS} of 500")
