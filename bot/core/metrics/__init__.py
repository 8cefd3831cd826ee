"""The registry of metric kinds; reading, rules and judging dispatch through it. Pure: no I/O."""

from __future__ import annotations

import re
from typing import Protocol

from bot.core.metrics import (
    duration,
    fixes,
    flakiness,
    new_failures,
    pass_rate,
    peak_memory,
    streak,
    tests_passing,
    window,
    zero_failures,
)
from bot.core.metrics.base import Metric, MetricKind, RunView, Status, Verdict
from bot.core.metrics.history import MAX_RUNS
from bot.core.metrics.subjects import BASELINE, SEVERAL_RUNS, manual_reason
from bot.core.testnames import TEST_NAME, is_test_name, without_emphasis
from bot.errors import RuleError


class KindModule(Protocol):
    """What each metric kind's module provides: a reading, a rule grammar and a judge."""

    @property
    def KIND(self) -> MetricKind: ...

    @property
    def RULE_WORD(self) -> str: ...

    @property
    def RULE_ARGUMENTS(self) -> str: ...

    def recognise(self, text: str) -> Metric | None: ...

    def parse_arguments(self, arguments: str) -> Metric: ...

    def judge(self, metric: Metric, run: RunView) -> Verdict: ...


class MultiRunKindModule(KindModule, Protocol):
    """A kind judged over several runs also says how many of the newest runs it reads."""

    def runs_needed(self, metric: Metric) -> int: ...


# Kinds judged over the newest run and the runs before it (`RunView.past`). Their readings
# also get the items `manual_reason` sets aside as needing several runs or a baseline.
MULTI_RUN: tuple[MultiRunKindModule, ...] = (window, streak, flakiness, new_failures)

# Readings are tried in this order and the first that recognises an item wins. They are
# deliberately narrow: an item none recognises is manual and never ticked, and a
# maintainer's explicit rule always wins over them.
KINDS: tuple[KindModule, ...] = (
    duration,  # before tests passing: "all tests pass in < 5 min" bounds the time too
    tests_passing,
    pass_rate,
    peak_memory,
    zero_failures,
    *MULTI_RUN,
)

RULE_PREFIX = "remediation:"
RULE_USAGE = " | ".join(("manual", *(f"{k.RULE_WORD} {k.RULE_ARGUMENTS}" for k in KINDS)))

_BY_KIND = {k.KIND: k for k in KINDS}
_BY_RULE_WORD = {k.RULE_WORD: k for k in KINDS}
_MULTI_RUN_BY_KIND = {k.KIND: k for k in MULTI_RUN}


def recognise(text: str) -> Metric | None:
    """Read a checklist item's text as a metric, or None when it is not machine-checkable."""
    plain = without_emphasis(text)
    fixed = fixes.listed_as_fixed(plain) or fixes.named_to_fix(plain, files=False)
    if fixed is not None:
        # "`test_x` - ✅ FIXED: binary now builds", "Fix test_x path reference": the note
        # says what was wrong with the test, and its passing shows it fixed
        return fixed
    reason = manual_reason(_outside_code(plain))
    readers = KINDS if reason is None else MULTI_RUN if reason in (SEVERAL_RUNS, BASELINE) else ()
    for kind in readers:
        metric = kind.recognise(plain)
        if metric is not None:
            return metric
    return None


UNRECOGNISED = "its words are no metric the bot knows; an explicit rule makes it one"


def why_manual(text: str) -> str:
    """Why an item's text is not machine-checkable (for items `recognise` leaves manual)."""
    plain = without_emphasis(text)
    return manual_reason(_outside_code(plain)) or UNRECOGNISED


def _outside_code(text: str) -> str:
    """The text without its test names: `test_imports` is not about imports, nor
    `concurrent-race-conditions.test.js` about race conditions."""
    spans_dropped = re.sub(
        r"`([^`]*)`", lambda m: "`x`" if is_test_name(m.group(1).strip()) else m.group(0), text
    )
    return TEST_NAME.sub(" ", spans_dropped)


def rule_in_comment(comment: str | None) -> str | None:
    """The rule text of an item's HTML comment (`remediation: ...`), if it carries one."""
    if not comment:
        return None
    text = comment.strip()
    if not text.lower().startswith(RULE_PREFIX):
        return None
    return text[len(RULE_PREFIX) :].strip()


def parse_rule(rule: str) -> Metric | None:
    """A rule's metric; None for `manual`. Raises `RuleError` saying what is wrong."""
    words = rule.strip().split()
    if not words:
        raise RuleError(f"empty rule; expected one of: {RULE_USAGE}")
    head, arguments = words[0].lower(), " ".join(words[1:])
    if head == "manual" and not arguments:
        return None
    kind = _BY_RULE_WORD.get(head)
    if kind is None:
        raise RuleError(f"unknown rule {head!r}; expected one of: {RULE_USAGE}")
    return kind.parse_arguments(arguments)


def is_multi_run(metric: Metric | None) -> bool:
    """Whether the metric is judged over several runs (it reads `RunView.past`)."""
    return metric is not None and metric.kind in _MULTI_RUN_BY_KIND


def runs_needed(metric: Metric | None) -> int:
    """How many of the newest qualifying runs judging the metric takes (at most `MAX_RUNS`)."""
    kind = _MULTI_RUN_BY_KIND.get(metric.kind) if metric is not None else None
    return min(kind.runs_needed(metric), MAX_RUNS) if kind and metric else 1


def judge(metric: Metric | None, run: RunView) -> Verdict:
    """Evaluate a metric on a run (None is a manual item)."""
    if metric is None:
        return Verdict(Status.MANUAL, "not machine-checkable; tick it by hand")
    return _BY_KIND[metric.kind].judge(metric, run)
