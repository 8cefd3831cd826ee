"""Checklist text -> Metric: which success criteria a machine can check, and how.

Pure module: no I/O. The natural-language reading is deliberately narrow: anything it does
not recognise is `manual` and is never ticked. A maintainer makes an item precise with an
explicit rule (see `bot.rules`), which always wins over the reading here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class MetricKind(StrEnum):
    """What a metric measures."""

    TESTS_PASSING = "tests_passing"
    PASS_RATE = "pass_rate"
    PEAK_MEMORY = "peak_memory"
    DURATION = "duration"
    ZERO_FAILURES = "zero_failures"


class DurationScope(StrEnum):
    """Which durations a duration metric bounds."""

    EACH = "each"  # every test ("<0.5s per test", "no single test above 3 s")
    MEAN = "mean"  # the average test ("average test under 200 ms")
    TOTAL = "total"  # the whole run ("suite under 2 minutes")


@dataclass(frozen=True, slots=True)
class Metric:
    """A machine-checkable predicate over one run."""

    kind: MetricKind
    selector: str | None = None  # TESTS_PASSING: the file, suite, class or test id named
    expected: int | None = None  # TESTS_PASSING: "5/5" expects 5 passing; None means all
    threshold: float | None = None  # fraction (pass rate), bytes (memory) or seconds
    comparison: str = "<="  # one of <, <=, >, >=: measured value against threshold
    scope: DurationScope | None = None
    words: tuple[str, ...] = field(default=())  # ZERO_FAILURES: the kind of failure
    source: str = "text"  # "text" (read from the item) or "rule" (written by a maintainer)

    def as_dict(self) -> dict[str, Any]:
        """The `metric` object of `plan --json`."""
        data = asdict(self)
        data["words"] = list(self.words)
        if self.threshold is None:
            del data["comparison"]
        return {key: value for key, value in data.items() if value not in (None, [], ())}


COMPARISONS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}

_SIZE_UNITS = {
    "b": 1,
    "byte": 1,
    "bytes": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
}
_TIME_UNITS = {
    "ms": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}

_NUMBER = r"(\d+(?:\.\d+)?)"
_UPPER_WORDS = (
    r"(?:<=|≤|<|under|below|less than|at most|no more than|within|not exceed(?:ing)?|max(?:imum)?)"
)
_LOWER_WORDS = r"(?:>=|≥|>|at least|above|over|more than|no less than|min(?:imum)?)"

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
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(kib|mib|gib|kb|mb|gb|k|m|g|bytes?|b)\b", re.I)
_DURATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|min|m|hours?|h)\b", re.I
)
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
    if re.search(_UPPER_WORDS + r"\s*$", before):
        return None  # "failures under 5%" is not a pass rate
    comparison = ">" if re.search(r"(?:>|above|over|more than)\s*$", before) else ">="
    return Metric(MetricKind.PASS_RATE, threshold=value, comparison=comparison)


def _peak_memory(text: str) -> Metric | None:
    if not _MEMORY_WORDS.search(text):
        return None
    match = re.search(_UPPER_WORDS + r"\s*" + _SIZE.pattern, text, re.I)
    if match is None:
        return None
    size = float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    comparison = (
        "<" if re.search(r"(?:<(?!=)|below|less than)\s*$", text[: match.start(1)]) else "<="
    )
    return Metric(MetricKind.PEAK_MEMORY, threshold=size, comparison=comparison)


_NEGATED_LOWER = (
    r"\b(?:no|none|not|never)\b[^.;]*?(?:above|over|longer than|more than|exceed(?:s|ing)?)"
)


def _duration(text: str) -> Metric | None:
    lowered = text.lower()
    match = re.search(_UPPER_WORDS + r"\s*" + _DURATION.pattern, lowered) or re.search(
        _NEGATED_LOWER + r"\s*" + _DURATION.pattern, lowered
    )
    if match is None:
        return None
    seconds = float(match.group(1)) * _TIME_UNITS[match.group(2)]
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
    strict = re.search(r"(?:<(?!=)|below|less than)\s*$", lowered[: match.start(1)])
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


def stem(word: str) -> str:
    """A crude plural-folding stem, enough to match "violations" with "violation"."""
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def parse_size(value: str, *, unit_hint: str | None = None) -> float | None:
    """Bytes from "231.5 MB", "231.5" with a unit hint ("mb"), or a plain byte count."""
    match = _SIZE.fullmatch(value.strip()) or re.fullmatch(_NUMBER, value.strip())
    if match is None:
        return None
    number = float(match.group(1))
    unit = match.group(2) if match.re is _SIZE and match.lastindex == 2 else unit_hint
    return number * _SIZE_UNITS.get((unit or "b").lower(), 1)


def parse_seconds(amount: str, unit: str) -> float:
    """Seconds from an amount and a unit word ("2", "minutes")."""
    return float(amount) * _TIME_UNITS[unit.lower()]


def compare(measured: float, metric: Metric) -> bool:
    """Whether a measured value satisfies the metric's threshold."""
    assert metric.threshold is not None
    return bool(COMPARISONS[metric.comparison](measured, metric.threshold))
