"""The pass-rate metric ("90%+ pass rate"): its reading, its rule, its judge. Pure: no I/O."""

from __future__ import annotations

import re

from bot.core.metrics.base import (
    COMPARATOR,
    UPPER_BOUND_WORDS,
    Metric,
    MetricKind,
    RunView,
    Status,
    Verdict,
    compare,
)
from bot.core.metrics.peak_memory import MEMORY_WORDS
from bot.core.results import Outcome
from bot.errors import RuleError

KIND = MetricKind.PASS_RATE
RULE_WORD = "pass-rate"
RULE_ARGUMENTS = "CMP N%"

_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*(\+)?")
_UPPER_BOUND_AT_END = re.compile(UPPER_BOUND_WORDS + r"\s*$")
_STRICT_LOWER_BOUND_AT_END = re.compile(r"(?:>|above|over|more than)\s*$")
_RULE = re.compile(COMPARATOR + r"\s*(\d+(?:\.\d+)?)\s*%")


def recognise(text: str) -> Metric | None:
    """The metric of an item that asks for a percentage of passing tests, else None."""
    match = _PERCENT.search(text)
    if match is None or MEMORY_WORDS.search(text):
        return None  # a memory item, not a pass rate
    context = text.lower()
    if not (match.group(2) or re.search(r"pass|success|green|rate", context)):
        return None
    value = float(match.group(1)) / 100
    before = context[: match.start()]
    if _UPPER_BOUND_AT_END.search(before):
        return None  # "failures under 5%" is not a pass rate
    comparison = ">" if _STRICT_LOWER_BOUND_AT_END.search(before) else ">="
    return Metric(KIND, threshold=value, comparison=comparison)


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `pass-rate` rule from the words after `pass-rate`; raises `RuleError`."""
    match = _RULE.fullmatch(arguments.strip())
    if match is None:
        raise RuleError(f"pass-rate rule {arguments!r}: expected e.g. `pass-rate >= 97%`")
    return Metric(
        KIND, threshold=float(match.group(2)) / 100, comparison=match.group(1), source="rule"
    )


def judge(metric: Metric, run: RunView) -> Verdict:
    """Passed over executed tests against the threshold; UNKNOWN if only flaky passes reach it."""
    executed = [c for c in run.cases if c.outcome is not Outcome.SKIPPED]
    if not executed:
        return Verdict(Status.UNKNOWN, "no executed tests in this run")
    passed = sum(c.outcome is Outcome.PASSED for c in executed)
    rate = passed / len(executed)
    assert metric.threshold is not None
    evidence = (
        f"pass rate {_percent(rate)} ({passed}/{len(executed)}) "
        f"{metric.comparison} {_percent(metric.threshold)}"
    )
    met = compare(rate, metric)
    if met and run.flaky:
        steady = sum(c.outcome is Outcome.PASSED and c.test_id not in run.flaky for c in executed)
        if not compare(steady / len(executed), metric):
            return Verdict(Status.UNKNOWN, f"{evidence}, but only with flaky passes")
    return Verdict.met_if(met, evidence)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}%".replace(".0%", "%")
