"""What `sync` tells: a line per issue, the step's outputs and job summary, its exit code.

Inside Actions, `$GITHUB_OUTPUT` takes `name=value` lines and `$GITHUB_STEP_SUMMARY` takes
Markdown; both are files the runner reads after the step (appended to, never replaced).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.markup import escape

from bot.cli.output import out
from bot.core import statecodec
from bot.core.evaluate import Evaluation
from bot.core.metrics.base import Status


@dataclass(frozen=True, slots=True)
class Result:
    """One issue's sync, as the command reports it."""

    number: int
    evaluation: Evaluation | None
    comment: str | None
    writes: list[str] = field(default_factory=list)
    ticked: list[str] = field(default_factory=list)
    skipped: str | None = None


def outputs(results: Sequence[Result]) -> dict[str, str]:
    """The step outputs: pass rate (percent), items met (`met/total`), newly failing tests."""
    evaluations = [r.evaluation for r in results if r.evaluation is not None]
    rate = evaluations[0].totals.pass_rate if evaluations else None
    metrics = [item for e in evaluations for item in e.metrics]
    met = sum(item.status is Status.MET for item in metrics)
    new = {test for e in evaluations for test in e.newly_failing}
    return {
        "pass-rate": f"{rate * 100:.1f}" if rate is not None else "",
        "items-met": f"{met}/{len(metrics)}",
        "new-failures": str(len(new)),
    }


def exit_code(evaluations: Sequence[Evaluation | None], fail_on: str) -> int:
    """1 when `fail_on` (new-failures, unmet) is what the run shows, else 0."""
    judged = [e for e in evaluations if e is not None]
    if fail_on == "new-failures":
        return int(any(e.newly_failing for e in judged))
    if fail_on == "unmet":
        return int(any(i.status is Status.UNMET for e in judged for i in e.items))
    return 0


def publish(results: Sequence[Result]) -> None:
    """Print what each sync did; in Actions, write the outputs and the job summary."""
    for result in results:
        out.print(_line(result), highlight=False, soft_wrap=True)
    values = outputs(results)
    out.print(", ".join(f"{k}: {v or 'n/a'}" for k, v in values.items()), soft_wrap=True)
    output_file = os.environ.get("GITHUB_OUTPUT")
    if output_file:
        with Path(output_file).open("a", encoding="utf-8") as handle:
            handle.writelines(f"{k}={v}\n" for k, v in values.items())
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    shown = [r for r in results if r.comment]
    if summary_file and shown:
        with Path(summary_file).open("a", encoding="utf-8") as handle:
            for result in shown:
                assert result.comment is not None
                if len(shown) > 1:
                    handle.write(f"## Issue #{result.number}\n\n")
                handle.write(statecodec.strip(result.comment) + "\n")


def _line(result: Result) -> str:
    if result.skipped:
        return f"#{result.number}: skipped ({escape(result.skipped)}); nothing written"
    did = ", ".join(result.writes) if result.writes else "nothing to write"
    ticked = f"; ticked: {escape('; '.join(result.ticked))}" if result.ticked else ""
    return f"#{result.number}: {did}{ticked}"
