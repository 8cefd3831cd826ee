"""The zero-failures metric ("zero deadlock errors"): its reading, rule and judge. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.metrics.base import (
    Metric,
    MetricKind,
    RunView,
    Status,
    Verdict,
    identity_words,
    stem,
    word_set,
)
from bot.core.results import CaseResult, Outcome
from bot.errors import RuleError

KIND = MetricKind.ZERO_FAILURES
RULE_WORD = "zero"
RULE_ARGUMENTS = "WORD..."  # no failure mentions these words

_ZERO = re.compile(r"^\s*(?:zero|no|0)\s+(.+)$", re.I)
_STOP_WORDS = frozenset(
    (
        "a an the of in on for to with under during while when at by from and or any all "
        "errors error failures failure issues issue problems problem cases case tests test "
        "concurrent load remaining new more"
    ).split()
)


def recognise(text: str) -> Metric | None:
    """The metric of an item that asks for zero (or no) failures of some kind, else None."""
    match = _ZERO.match(text)
    if match is None:
        return None
    words = significant_words(match.group(1))
    if not words:
        return None
    return Metric(KIND, words=words)


def significant_words(text: str) -> tuple[str, ...]:
    """The words that name a kind of failure, without filler ("under concurrent load")."""
    head = re.split(r"\b(?:under|during|while|when|across|in|on|with)\b", text.lower())[0]
    tokens = re.findall(r"[a-z][a-z0-9_]+", head)
    return tuple(dict.fromkeys(stem(t) for t in tokens if t not in _STOP_WORDS))


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `zero` rule from the words after `zero`; raises `RuleError`."""
    words = tuple(stem(w) for w in re.findall(r"[a-z0-9_]+", arguments.lower()))
    if not words:
        raise RuleError("zero rule: name the kind of failure, e.g. `zero deadlock`")
    return Metric(KIND, words=words, source="rule")


def judge(metric: Metric, run: RunView) -> Verdict:
    """UNMET if a failure mentions the words, MET if the tests about them all passed.

    Anything else is UNKNOWN: no related test ran, none passed, or some fail otherwise.
    """
    words = metric.words
    topic = " ".join(words)
    offending = [c for c in run.failing if _mentions(_failure_words(c), words)]
    if offending:
        names = ", ".join(c.name for c in offending[:3])
        more = f" and {len(offending) - 3} more" if len(offending) > 3 else ""
        return Verdict(Status.UNMET, f"{len(offending)} failing about “{topic}”: {names}{more}")
    if not any(word in run.identity_vocabulary for word in words):
        # No failures at all in unrelated tests proves nothing about these.
        return Verdict(Status.UNKNOWN, f"no tests about “{topic}” ran in this run")
    related = [c for c in run.cases if _mentions(identity_words(c), words, need=1)]
    failing = [c for c in related if c.outcome in (Outcome.FAILED, Outcome.ERROR)]
    if failing:  # they fail for another reason: that says nothing either way
        return Verdict(Status.UNKNOWN, f"{len(failing)} tests about “{topic}” fail otherwise")
    passed = sum(c.outcome is Outcome.PASSED for c in related)
    if not passed:
        return Verdict(Status.UNKNOWN, f"no test about “{topic}” passed in this run")
    return Verdict(Status.MET, f"0 failures about “{topic}” in {len(related)} related tests")


def _mentions(found: set[str], words: Sequence[str], *, need: int | None = None) -> bool:
    """Enough of the metric's words appear (all of them when there are one or two)."""
    wanted = need if need is not None else min(len(words), 2)
    return sum(word in found for word in words) >= wanted


def _failure_words(case: CaseResult) -> set[str]:
    text = " ".join(filter(None, (case.message, case.failure_type, case.name)))
    return word_set(text)
