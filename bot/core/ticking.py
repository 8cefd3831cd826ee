"""Which checkboxes to tick (or untick) after a run: the bot's decision policy.

Pure module: no I/O. An item is ticked only after it is `met` in `streak` consecutive
qualifying runs; a person's tick is never undone; a bot-ticked item that regresses is
unticked only when configured (and is always visible as unmet in the report).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.core.checklist import Decision
from bot.core.evaluate import Evaluation
from bot.core.metrics.base import Status
from bot.core.plan import Plan


def decide(
    plan: Plan,
    history: Sequence[Evaluation],
    *,
    streak: int = 1,
    untick_regressions: bool = False,
    untick_after: int = 1,
    bot_ticked: Collection[str] = (),
) -> list[Decision]:
    """Decisions for the plan's items from evaluations of qualifying runs, oldest first.

    Hysteresis: a bot tick is taken back only after `untick_after` unmet runs in a row, so
    one flaky run does not flip an issue back and forth.
    """
    if not history or streak < 1:
        return []
    recent = history[-streak:]
    lately = history[-untick_after:]
    decisions: list[Decision] = []
    for item in plan.items:
        statuses = [_status(evaluation, item.index, item.text) for evaluation in recent]
        regressed = len(lately) == untick_after and all(
            _status(evaluation, item.index, item.text) is Status.UNMET for evaluation in lately
        )
        if not item.checked and len(recent) == streak and all(s is Status.MET for s in statuses):
            decisions.append(Decision(index=item.index, text=item.text, checked=True))
        elif item.checked and untick_regressions and item.text in bot_ticked and regressed:
            decisions.append(Decision(index=item.index, text=item.text, checked=False))
    return decisions


def _status(evaluation: Evaluation, index: int, text: str) -> Status | None:
    """The item's status in an evaluation, found by text first (items move between edits)."""
    by_text = [i for i in evaluation.items if i.text == text]
    if len(by_text) == 1:
        return by_text[0].status
    by_index = [i for i in evaluation.items if i.index == index and i.text == text]
    return by_index[0].status if by_index else None
