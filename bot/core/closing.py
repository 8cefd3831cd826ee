"""Whether a tracked issue is done, and what the bot says when it closes it. Pure: no I/O.

With `close_when_met: true` an issue is done when every machine-checked item is met and
ticked (the bot ticks only after `tick_after` qualifying runs) and every manual item is
ticked by a person. A person's tick on an unmet item does not count: the run has not
proven it.
"""

from __future__ import annotations

from bot.core.checklist import find_checkboxes
from bot.core.evaluate import Evaluation
from bot.core.markdown_safe import inline
from bot.core.metrics.base import Status

MARKER = "<!-- remediation-bot:closed -->"


def finished(body: str, evaluation: Evaluation) -> bool:
    """Every box of the body ticked, and every measured item met on the newest run."""
    boxes = find_checkboxes(body)
    measured = evaluation.metrics
    return (
        bool(boxes)
        and bool(measured)
        and all(box.checked for box in boxes)
        and all(item.status is Status.MET for item in measured)
    )


def final_comment(evaluation: Evaluation) -> str:
    """The comment the bot leaves as it closes the issue."""
    measured = len(evaluation.metrics)
    manual = len(evaluation.items) - measured
    run = inline(evaluation.run_label, limit=100)
    return (
        f"{MARKER}\n"
        f"Every success metric is met: {measured} measured by the runs "
        f"(the newest: {run}) and {manual} ticked by people. Closing this issue "
        "(`close_when_met` in `.github/remediation.yml`).\n\n"
        "Reopen it to keep it open: the bot will not close it again."
    )
