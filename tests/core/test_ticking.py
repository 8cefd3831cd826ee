"""The seed story, ticked run by run: the right boxes, in the right order, nothing else."""

from __future__ import annotations

from functools import partial

from bot.core import checklist, ticking
from bot.core import plan as plan_module
from bot.core.evaluate import Evaluation, RunInput, evaluate


def _changed_positions(before: str, after: str) -> list[int]:
    assert len(before) == len(after)
    return [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]


def _replay(body: str, runs: list[RunInput], *, streak: int = 1) -> list[str]:
    """Bodies after each run, each evaluated on the body as it stood (as the bot does)."""
    bodies = []
    history: list[Evaluation] = []
    for number in range(1, len(runs) + 1):
        plan = plan_module.parse(body)
        history.append(evaluate(plan, runs[:number]))
        body = checklist.tick(body, ticking.decide(plan, history, streak=streak))
        bodies.append(body)
    return bodies


def _checked(body: str) -> list[int]:
    return [box.index for box in checklist.find_checkboxes(body) if box.checked]


def test_seed_boxes_tick_in_order_and_nothing_else_changes(
    seed_body: str, seed_runs: list[RunInput]
) -> None:
    bodies = _replay(seed_body, seed_runs)
    assert [_checked(b) for b in bodies] == [[2], [0, 2, 3], [0, 1, 2, 3, 4]]
    boxes = checklist.find_checkboxes(seed_body)
    assert _changed_positions(seed_body, bodies[-1]) == [box.offset for box in boxes]
    assert bodies[-1].encode("utf-8").count(b"\xe2\x80\x9a\xc3\xba\xc3\x96") == 5  # '‚úÖ' kept


def test_streak_of_two_runs_delays_ticks(seed_body: str, seed_runs: list[RunInput]) -> None:
    bodies = _replay(seed_body, seed_runs, streak=2)
    assert [_checked(b) for b in bodies] == [[], [2], [0, 2, 3]]


def test_a_person_tick_is_never_undone(seed_body: str, seed_runs: list[RunInput]) -> None:
    by_hand = checklist.tick(seed_body, [checklist.Decision(1, _text(seed_body, 1), True)])
    plan = plan_module.parse(by_hand)
    evaluation = evaluate(plan, seed_runs[:1])  # item 1 is unmet here
    decisions = ticking.decide(plan, [evaluation], untick_regressions=True)
    assert all(d.index != 1 for d in decisions)


def test_bot_tick_that_regresses_is_unticked_only_when_configured(
    seed_body: str, seed_runs: list[RunInput]
) -> None:
    after_run2 = _replay(seed_body, seed_runs[:2])[-1]
    plan = plan_module.parse(after_run2)
    regressed = evaluate(plan, [seed_runs[1], seed_runs[0]])  # run 1's failures come back
    bot_ticked = {_text(after_run2, 0), _text(after_run2, 3)}
    kept = ticking.decide(plan, [regressed], bot_ticked=bot_ticked)
    assert [d for d in kept if not d.checked] == []
    undone = ticking.decide(plan, [regressed], untick_regressions=True, bot_ticked=bot_ticked)
    assert sorted(d.index for d in undone if not d.checked) == [0, 3]


def _text(body: str, index: int) -> str:
    return checklist.find_checkboxes(body)[index].text


def test_hysteresis_unticks_only_after_m_unmet_runs(
    seed_body: str, seed_runs: list[RunInput]
) -> None:
    after_run2 = _replay(seed_body, seed_runs[:2])[-1]
    plan = plan_module.parse(after_run2)
    bot_ticked = {_text(after_run2, 0), _text(after_run2, 3)}
    good, bad = seed_runs[1], seed_runs[0]  # run 1's failures come back in "bad"
    once = [evaluate(plan, [good]), evaluate(plan, [good, bad])]
    decide = partial(ticking.decide, untick_regressions=True, untick_after=2, bot_ticked=bot_ticked)
    assert [d for d in decide(plan, once) if not d.checked] == []
    twice = [*once, evaluate(plan, [good, bad, bad])]
    unticked = sorted(d.index for d in decide(plan, twice) if not d.checked)
    assert unticked == [0, 3]
