"""The window metric ("29 of 30 runs pass"): its reading, rule and judge. Pure: no I/O.

Met when at least M of the newest N qualifying runs passed (the selected tests, or the whole
run); unmet as soon as more than N - M of them failed; unknown until N runs are seen.
"""

from __future__ import annotations

import math
import re

from bot.core.metrics.base import Metric, MetricKind, RunView, Status, Verdict
from bot.core.metrics.history import (
    COUNT,
    MAX_RUNS,
    PASS_WORDS,
    RUN_ADJECTIVES,
    RunState,
    count,
    scope,
    scope_of,
    selected_ids,
    states,
)
from bot.errors import RuleError

KIND = MetricKind.WINDOW
RULE_WORD = "window"
RULE_ARGUMENTS = "M/N [tests SELECTOR]"  # at least M of the newest N runs pass

# "29 of 30 runs pass", "passes in 9/10 runs", "green in 19 out of 20 recent runs"
_WINDOW = re.compile(rf"\b{COUNT}\s*(?:/|of|out\s+of)\s*{COUNT}\s+{RUN_ADJECTIVES}runs?\b", re.I)
# "95%+ stability rate over 50 consecutive runs": read as at least 48 of the 50 runs green,
# which also bounds any average pass rate over them from below.
_SHARE = re.compile(
    r"\b(\d+(?:\.\d+)?)\s*%\+?\s+(?:stability|pass|success|green)\s+rate\s+"
    rf"(?:over|across|in)\s+(?:the\s+)?(?:last\s+)?{COUNT}\s+{RUN_ADJECTIVES}runs?\b",
    re.I,
)
_RULE = re.compile(r"(\d+)/(\d+)(?:\s+tests\s+(\S+))?", re.I)


def recognise(text: str) -> Metric | None:
    """The metric of an item asking that M of N runs pass (2 <= N, 1 <= M <= N), else None."""
    share = _SHARE.search(text)
    if share is not None and not re.search(r"\bflak", text, re.I):
        runs = count(share.group(2))
        least = math.ceil(float(share.group(1)) / 100 * runs - 1e-9)
    else:
        found = _WINDOW.search(text)
        if found is None or not PASS_WORDS.search(text) or re.search(r"%|\bflak", text, re.I):
            return None
        least, runs = count(found.group(1)), count(found.group(2))
    clear, selector = scope_of(text)
    if not clear or not _sound(least, runs):
        return None
    return Metric(KIND, selector=selector, expected=least, runs=runs)


def _sound(least: int, runs: int) -> bool:
    return runs >= 2 and 1 <= least <= runs


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `window` rule from the words after `window`; raises `RuleError`."""
    match = _RULE.fullmatch(arguments.strip())
    if match is None or not _sound(int(match.group(1)), int(match.group(2))):
        raise RuleError(
            f"window rule {arguments!r}: expected `window M/N [tests SELECTOR]` "
            "with N >= 2 and 1 <= M <= N"
        )
    return Metric(
        KIND,
        selector=match.group(3),
        expected=int(match.group(1)),
        runs=int(match.group(2)),
        source="rule",
    )


def runs_needed(metric: Metric) -> int:
    """How many of the newest runs a sync must read for this metric (at most `MAX_RUNS`)."""
    return min(metric.runs or 1, MAX_RUNS)


def judge(metric: Metric, run: RunView) -> Verdict:
    """UNMET once more than N - M of the newest N runs failed; MET when M of N passed."""
    assert metric.runs is not None
    assert metric.expected is not None
    runs, least, what = metric.runs, metric.expected, scope(metric)
    if metric.selector is not None and not selected_ids(run, metric.selector):
        return Verdict(Status.UNKNOWN, f"no tests matching {what} in this run")
    seen = states(run, metric.selector, runs)
    failed, passed = seen.count(RunState.FAILED), seen.count(RunState.PASSED)
    evidence = f"{what} green in {passed} of the last {len(seen)} runs"
    if failed > runs - least:
        return Verdict(Status.UNMET, f"{evidence}, failed in {failed} (at most {runs - least})")
    if runs > MAX_RUNS:
        return Verdict(
            Status.UNKNOWN, f"needs {runs} runs; the bot reads at most the newest {MAX_RUNS}"
        )
    if len(seen) < runs:
        return Verdict(Status.UNKNOWN, f"{len(seen)} of {runs} runs seen; {evidence}")
    if passed < least:
        # The rest ran none of the tests, or passed only flakily: no evidence either way.
        return Verdict(Status.UNKNOWN, f"{evidence}, {least} needed; the others prove nothing")
    return Verdict(Status.MET, f"{evidence} (at least {least} needed)")
