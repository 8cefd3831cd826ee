"""Sizes and times: read from text in any common unit, formatted for reports. Pure: no I/O."""

from __future__ import annotations

import re

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
SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(kib|mib|gib|kb|mb|gb|k|m|g|bytes?|b)\b", re.I)
TIME = re.compile(
    r"(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|min|m|hours?|h)\b", re.I
)


def parse_size(value: str, *, unit_hint: str | None = None) -> float | None:
    """Bytes from "231.5 MB", "231.5" with a unit hint ("mb"), or a plain byte count."""
    match = SIZE.fullmatch(value.strip()) or re.fullmatch(_NUMBER, value.strip())
    if match is None:
        return None
    number = float(match.group(1))
    unit = match.group(2) if match.re is SIZE and match.lastindex == 2 else unit_hint
    return number * _SIZE_UNITS.get((unit or "b").lower(), 1)


def parse_bytes(amount: str, unit: str) -> float:
    """Bytes from an amount and a unit `SIZE` matched ("1.5", "GB")."""
    return float(amount) * _SIZE_UNITS[unit.lower()]


def parse_seconds(amount: str, unit: str) -> float:
    """Seconds from an amount and a unit word ("2", "minutes"); KeyError for an unknown unit."""
    return float(amount) * _TIME_UNITS[unit.lower()]


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


def plural(number: int, noun: str) -> str:
    """`1 run`, `3 runs`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


# "152/152", "33 of 33"
_FRACTION = re.compile(r"\b(\d+)\+?\s*(?:/|of)\s*(\d+)\b")
# "All 643 tests", "33 tests", "15個の…テスト"; not "Tier 1 tests" or "Phase 2 tests".
_COUNT = re.compile(
    r"(?<!tier )(?<!phase )(?<!stage )(?<!step )(?<!part )(?<!level )(?<!group )(?<!task )"
    r"\b(\d[\d,]*)\+?\s+(?:[a-z][\w-]*\s+){0,3}tests?\b|(\d+)\s*(?:個|个|개|件)|(\d+)\s*(?:テスト|测试|테스트)",
    re.I,
)


def count_of_tests(text: str) -> int | None:
    """The count an item expects: "152/152", "33 tests", or none."""
    fraction = _FRACTION.search(text)
    if fraction:
        return max(int(fraction.group(1)), int(fraction.group(2)))
    count = _COUNT.search(text)
    if count is None:
        return None
    return int(next(g for g in count.groups() if g).replace(",", ""))
