"""The no-flaky-tests metric ("No flaky tests"): its reading, rule and judge. Pure: no I/O.

A test is flaky across runs when it goes back and forth between pass and fail (two flips or
more: pass, fail, pass); one flip is a fix or a break, not a flake. A test flaky within the
newest run (passed on a rerun) or by the repository's flaky policy is flaky too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence

from bot.core.metrics.base import Metric, MetricKind, RunView, Status, Verdict
from bot.core.metrics.history import (
    COUNT,
    FAILING,
    MAX_RUNS,
    RUN_ADJECTIVES,
    count,
    names,
    runs_of,
    scope,
    scope_of,
    selected_ids,
)
from bot.core.metrics.units import plural
from bot.core.results import Outcome
from bot.errors import RuleError

KIND = MetricKind.NO_FLAKY
RULE_WORD = "no-flaky"
RULE_ARGUMENTS = "[SELECTOR]"  # no selected test flips between pass and fail across the runs
MIN_RUNS = 3  # never fewer runs than this, whatever the flaky policy says

# The whole item, once its scope (a code span) and its runs ("over 20 runs") are taken out:
# "No flaky tests for two weeks" says more than the runs can show.
_NO_FLAKY = re.compile(
    r"^\s*(?:\w+:\s*)?(?:no|zero|0)\s+(?:more\s+|new\s+)?"
    r"(?:flaky\s+(?:tests?|failures?)(?:\s+behaviou?r)?|(?:test\s+)?flakiness)"
    r"(?:\s+(?:introduced|remain\w*|detected|observed|left))?"
    r"(?:\s*\((?:pass/fail consistency|consistent results?)\))?"
    r"(?:\s+(?:in|among|of))?\s*[.!]?\s*$",
    re.I,
)
# "Flaky test rate < 1%": no flaky test at all is the reading (it bounds any rate).
_FLAKY_RATE = re.compile(
    r"^\s*(?:\w+:\s*)?flak\w*\s+(?:test\s+)?rate\s*(?:<=?|≤|below|under|less than)\s*"
    r"\d+(?:\.\d+)?\s*%\s*[.!]?\s*$",
    re.I,
)
# "Flaky test `test_ws_reconnect` stabilized": the test named no longer flips.
_STABILIZED = re.compile(
    r"^\W*(?:the\s+)?flaky\s+(?:tests?\s+)?(?:\S+\s+)?(?:is\s+|are\s+)?"
    r"(?:stabili[sz]ed|fixed|no longer flaky|deflaked)\W*$|"
    r"^\W*(?:\S+\s+)(?:is\s+|are\s+)?(?:no longer flaky|not flaky|deflaked)\W*$",
    re.I,
)
_CODE_SPAN = re.compile(r"`[^`]+`")
_OVER = re.compile(
    rf"\b(?:over|across|in|for)\s+(?:the\s+)?(?:last\s+)?{COUNT}\s+{RUN_ADJECTIVES}runs?\b|"
    rf"\(\s*run\s+{COUNT}\s*(?:x|×|times)\b[^)]*\)|"
    r"\(\s*pass\w*\s+(\d+)\s*/\s*\3\s+runs?\s*\)",  # "(pass 10/10 runs)"
    re.I,
)


def recognise(text: str) -> Metric | None:
    """The metric of an item asking for no flaky tests (over N runs, if it says), else None."""
    over = _OVER.search(text)
    rest = _CODE_SPAN.sub(" ", _OVER.sub(" ", text))
    named = _CODE_SPAN.search(text) is not None
    if not (
        _NO_FLAKY.match(rest) or _FLAKY_RATE.match(rest) or (named and _STABILIZED.match(text))
    ):
        return None
    clear, selector = scope_of(text)
    runs = count(next(g for g in over.groups() if g)) if over else None
    if not clear or (runs is not None and runs < MIN_RUNS):
        return None
    return Metric(KIND, selector=selector, runs=runs)


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `no-flaky` rule from the words after it; raises `RuleError`."""
    words = arguments.split()
    if len(words) > 1:
        raise RuleError(f"no-flaky rule {arguments!r}: expected `no-flaky [SELECTOR]`")
    return Metric(KIND, selector=words[0] if words else None, source="rule")


def runs_needed(metric: Metric) -> int:
    """Runs a sync must read beyond the flaky window: the runs the item names, if any."""
    return min(metric.runs or 1, MAX_RUNS)


def judge(metric: Metric, run: RunView) -> Verdict:
    """UNMET if a selected test is flaky across the runs, MET once enough runs show none."""
    needed = metric.runs or max(MIN_RUNS, run.flaky_min_runs)
    span = metric.runs or max(needed, run.flaky_window)
    what = scope(metric)
    if metric.runs is not None and metric.runs > MAX_RUNS:  # the policy's window is read
        return Verdict(
            Status.UNKNOWN, f"needs {span} runs; the bot reads at most the newest {MAX_RUNS}"
        )
    window = runs_of(run)[-span:]
    ids = selected_ids(run, metric.selector)
    chosen = sorted(ids if ids is not None else {t for outcomes in window for t in outcomes})
    if not chosen:
        return Verdict(Status.UNKNOWN, f"no tests matching {what} in this run")
    flaky = [t for t in chosen if t in run.flaky or _flips(t, window) >= 2]
    if flaky:
        return Verdict(
            Status.UNMET, f"{len(flaky)} flaky across the last {len(window)} runs: {names(flaky)}"
        )
    if len(window) < needed:
        return Verdict(Status.UNKNOWN, f"{len(window)} of {needed} runs seen, no flips so far")
    return Verdict(
        Status.MET,
        f"no test of {what} flipped between pass and fail across {len(window)} runs "
        f"({plural(len(chosen), 'test')})",
    )


def _flips(test_id: str, window: Sequence[Mapping[str, Outcome]]) -> int:
    """How often the test went from pass to fail or back, over the runs it ran in."""
    ran = [
        o[test_id] in FAILING
        for o in window
        if o.get(test_id, Outcome.SKIPPED) is not Outcome.SKIPPED
    ]
    return sum(a != b for a, b in itertools.pairwise(ran))
