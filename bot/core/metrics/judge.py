"""Evaluate one metric against one run: a status and the evidence behind it.

Pure module: no I/O. Numbers come from the run's data, never from the issue's prose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.metrics.base import (
    DurationScope,
    Metric,
    MetricKind,
    RunView,
    Status,
    Verdict,
    compare,
    identity_words,
    word_set,
)
from bot.core.metrics.units import format_bytes, format_seconds, parse_size
from bot.core.results import CaseResult, Outcome

_MEMORY_NAME = re.compile(r"mem|rss|heap", re.I)
_UNIT_IN_NAME = re.compile(r"(?:^|[_\-.\s(])(kib|mib|gib|kb|mb|gb|bytes|b)\)?$", re.I)


def judge(metric: Metric | None, run: RunView) -> Verdict:
    """Evaluate a metric on a run (None is a manual item)."""
    if metric is None:
        return Verdict(Status.MANUAL, "not machine-checkable; tick it by hand")
    judges = {
        MetricKind.TESTS_PASSING: _tests_passing,
        MetricKind.PASS_RATE: _pass_rate,
        MetricKind.PEAK_MEMORY: _peak_memory,
        MetricKind.DURATION: _duration,
        MetricKind.ZERO_FAILURES: _zero_failures,
    }
    return judges[metric.kind](metric, run)


def _tests_passing(metric: Metric, run: RunView) -> Verdict:
    assert metric.selector is not None
    chosen = run.index.select(metric.selector)
    if not chosen:
        return Verdict(Status.UNKNOWN, f"no tests matching `{metric.selector}` in this run")
    passed = sum(c.outcome is Outcome.PASSED for c in chosen)
    wanted = metric.expected or len(chosen)
    evidence = f"{passed}/{len(chosen)} passing"
    if metric.expected and len(chosen) < metric.expected:
        evidence += f" ({metric.expected} expected)"
    met = passed == len(chosen) and passed >= wanted
    shaky = [c.name for c in chosen if c.test_id in run.flaky and c.outcome is Outcome.PASSED]
    if met and shaky:
        # A flaky pass alone never ticks a box.
        return Verdict(Status.UNKNOWN, f"{evidence}, but {_names(shaky)} flaky")
    return Verdict.met_if(met, evidence)


def _pass_rate(metric: Metric, run: RunView) -> Verdict:
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


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    verb = "is" if len(names) == 1 else "are"
    return f"{shown}{more} {verb}"


def _peak_memory(metric: Metric, run: RunView) -> Verdict:
    figures = memory_figures(run)
    if not figures:
        return Verdict(Status.UNKNOWN, "no memory figures in this run")
    peak = max(figures)
    assert metric.threshold is not None
    evidence = f"peak {format_bytes(peak)} {metric.comparison} {format_bytes(metric.threshold)}"
    return Verdict.met_if(compare(peak, metric), evidence)


def _duration(metric: Metric, run: RunView) -> Verdict:
    timed = [c for c in run.cases if c.duration is not None and c.outcome is not Outcome.SKIPPED]
    if not timed:
        return Verdict(Status.UNKNOWN, "no test durations in this run")
    durations = [c.duration for c in timed if c.duration is not None]
    assert metric.threshold is not None
    limit = format_seconds(metric.threshold)
    if metric.scope is DurationScope.MEAN:
        value = sum(durations) / len(durations)
        evidence = f"mean {format_seconds(value)} {metric.comparison} {limit}"
    elif metric.scope is DurationScope.TOTAL:
        value = sum(durations)
        evidence = f"total {format_seconds(value)} {metric.comparison} {limit}"
    else:
        slowest = max(timed, key=lambda c: c.duration or 0.0)
        value = slowest.duration or 0.0
        evidence = f"slowest {format_seconds(value)} ({slowest.name}) {metric.comparison} {limit}"
    return Verdict.met_if(compare(value, metric), evidence)


def _zero_failures(metric: Metric, run: RunView) -> Verdict:
    words = metric.words
    topic = " ".join(words)
    offending = [c for c in run.failing if _mentions(_failure_words(c), words)]
    if offending:
        names = ", ".join(c.name for c in offending[:3])
        more = f" and {len(offending) - 3} more" if len(offending) > 3 else ""
        return Verdict(Status.UNMET, f"{len(offending)} failing about “{topic}”: {names}{more}")
    if not any(word in run.identity_vocabulary for word in words):
        executed = sum(c.outcome is not Outcome.SKIPPED for c in run.cases)
        if executed and not run.failing:
            return Verdict(Status.MET, f"no failures at all in {executed} tests")
        return Verdict(Status.UNKNOWN, f"no tests about “{topic}” ran in this run")
    related = sum(_mentions(identity_words(c), words, need=1) for c in run.cases)
    return Verdict(Status.MET, f"0 failures about “{topic}” in {related} related tests")


def _mentions(found: set[str], words: Sequence[str], *, need: int | None = None) -> bool:
    """Enough of the metric's words appear (all of them when there are one or two)."""
    wanted = need if need is not None else min(len(words), 2)
    return sum(word in found for word in words) >= wanted


def _failure_words(case: CaseResult) -> set[str]:
    text = " ".join(filter(None, (case.message, case.failure_type, case.name)))
    return word_set(text)


def memory_figures(run: RunView) -> list[float]:
    """Every memory figure (bytes) from suite- and case-level properties of the run."""
    return [
        size
        for properties in [*(s.properties for s in run.suites), *(c.properties for c in run.cases)]
        for name, value in properties.items()
        if _MEMORY_NAME.search(name) and (size := memory_value(name, value)) is not None
    ]


def memory_value(name: str, value: str) -> float | None:
    """Bytes from a memory property; the unit is in the value ("231.5 MB") or the name."""
    unit = _UNIT_IN_NAME.search(name)
    return parse_size(value, unit_hint=unit.group(1) if unit else None)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}%".replace(".0%", "%")
