"""Checklist text -> Metric: which success criteria a machine can check, and how.

Pure module: no I/O. The natural-language reading is deliberately narrow: anything it does
not recognise is `manual` and is never ticked. A maintainer makes an item precise with an
explicit rule (see `bot.rules`), which always wins over the reading here.
"""

from __future__ import annotations

import re

from bot.core.metrics import units
from bot.core.metrics.base import (
    STRICT_UPPER_BOUND,
    UPPER_BOUND_WORDS,
    DurationScope,
    Metric,
    MetricKind,
    stem,
)

_FRACTION = re.compile(r"\b(\d+)\s*(?:/|of)\s*(\d+)\b")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_TEST_TOKEN = re.compile(
    r"(?:[\w./-]*\b(?:test_\w+|\w+_test|\w+Tests?|\w+Spec)(?:\.\w+)+(?:::\w+)*"
    r"|[\w./-]+\.(?:spec|test)\.[jt]sx?|\b[A-Z]\w*Tests?\b)"
)
_PASS_WORDS = re.compile(
    r"\b(pass|passes|passing|passed|green|succeed|succeeds|succeeding)\b", re.I
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*(\+)?")
_MEMORY_WORDS = re.compile(r"\b(memory|mem|rss|heap|ram)\b", re.I)
_ZERO = re.compile(r"^\s*(?:zero|no|0)\s+(.+)$", re.I)
_STOP_WORDS = frozenset(
    (
        "a an the of in on for to with under during while when at by from and or any all "
        "errors error failures failure issues issue problems problem cases case tests test "
        "concurrent load remaining new more"
    ).split()
)


def recognise(text: str) -> Metric | None:
    """Read a checklist item's text as a metric, or None when it is not machine-checkable."""
    plain = text.replace("**", "").replace("__", "")
    for reader in (_tests_passing, _pass_rate, _peak_memory, _duration, _zero_failures):
        metric = reader(plain)
        if metric is not None:
            return metric
    return None


def _selector(text: str) -> str | None:
    spans: list[str] = _CODE_SPAN.findall(text)
    for span in spans:
        if _TEST_TOKEN.search(span) or "/" in span or "." in span:
            return span.strip()
    if spans:
        return spans[0].strip()
    found = _TEST_TOKEN.search(text)
    return str(found.group(0)) if found else None


def _tests_passing(text: str) -> Metric | None:
    if not _PASS_WORDS.search(text) or "%" in text:
        return None
    selector = _selector(text)
    if selector is None:
        return None
    fraction = _FRACTION.search(_CODE_SPAN.sub(" ", text))
    if fraction:
        passing, total = int(fraction.group(1)), int(fraction.group(2))
        return Metric(MetricKind.TESTS_PASSING, selector=selector, expected=max(passing, total))
    if re.search(r"\ball\b|\bevery\b", text, re.I) or re.search(
        re.escape(selector) + r"`?\s*(?::|\()?\s*(?:tests?\s+)?(?:pass|passes|passing|green)", text
    ):
        return Metric(MetricKind.TESTS_PASSING, selector=selector)
    return None


def _pass_rate(text: str) -> Metric | None:
    match = _PERCENT.search(text)
    if match is None or _MEMORY_WORDS.search(text):
        return None
    context = text.lower()
    if not (match.group(2) or re.search(r"pass|success|green|rate", context)):
        return None
    value = float(match.group(1)) / 100
    before = context[: match.start()]
    if re.search(UPPER_BOUND_WORDS + r"\s*$", before):
        return None  # "failures under 5%" is not a pass rate
    comparison = ">" if re.search(r"(?:>|above|over|more than)\s*$", before) else ">="
    return Metric(MetricKind.PASS_RATE, threshold=value, comparison=comparison)


def _peak_memory(text: str) -> Metric | None:
    if not _MEMORY_WORDS.search(text):
        return None
    match = re.search(UPPER_BOUND_WORDS + r"\s*" + units.SIZE.pattern, text, re.I)
    if match is None:
        return None
    size = units.parse_bytes(match.group(1), match.group(2))
    comparison = "<" if STRICT_UPPER_BOUND.search(text[: match.start(1)]) else "<="
    return Metric(MetricKind.PEAK_MEMORY, threshold=size, comparison=comparison)


_NEGATED_LOWER = (
    r"\b(?:no|none|not|never)\b[^.;]*?(?:above|over|longer than|more than|exceed(?:s|ing)?)"
)


def _duration(text: str) -> Metric | None:
    lowered = text.lower()
    match = re.search(UPPER_BOUND_WORDS + r"\s*" + units.TIME.pattern, lowered) or re.search(
        _NEGATED_LOWER + r"\s*" + units.TIME.pattern, lowered
    )
    if match is None:
        return None
    seconds = units.parse_seconds(match.group(1), match.group(2))
    if re.search(r"\b(average|mean|avg)\b", lowered):
        scope = DurationScope.MEAN
    elif re.search(
        r"\b(suite|total|whole|overall|run|pipeline|build)\b", lowered
    ) and not re.search(r"\bper test\b|\beach\b|\bsingle\b|\bevery\b", lowered):
        scope = DurationScope.TOTAL
    elif re.search(r"\bper test\b|\beach\b|\bsingle\b|\bevery\b|\btests?\b|time|duration", lowered):
        scope = DurationScope.EACH
    else:
        return None
    strict = STRICT_UPPER_BOUND.search(lowered[: match.start(1)])
    return Metric(
        MetricKind.DURATION, threshold=seconds, comparison="<" if strict else "<=", scope=scope
    )


def _zero_failures(text: str) -> Metric | None:
    match = _ZERO.match(text)
    if match is None:
        return None
    words = significant_words(match.group(1))
    if not words:
        return None
    return Metric(MetricKind.ZERO_FAILURES, words=words)


def significant_words(text: str) -> tuple[str, ...]:
    """The words that name a kind of failure, without filler ("under concurrent load")."""
    head = re.split(r"\b(?:under|during|while|when|across|in|on|with)\b", text.lower())[0]
    tokens = re.findall(r"[a-z][a-z0-9_]+", head)
    return tuple(dict.fromkeys(stem(t) for t in tokens if t not in _STOP_WORDS))
