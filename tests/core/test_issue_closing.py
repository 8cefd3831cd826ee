"""When a tracked issue is done: every box ticked and every measured item met (no I/O)."""

from __future__ import annotations

from bot.core import plan
from bot.core.closing import final_comment, finished
from bot.core.evaluate import RunInput, evaluate
from bot.core.results import CaseResult, Outcome


def test_done_means_every_box_ticked_and_every_measured_item_met() -> None:
    body = "- [x] `test_a.py` passes\n- [x] Docs reviewed\n"
    passed = evaluate(
        plan.parse(body),
        [RunInput(cases=[CaseResult("s", "", "t", Outcome.PASSED, file="test_a.py")])],
    )
    assert finished(body, passed)
    assert "1 measured by the runs" in final_comment(passed)
    assert not finished("- [x] `test_a.py` passes\n- [ ] Docs reviewed\n", passed)


def test_a_persons_tick_on_an_unmet_item_is_not_done() -> None:
    body = "- [x] `test_a.py` passes\n- [x] Docs reviewed\n"
    failed = evaluate(
        plan.parse(body),
        [RunInput(cases=[CaseResult("s", "", "t", Outcome.FAILED, file="test_a.py")])],
    )
    assert not finished(body, failed)


def test_a_plan_without_measured_items_is_never_closed_by_the_bot() -> None:
    body = "- [x] Docs reviewed\n"
    evaluation = evaluate(plan.parse(body), [RunInput(cases=[])])
    assert not finished(body, evaluation)
