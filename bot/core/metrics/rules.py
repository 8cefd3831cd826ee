"""Explicit metric rules: the small grammar maintainers use to make an item precise.

Pure module: no I/O. A rule is written on the checklist item itself as an HTML comment,
invisible on GitHub (`- [ ] Fast enough <!-- remediation: duration each <= 0.5s -->`),
or in `.github/remediation.yml`. It always overrides the natural-language reading.

    rule     := "manual"
              | "tests" SELECTOR [COUNT]              all tests matching SELECTOR pass
              | "pass-rate" CMP PERCENT                e.g. pass-rate >= 97%
              | "memory" CMP SIZE                      e.g. memory <= 250MB
              | "duration" SCOPE CMP TIME              SCOPE: each | mean | total
              | "zero" WORD...                         no failure mentions these words
    COUNT    := N | N/M                                at least N passing (M is informative)
    CMP      := "<" | "<=" | ">" | ">="
"""

from __future__ import annotations

import re

from bot.core.metrics.base import COMPARATOR, DurationScope, Metric, MetricKind, stem
from bot.core.metrics.units import parse_seconds, parse_size
from bot.errors import RuleError

RULE_PREFIX = "remediation:"
USAGE = (
    "manual | tests SELECTOR [N[/M]] | pass-rate CMP N% | memory CMP SIZE | "
    "duration each|mean|total CMP TIME | zero WORD..."
)


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
        raise RuleError(f"empty rule; expected one of: {USAGE}")
    head, rest = words[0].lower(), " ".join(words[1:])
    if head == "manual" and not rest:
        return None
    readers = {
        "tests": _tests,
        "pass-rate": _pass_rate,
        "memory": _memory,
        "duration": _duration,
        "zero": _zero,
    }
    reader = readers.get(head)
    if reader is None:
        raise RuleError(f"unknown rule {head!r}; expected one of: {USAGE}")
    return reader(rest)


def _tests(rest: str) -> Metric:
    match = re.fullmatch(r"(\S+)(?:\s+(\d+)(?:/(\d+))?)?(?:\s+pass(?:ing)?)?", rest.strip())
    if match is None:
        raise RuleError(f"tests rule {rest!r}: expected `tests SELECTOR [N[/M]]`")
    expected = int(match.group(2)) if match.group(2) else None
    return Metric(
        MetricKind.TESTS_PASSING, selector=match.group(1), expected=expected, source="rule"
    )


def _pass_rate(rest: str) -> Metric:
    match = re.fullmatch(COMPARATOR + r"\s*(\d+(?:\.\d+)?)\s*%", rest.strip())
    if match is None:
        raise RuleError(f"pass-rate rule {rest!r}: expected e.g. `pass-rate >= 97%`")
    return Metric(
        MetricKind.PASS_RATE,
        threshold=float(match.group(2)) / 100,
        comparison=match.group(1),
        source="rule",
    )


def _memory(rest: str) -> Metric:
    match = re.fullmatch(COMPARATOR + r"\s*(.+)", rest.strip())
    size = parse_size(match.group(2)) if match else None
    if match is None or size is None:
        raise RuleError(f"memory rule {rest!r}: expected e.g. `memory <= 250MB`")
    return Metric(MetricKind.PEAK_MEMORY, threshold=size, comparison=match.group(1), source="rule")


def _duration(rest: str) -> Metric:
    match = re.fullmatch(
        r"(each|mean|total)\s+" + COMPARATOR + r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)", rest.strip(), re.I
    )
    if match is None:
        raise RuleError(f"duration rule {rest!r}: expected e.g. `duration each <= 0.5s`")
    try:
        seconds = parse_seconds(match.group(3), match.group(4))
    except KeyError:
        raise RuleError(f"duration rule {rest!r}: unknown time unit {match.group(4)!r}") from None
    return Metric(
        MetricKind.DURATION,
        threshold=seconds,
        comparison=match.group(2),
        scope=DurationScope(match.group(1).lower()),
        source="rule",
    )


def _zero(rest: str) -> Metric:
    words = tuple(stem(w) for w in re.findall(r"[a-z0-9_]+", rest.lower()))
    if not words:
        raise RuleError("zero rule: name the kind of failure, e.g. `zero deadlock`")
    return Metric(MetricKind.ZERO_FAILURES, words=words, source="rule")
