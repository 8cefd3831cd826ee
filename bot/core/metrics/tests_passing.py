"""The tests-passing metric ("`test_x.py`: 5/5 passing"): reading, rule, judge. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.metrics.base import Metric, MetricKind, RunView, Status, Verdict
from bot.core.results import Outcome
from bot.errors import RuleError

KIND = MetricKind.TESTS_PASSING
RULE_WORD = "tests"
RULE_ARGUMENTS = "SELECTOR [N[/M]]"  # all tests matching SELECTOR pass, at least N of them

_FRACTION = re.compile(r"\b(\d+)\s*(?:/|of)\s*(\d+)\b")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_TEST_TOKEN = re.compile(
    r"(?:[\w./-]*\b(?:test_\w+|\w+_test|\w+Tests?|\w+Spec)(?:\.\w+)+(?:::\w+)*"
    r"|[\w./-]+\.(?:spec|test)\.[jt]sx?|\b[A-Z]\w*Tests?\b)"
)
_PASS_WORDS = re.compile(
    r"\b(pass|passes|passing|passed|green|succeed|succeeds|succeeding)\b", re.I
)
_RULE = re.compile(r"(\S+)(?:\s+(\d+)(?:/(\d+))?)?(?:\s+pass(?:ing)?)?")


def recognise(text: str) -> Metric | None:
    """The metric of an item that names tests and says they pass, else None."""
    if not _PASS_WORDS.search(text) or "%" in text:
        return None
    selector = _selector(text)
    if selector is None:
        return None
    fraction = _FRACTION.search(_CODE_SPAN.sub(" ", text))
    if fraction:
        passing, total = int(fraction.group(1)), int(fraction.group(2))
        return Metric(KIND, selector=selector, expected=max(passing, total))
    if re.search(r"\ball\b|\bevery\b", text, re.I) or re.search(
        re.escape(selector) + r"`?\s*(?::|\()?\s*(?:tests?\s+)?(?:pass|passes|passing|green)", text
    ):
        return Metric(KIND, selector=selector)
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


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `tests` rule from the words after `tests`; raises `RuleError`."""
    match = _RULE.fullmatch(arguments.strip())
    if match is None:
        raise RuleError(f"tests rule {arguments!r}: expected `tests SELECTOR [N[/M]]`")
    expected = int(match.group(2)) if match.group(2) else None
    return Metric(KIND, selector=match.group(1), expected=expected, source="rule")


def judge(metric: Metric, run: RunView) -> Verdict:
    """MET if every selected test passes, as many as expected; UNKNOWN if none or a flaky pass."""
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


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    verb = "is" if len(names) == 1 else "are"
    return f"{shown}{more} {verb}"
