"""The no-new-failures metric ("No new test failures introduced"): reading, rule, judge.

Pure module: no I/O. The baseline is the oldest qualifying run the sync reads (the run the
issue started from while the history is shorter than `MAX_RUNS`): a test failing now is new
when it did not fail there, or when it passed in the run before this one.
"""

from __future__ import annotations

import re

from bot.core.metrics.base import Metric, MetricKind, RunView, Status, Verdict
from bot.core.metrics.history import (
    FAILING,
    MAX_RUNS,
    names,
    runs_of,
    scope,
    scope_of,
    selected_ids,
)
from bot.core.metrics.units import plural
from bot.core.results import Outcome
from bot.errors import RuleError

KIND = MetricKind.NO_NEW_FAILURES
RULE_WORD = "no-new-failures"
RULE_ARGUMENTS = "[SELECTOR]"  # nothing fails now that passed in the baseline or the last run

_NO_NEW = re.compile(
    r"^\s*(?:no|zero|0)\s+(?:new\s+(?:test\s+)?(?:failures?|failing\s+tests?)|"
    # "No regressions", "Zero regressions in existing tests": nothing that passed now fails
    r"(?:test\s+)?regressions?(?:\s+in\s+(?:the\s+)?(?:existing|other|current)\s+tests?)?)"
    r"(?:\s+(?:introduced|added))?\s*[.!]?\s*$",
    re.I,
)
_CODE_SPAN = re.compile(r"`[^`]+`")


def recognise(text: str) -> Metric | None:
    """The metric of an item asking for no new test failures, else None."""
    clear, selector = scope_of(text)
    plain = re.sub(r"\s+in\s+(?=`)", " ", text)  # "no new failures in `tests/api/`"
    if not clear or not _NO_NEW.match(_CODE_SPAN.sub("", plain)):
        return None
    return Metric(KIND, selector=selector)


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `no-new-failures` rule from the words after it; raises `RuleError`."""
    words = arguments.split()
    if len(words) > 1:
        raise RuleError(
            f"no-new-failures rule {arguments!r}: expected `no-new-failures [SELECTOR]`"
        )
    return Metric(KIND, selector=words[0] if words else None, source="rule")


def runs_needed(metric: Metric) -> int:
    """The baseline is the oldest run read: read back as far as the bot reads."""
    return MAX_RUNS


def judge(metric: Metric, run: RunView) -> Verdict:
    """UNMET if a test fails now that did not before; MET when none does, over 2+ runs."""
    runs = runs_of(run)
    if len(runs) < 2:
        return Verdict(Status.UNKNOWN, "1 run seen; no earlier run to compare with")
    baseline, previous, now = runs[0], runs[-2], runs[-1]
    ids = selected_ids(run, metric.selector)
    chosen = now if ids is None else {t: now[t] for t in ids if t in now}
    if not any(o is not Outcome.SKIPPED for o in chosen.values()):
        return Verdict(Status.UNKNOWN, f"no tests of {scope(metric)} ran in this run")
    back = f"the oldest of {plural(len(runs), 'run')} read"
    new = sorted(
        t
        for t, o in chosen.items()
        if o in FAILING and (baseline.get(t) not in FAILING or previous.get(t) is Outcome.PASSED)
    )
    if new:
        return Verdict(
            Status.UNMET, f"{len(new)} failing now that did not fail in {back}: {names(new)}"
        )
    if ids is None:
        # A test that passed then and is absent now may be failing where no report reached us.
        gone = sorted(t for t, o in baseline.items() if o is Outcome.PASSED and t not in now)
        if gone:
            return Verdict(
                Status.UNKNOWN,
                f"{plural(len(gone), 'test')} that passed in {back} did not run now: {names(gone)}",
            )
    return Verdict(
        Status.MET, f"no test fails now that did not fail in {back} or passed in the run before"
    )
