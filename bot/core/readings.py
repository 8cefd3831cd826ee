"""How the checklist is read: each item's reading in words, where it came from, or why not.

Pure module: no I/O. People see this in the summary comment, `remediation-bot plan` and the
dashboard, so a misreading is caught and corrected in one command (`/remediation rule`).
For a manual item whose words come close to a measurable one, `suggest` proposes an explicit
rule; it stays silent for items about other subjects (logs, coverage, services, ...), since
no run proves those, and every rule it proposes is one `parse_rule` accepts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.core.items import GROUP_REASON
from bot.core.metrics import UNRECOGNISED, parse_rule, recognise, why_manual
from bot.core.metrics.base import DurationScope, Metric, MetricKind
from bot.core.metrics.peak_memory import MEMORY_WORDS
from bot.core.metrics.units import SIZE, TIME, format_bytes, format_seconds, parse_seconds
from bot.core.plan import Item, Plan
from bot.core.testnames import TEST_NAME, is_test_name, is_topic
from bot.errors import RuleError


class Origin(StrEnum):
    """Where an item's reading comes from."""

    TEXT = "read from the text"
    COMMENT = "rule in the item's comment"
    CONFIG = "rule from .github/remediation.yml"
    COMMAND = "rule set by command"


@dataclass(frozen=True, slots=True)
class Reading:
    """One item as the bot reads it."""

    index: int
    text: str
    reading: str | None  # the metric in words; None for a manual item
    origin: Origin | None  # where the reading (or the rule that made it manual) came from
    reason: str | None = None  # a manual item: why a run cannot prove it
    suggestion: str | None = None  # a manual item: an explicit rule that would measure it

    @property
    def words(self) -> str:
        """The reading and its origin, or the reason an item is manual, as one phrase."""
        if self.reading is not None:
            return f"{self.reading} ({self.origin or Origin.TEXT})"
        reason = self.reason or "not machine-checkable"
        if self.origin is not None and self.origin is not Origin.TEXT:
            reason += f" ({self.origin})"
        return f"manual: {reason}"

    def as_dict(self) -> dict[str, Any]:
        """The `reading` and `suggested_rule` keys an item of `plan --json` gains."""
        return {"reading": self.words, "suggested_rule": self.suggestion}


_SYMBOLS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}


def read(plan: Plan, origins: Mapping[int, Origin] | None = None) -> tuple[Reading, ...]:
    """Every item's reading; `origins` says which rules came from the repository or a command."""
    return tuple(_reading(item, (origins or {}).get(item.index)) for item in plan.items)


def _reading(item: Item, origin: Origin | None) -> Reading:
    if item.rule is not None and origin is None:
        origin = Origin.COMMENT
    if item.metric is not None:
        return Reading(item.index, item.text, describe(item.metric), origin or Origin.TEXT)
    suggestion = suggest(item.text) if item.rule is None else None
    if item.rule is None and (item.manual_reason or "").startswith(GROUP_REASON):
        suggestion = _group_rule(item.text)  # the group as a folder, for a person to confirm
    return Reading(item.index, item.text, None, origin, item.manual_reason, suggestion)


def _group_rule(text: str) -> str | None:
    """ "Critical tests: >90% pass rate" -> `pass-rate critical/ > 90%`."""
    metric = recognise(text)
    if metric is None or metric.selector is None:
        return None
    if metric.kind is MetricKind.PASS_RATE and metric.threshold is not None:
        percent = f"{metric.threshold * 100:g}"
        rule = f"pass-rate {metric.selector} {metric.comparison} {percent}%"
    elif metric.kind is MetricKind.TESTS_PASSING:
        rule = f"tests {metric.selector}" + (f" {metric.expected}" if metric.expected else "")
    else:
        return None
    return rule if _parses(rule) else None


def describe(metric: Metric) -> str:
    """A metric in words: "pass rate ≥ 95% over all tests", "each test ≤ 2s"."""
    bound = _SYMBOLS.get(metric.comparison, metric.comparison)
    threshold = metric.threshold or 0.0
    tests = _named(metric.selector) if metric.selector else "all tests"
    runs = f"{metric.runs} runs" if metric.runs else "the runs read"
    if metric.kind is MetricKind.PASS_RATE:
        return f"pass rate {bound} {_percent(threshold)} over {tests}"
    if metric.kind is MetricKind.TESTS_PASSING:
        expected = f" ({metric.expected} expected)" if metric.expected else ""
        where = f"{_named(metric.selector)}: " if metric.selector else "the whole run: "
        return f"{where}all tests pass{expected}"
    if metric.kind is MetricKind.PEAK_MEMORY:
        return f"peak memory {bound} {format_bytes(threshold)}"
    if metric.kind is MetricKind.DURATION:
        subject = {
            DurationScope.MEAN: "mean test time",
            DurationScope.TOTAL: "all tests together",
        }.get(metric.scope or DurationScope.EACH, "each test")
        subject += _in(metric)
        passing = ", all passing" if metric.passing else ""
        return f"{subject} {bound} {format_seconds(threshold)}{passing}"
    if metric.kind is MetricKind.STREAK:
        return f"{tests} pass in {runs} in a row"
    if metric.kind is MetricKind.WINDOW:
        return f"{tests} pass in at least {metric.expected} of {runs}"
    if metric.kind is MetricKind.NO_FLAKY:
        return f"no test{_in(metric)} flips between pass and fail over {runs}"
    if metric.kind is MetricKind.NO_NEW_FAILURES:
        return f"no test{_in(metric)} fails that passed in the first run read"
    within = f" in tests about {' '.join(metric.within)}" if metric.within else ""
    return (
        f"no failures mentioning {' '.join(metric.words)}{within}{_in(metric)} among related tests"
    )


def _in(metric: Metric) -> str:
    return f" of {_named(metric.selector)}" if metric.selector else ""


def _named(selector: str) -> str:
    """A selector as people read it: a topic ("security tests") says what it matches."""
    if "," in selector:
        return ", ".join(f"`{part}`" for part in selector.split(","))
    if is_topic(selector):
        words = selector.rstrip("/").replace("-", " ")
        return f"tests about “{words}” (`{selector}`: folder, file, class or name)"
    return f"`{selector}`"


_TEST_WORDS = re.compile(r"\b(?:tests?|suites?|specs?|pass\w*)\b", re.I)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b)", re.I)
_MEAN = re.compile(r"\b(?:average|mean|avg)\b", re.I)
_TOTAL = re.compile(r"\b(?:suite|total|whole|overall|all tests together)\b", re.I)
_CODE_SPAN = re.compile(r"`([^`]+)`")
_OUTCOME_WORDS = re.compile(
    r"\b(?:fix\w*|pass\w*|green|work\w*|succeed\w*|resolv\w*|repair\w*|ok)\b", re.I
)


def suggest(text: str) -> str | None:
    """An explicit rule for a manual item that comes close to a measurable one, else None."""
    if why_manual(text) != UNRECOGNISED:
        return None  # about logs, coverage, services, builds...: no run proves it
    for candidate in (_memory(text), _test_file(text), _pass_rate(text), _duration(text)):
        if candidate is not None and _parses(candidate):
            return candidate
    return None


def _memory(text: str) -> str | None:
    size = SIZE.search(text) if MEMORY_WORDS.search(text) else None
    return f"memory <= {size.group(1)}{size.group(2).upper()}" if size else None


def _test_file(text: str) -> str | None:
    if not _OUTCOME_WORDS.search(text):
        return None  # "refactor `test_helpers.py`" is not about its tests passing
    spans = [span.strip() for span in _CODE_SPAN.findall(text) if is_test_name(span.strip())]
    found = spans[0] if spans else (m.group(0) if (m := TEST_NAME.search(text)) else None)
    return f"tests {found}" if found and not any(c.isspace() for c in found) else None


def _pass_rate(text: str) -> str | None:
    percent = _PERCENT.search(text) if _TEST_WORDS.search(text) else None
    if percent is None or float(percent.group(1)) > 100:
        return None
    return f"pass-rate >= {percent.group(1)}%"


def _duration(text: str) -> str | None:
    time = TIME.search(text) if _TEST_WORDS.search(text) else None
    if time is None:
        return None
    scope = "mean" if _MEAN.search(text) else "total" if _TOTAL.search(text) else "each"
    return f"duration {scope} <= {parse_seconds(time.group(1), time.group(2)):g}s"


def _parses(rule: str) -> bool:
    try:
        parse_rule(rule)
    except RuleError:
        return False
    return True


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}%".replace(".0%", "%")
