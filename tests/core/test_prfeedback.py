"""Pull-request feedback: one sticky comment saying how a PR moves each remediation."""

from __future__ import annotations

from bot.core import checklist, prfeedback
from bot.core import plan as plan_module
from bot.core.evaluate import RunInput
from bot.core.gate import TrackedPlan
from bot.core.results import CaseResult, Outcome

from fakes import FakeGitHub
from fakes.running_bot import RunningBot
from fakes.seed_story import REPO, complete_run, issue_body, open_seed_issue, story_zip

SHA = "f0e1d2c3b4a5968778695a4b3c2d1e0f12345678"


def _issue(seed_body: str) -> TrackedPlan:
    return TrackedPlan(number=870, title="Issue 870", plan=plan_module.parse(seed_body))


def test_a_pr_that_fixes_phase_1(seed_body: str, seed_runs: list[RunInput]) -> None:
    (impact,) = prfeedback.impacts([_issue(seed_body)], base=seed_runs[0], pr=seed_runs[1])
    assert len(impact.fixes) == 5
    assert all("test_user_execution_engine_integration" in t for t in impact.fixes)
    assert impact.new_failures == []
    assert [t.split(":")[0] for t in impact.would_meet] == [
        "`test_user_execution_engine_integration.py`",
        "Execution time improvements (target <0.5s per test)",
    ]


def test_a_pr_that_breaks_something(seed_body: str, seed_runs: list[RunInput]) -> None:
    broken = CaseResult(
        suite="s",
        classname="tests.test_new",
        name="test_new_thing",
        outcome=Outcome.FAILED,
        file="tests/test_new.py",
        message="boom @everyone",
    )
    pr = RunInput(cases=[*seed_runs[2].cases, broken], suites=seed_runs[2].suites)
    (impact,) = prfeedback.impacts([_issue(seed_body)], base=seed_runs[2], pr=pr)
    assert impact.new_failures == ["tests/test_new.py::test_new_thing"]
    text = prfeedback.render([impact], run_label="run 9", base_label="run 3")
    assert text.startswith(prfeedback.MARKER)
    assert "New failures" in text
    assert "@everyone" not in text


def test_fork_pull_request_gets_one_sticky_comment_and_ticks_nothing(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    complete_run(bot, github, 601, story_zip(1))
    bot.work()
    github.add_pull(REPO, 42, head_sha=SHA, head_branch="fix", head_repo="contributor/agents")
    fork = {"head_branch": "fix", "head_repository": "contributor/agents", "head_sha": SHA}
    complete_run(bot, github, 602, story_zip(2), run_event="pull_request", **fork)
    bot.work()
    (comment,) = list(github.repos[REPO].issues[42].comments)
    assert comment.body.startswith(prfeedback.MARKER)
    assert "Fixes** (5)" in comment.body
    complete_run(bot, github, 603, story_zip(3), run_event="pull_request", **fork)
    bot.work()
    (updated,) = list(github.repos[REPO].issues[42].comments)
    assert "Fixes** (8)" in updated.body
    ticked = [b.index for b in checklist.find_checkboxes(issue_body(github)) if b.checked]
    assert ticked == [2]  # only the base branch's run 1 ticked anything
