"""The peak-memory metric ("memory under 250MB"): its reading, rule and judge. Pure: no I/O."""

from __future__ import annotations

import re

from bot.core.metrics import units
from bot.core.metrics.base import (
    COMPARATOR,
    STRICT_UPPER_BOUND,
    UPPER_BOUND_WORDS,
    Metric,
    MetricKind,
    RunView,
    Status,
    Verdict,
    compare,
)
from bot.errors import RuleError

KIND = MetricKind.PEAK_MEMORY
RULE_WORD = "memory"
RULE_ARGUMENTS = "CMP SIZE"

MEMORY_WORDS = re.compile(r"\b(memory|mem|rss|heap|ram)\b", re.I)
_BOUNDED_SIZE = re.compile(UPPER_BOUND_WORDS + r"\s*" + units.SIZE.pattern, re.I)
_RULE = re.compile(COMPARATOR + r"\s*(.+)")
_MEMORY_NAME = re.compile(r"mem|rss|heap", re.I)
_UNIT_IN_NAME = re.compile(r"(?:^|[_\-.\s(])(kib|mib|gib|kb|mb|gb|bytes|b)\)?$", re.I)


def recognise(text: str) -> Metric | None:
    """The metric of an item that bounds memory by a size from above, else None."""
    if not MEMORY_WORDS.search(text):
        return None
    match = _BOUNDED_SIZE.search(text)
    if match is None:
        return None
    size = units.parse_bytes(match.group(1), match.group(2))
    comparison = "<" if STRICT_UPPER_BOUND.search(text[: match.start(1)]) else "<="
    return Metric(KIND, threshold=size, comparison=comparison)


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `memory` rule from the words after `memory`; raises `RuleError`."""
    match = _RULE.fullmatch(arguments.strip())
    size = units.parse_size(match.group(2)) if match else None
    if match is None or size is None:
        raise RuleError(f"memory rule {arguments!r}: expected e.g. `memory <= 250MB`")
    return Metric(KIND, threshold=size, comparison=match.group(1), source="rule")


def judge(metric: Metric, run: RunView) -> Verdict:
    """The run's largest memory figure against the threshold; UNKNOWN if it reports none."""
    figures = memory_figures(run)
    if not figures:
        return Verdict(Status.UNKNOWN, "no memory figures in this run")
    peak = max(figures)
    assert metric.threshold is not None
    limit = units.format_bytes(metric.threshold)
    evidence = f"peak {units.format_bytes(peak)} {metric.comparison} {limit}"
    return Verdict.met_if(compare(peak, metric), evidence)


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
    return units.parse_size(value, unit_hint=unit.group(1) if unit else None)
