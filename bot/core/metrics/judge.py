"""Evaluate one metric against one run: a status and the evidence behind it.

Pure module: no I/O. Numbers come from the run's data, never from the issue's prose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from bot.core import testnames
from bot.core.metrics import reading
from bot.core.metrics.reading import DurationScope, Metric, MetricKind
from bot.core.results import CaseResult, Outcome, SuiteResult

_MEMORY_NAME = re.compile(r"mem|rss|heap", re.I)
_UNIT_IN_NAME = re.compile(r"(?:^|[_\-.\s(])(kib|mib|gib|kb|mb|gb|bytes|b)\)?$", re.I)


class Status(StrEnum):
    """What a run says about a checklist item."""

    MET = "met"
    UNMET = "unmet"
    UNKNOWN = "unknown"  # the run carries no evidence either way
    MANUAL = "manual"  # not machine-checkable; never ticked by the bot


@dataclass(frozen=True, slots=True)
class Verdict:
    """A metric's status on one run, with the evidence in words."""

    status: Status
    evidence: str


@dataclass(frozen=True)
class RunView:
    """The parts of a run a metric reads; ignored tests are already left out of `cases`.

    Derived views (selector index, word sets) are computed once and shared by every metric.
    """

    cases: Sequence[CaseResult]
    suites: Sequence[SuiteResult] = ()
    flaky: frozenset[str] = frozenset()  # test ids known to be flaky: their passes prove nothing

    @cached_property
    def index(self) -> testnames.CaseIndex:
        """The cases indexed for selector lookups."""
        return testnames.CaseIndex(self.cases)

    @cached_property
    def failing(self) -> list[CaseResult]:
        """Failed and errored cases."""
        return [c for c in self.cases if c.outcome in (Outcome.FAILED, Outcome.ERROR)]

    @cached_property
    def identity_vocabulary(self) -> frozenset[str]:
        """Every word of every case's file, class, suite and name."""
        return frozenset(word for c in self.cases for word in _identity_words(c))


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
    return Verdict(Status.MET if met else Status.UNMET, evidence)


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
    met = reading.compare(rate, metric)
    if met and run.flaky:
        steady = sum(c.outcome is Outcome.PASSED and c.test_id not in run.flaky for c in executed)
        if not reading.compare(steady / len(executed), metric):
            return Verdict(Status.UNKNOWN, f"{evidence}, but only with flaky passes")
    return _verdict(met, evidence)


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
    return _verdict(reading.compare(peak, metric), evidence)


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
    return _verdict(reading.compare(value, metric), evidence)


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
    related = sum(_mentions(_identity_words(c), words, need=1) for c in run.cases)
    return Verdict(Status.MET, f"0 failures about “{topic}” in {related} related tests")


def _mentions(found: set[str], words: Sequence[str], *, need: int | None = None) -> bool:
    """Enough of the metric's words appear (all of them when there are one or two)."""
    wanted = need if need is not None else min(len(words), 2)
    return sum(word in found for word in words) >= wanted


def _words(text: str) -> set[str]:
    tokens = re.findall(r"[a-z][a-z0-9]+", text.lower().replace("_", " "))
    return {reading.stem(t) for t in tokens}


def _identity_words(case: CaseResult) -> set[str]:
    return _words(" ".join(filter(None, (case.file, case.classname, case.suite, case.name))))


def _failure_words(case: CaseResult) -> set[str]:
    text = " ".join(filter(None, (case.message, case.failure_type, case.name)))
    return _words(text)


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
    return reading.parse_size(value, unit_hint=unit.group(1) if unit else None)


def _verdict(ok: bool, evidence: str) -> Verdict:
    return Verdict(Status.MET if ok else Status.UNMET, evidence)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}%".replace(".0%", "%")


def format_bytes(size: float) -> str:
    """231.5 MB style, in binary units as CI tools report them."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}".replace(".0 ", " ")
    return f"{size:.0f} B"


def format_seconds(seconds: float) -> str:
    """0.16s, 2.5 min."""
    if seconds >= 120:
        return f"{seconds / 60:.1f} min".replace(".0 ", " ")
    return f"{seconds:.2f}".rstrip("0").rstrip(".") + "s"
