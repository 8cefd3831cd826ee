"""The streak metric ("10 consecutive green runs"): reading, rule and judge. Pure: no I/O.

Met when the newest N qualifying runs all passed: every selected test, or the whole run.
One run never meets it (N is at least 2); a failing run among the newest N breaks it.
"""

from __future__ import annotations

import re

from bot.core.metrics.base import Metric, MetricKind, RunView, Status, Verdict
from bot.core.metrics.history import (
    COUNT,
    MAX_RUNS,
    PASS_WORDS,
    RUN_ADJECTIVES,
    RunState,
    count,
    names,
    scope,
    scope_of,
    selected_ids,
    shaky,
    states,
)
from bot.errors import RuleError

KIND = MetricKind.STREAK
RULE_WORD = "streak"
RULE_ARGUMENTS = "N [tests SELECTOR]"  # the newest N runs all pass (the selected tests, or all)

_STREAKS = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        rf"\b{COUNT}\s+consecutive\s+{RUN_ADJECTIVES}runs?\b",  # 10 consecutive green runs
        # 10 consecutive full test suite runs pass; all tests pass 3x in a row; run 5 times
        rf"\b{COUNT}\s+consecutive\s+(?:[\w-]+\s+){{0,3}}runs?\b",
        rf"\b{COUNT}\s*(?:x|×|times)\s+in\s+a\s+row\b",
        rf"\brun\s+(?:the\s+)?(?:[\w-]+\s+){{0,3}}?{COUNT}\s*(?:x|×|times)\b",
        rf"\b{COUNT}\s+{RUN_ADJECTIVES}runs?\s+in\s+a\s+row\b",  # 3 green runs in a row
        # passes consistently across 3 runs, green for 5 runs in a row, passes in 5 runs
        rf"{PASS_WORDS.pattern}(?:\s+\w+)?\s+(?:in|across|over|for|on)\s+(?:the\s+)?"
        rf"(?:last\s+)?{COUNT}\s+{RUN_ADJECTIVES}runs?\b",
        # passes consistently (5 runs), green (3 consecutive runs)
        rf"{PASS_WORDS.pattern}(?:\s+\w+)?\s*\(\s*(?:over\s+|across\s+)?{COUNT}\s+"
        rf"{RUN_ADJECTIVES}runs?\s*\)",
    )
)
_GREEN = re.compile(
    PASS_WORDS.pattern + r"|\b(?:no|zero|without(?:\s+any)?)\s+(?:test\s+)?failures?\b|"
    r"\bto (?:verify|confirm|check|ensure) (?:their |the )?(?:consisten\w*|stability)\b",
    re.I,
)
# Words that make it another criterion: a share of runs, a rate, flakiness.
_NOT_A_STREAK = re.compile(rf"%|\bflak|\b{COUNT}\s*(?:/|of|out\s+of)\s*{COUNT}\s+runs?\b", re.I)
_RULE = re.compile(r"(\d+)(?:\s+tests\s+(\S+))?", re.I)


def recognise(text: str) -> Metric | None:
    """The metric of an item asking for N consecutive passing runs (N >= 2), else None."""
    if not _GREEN.search(text) or _NOT_A_STREAK.search(text):
        return None
    found = next((m for m in (p.search(text) for p in _STREAKS) if m), None)
    if found is None:
        return None
    runs = count(found.group(1))
    clear, selector = scope_of(text)
    if runs < 2 or not clear:
        return None
    return Metric(KIND, selector=selector, runs=runs)


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `streak` rule from the words after `streak`; raises `RuleError`."""
    match = _RULE.fullmatch(arguments.strip())
    if match is None or int(match.group(1)) < 2:
        raise RuleError(
            f"streak rule {arguments!r}: expected `streak N [tests SELECTOR]` with N >= 2"
        )
    return Metric(KIND, selector=match.group(2), runs=int(match.group(1)), source="rule")


def runs_needed(metric: Metric) -> int:
    """How many of the newest runs a sync must read for this metric (at most `MAX_RUNS`)."""
    return min(metric.runs or 1, MAX_RUNS)


def judge(metric: Metric, run: RunView) -> Verdict:
    """UNMET if one of the newest N runs failed, MET if all N passed, else UNKNOWN."""
    assert metric.runs is not None
    wanted, what = metric.runs, scope(metric)
    if metric.selector is not None and not selected_ids(run, metric.selector):
        return Verdict(Status.UNKNOWN, f"no tests matching {what} in this run")
    seen = states(run, metric.selector, wanted)
    failed = seen.count(RunState.FAILED)
    passed = (RunState.PASSED, RunState.SHAKY)
    green = next((i for i, s in enumerate(reversed(seen)) if s not in passed), len(seen))
    if failed:
        return Verdict(
            Status.UNMET,
            f"{what} failed in {failed} of the last {len(seen)} runs; "
            f"green streak {green} of {wanted}",
        )
    if wanted > MAX_RUNS:
        return Verdict(
            Status.UNKNOWN, f"needs {wanted} runs; the bot reads at most the newest {MAX_RUNS}"
        )
    if len(seen) < wanted:
        return Verdict(Status.UNKNOWN, f"{len(seen)} of {wanted} runs seen, green so far")
    if RunState.SHAKY in seen:
        flaky = shaky(run, selected_ids(run, metric.selector))
        return Verdict(Status.UNKNOWN, f"green, but this run's passes of {names(flaky)} are flaky")
    empty = seen.count(RunState.EMPTY)
    if empty:
        return Verdict(Status.UNKNOWN, f"{what} ran no tests in {empty} of the last {wanted} runs")
    return Verdict(Status.MET, f"{what} green in {wanted} consecutive runs")
