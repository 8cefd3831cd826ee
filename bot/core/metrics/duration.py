"""The duration metric ("suite under 2 minutes"): its reading, rule and judge. Pure: no I/O."""

from __future__ import annotations

import re

from bot.core.metrics import scopes, units
from bot.core.metrics.base import (
    COMPARATOR,
    STRICT_UPPER_BOUND,
    UPPER_BOUND_WORDS,
    DurationScope,
    Metric,
    MetricKind,
    RunView,
    Status,
    Verdict,
    compare,
)
from bot.core.results import Outcome
from bot.errors import RuleError

KIND = MetricKind.DURATION
RULE_WORD = "duration"
RULE_ARGUMENTS = "each|mean|total [SELECTOR] CMP TIME [passing]"

_NEGATED_LOWER = (
    r"\b(?:no|none|not|never)\b[^.;]*?"
    r"(?:above|over|longer than|slower than|more than|exceed(?:s|ing)?)"
)
# Both read lowered text: "under 2 minutes", "no single test above 3 s".
_BOUNDED_TIME = re.compile(UPPER_BOUND_WORDS + r"\s*" + units.TIME.pattern)
_NEGATED_TIME = re.compile(_NEGATED_LOWER + r"\s*" + units.TIME.pattern)
_MEAN_WORDS = re.compile(r"\b(average|mean|avg)\b")
_TOTAL_WORDS = re.compile(r"\b(suite|total|whole|overall|test run|tier)\b")
# "< 5 minute execution time", "Execution time under 30s": a plan's run time, when the item
# names nothing else whose time it could be ("query execution time" is a query's).
_RUN_TIME = re.compile(
    r"^\W*(?:(?:reduce|cut|keep|total|overall)\s+)?(?:the\s+)?(?:execution|run)\s*time\b|"
    r"^\W*(?:<|≤|<=|under|below)\s*\d+(?:\.\d+)?\s*[a-z]+\s+(?:execution|run)\s*time\W*$"
)
_EACH_WORDS = re.compile(r"\bper test\b|\beach\b|\bsingle\b|\bevery\b")
# "E2E tests complete in < 10 min", "all tests pass in under 2 minutes": the tests together.
_SUITE_VERB = re.compile(
    r"\btests\s+(?:\w+\s+){0,2}?(?:complete|finish|run|execute|pass)\s+(?:\w+\s+){0,2}?"
    r"(?:in|within|under|below)\b"
)
# The tests must pass as well as be fast: "All Tier 1 tests pass in <5 min".
_PASSING = re.compile(r"\b(?:pass|passes|passing|green)\b")
# A time is a test's only when the item says so: "execution time < 30 s" names no tests.
_TEST_WORDS = re.compile(r"\btests?\b")
_RULE = re.compile(
    r"(each|mean|total)\s+(?:(\S+)\s+)?" + COMPARATOR + r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)"
    r"(\s+passing)?",
    re.I,
)
# A CI job's or pipeline's time holds setup and waiting too: test durations cannot bound it.
_WALL_CLOCK = re.compile(r"\b(?:jobs?|pipelines?|workflows?|builds?)\b")
# A limit a test asserts ("performance test passes (<25 ms threshold)") is not its duration.
_ASSERTED = re.compile(r"\bthreshold\b|\bassert\w*\b")


def recognise(text: str) -> Metric | None:
    """The metric of an item that bounds test or suite time from above, else None."""
    lowered = text.lower().replace("-second", " second").replace("-minute", " minute")
    lowered = re.sub(r"\b(within|under|below) (?:the|a|an) ", r"\1 ", lowered)
    match = _BOUNDED_TIME.search(lowered) or _NEGATED_TIME.search(lowered)
    if match is None or _ASSERTED.search(lowered) or _WALL_CLOCK.search(lowered):
        return None
    seconds = units.parse_seconds(match.group(1), match.group(2))
    selector = scopes.scope_of(text)
    scope = _scope(lowered) or (DurationScope.EACH if selector else None)
    if scope is None:
        return None
    if scopes.is_group(selector) and scope is not DurationScope.MEAN:
        # "E2E suite under 10 minutes": the whole run's slowest test and total bound the
        # group's from above, so reading the whole run can never tick it wrongly. A mean
        # has no such order: it stays the group's.
        selector = None
    strict = STRICT_UPPER_BOUND.search(lowered[: match.start(1)])
    return Metric(
        KIND,
        threshold=seconds,
        comparison="<" if strict else "<=",
        scope=scope,
        selector=selector,
        passing=_PASSING.search(lowered[: match.start()]) is not None,
    )


def _scope(lowered: str) -> DurationScope | None:
    if _MEAN_WORDS.search(lowered):
        return DurationScope.MEAN
    if _EACH_WORDS.search(lowered) is None and (
        _TOTAL_WORDS.search(lowered) or _SUITE_VERB.search(lowered) or _RUN_TIME.search(lowered)
    ):
        return DurationScope.TOTAL
    if _TEST_WORDS.search(lowered) and (
        _EACH_WORDS.search(lowered) or not _TOTAL_WORDS.search(lowered)
    ):
        return DurationScope.EACH
    return None


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `duration` rule from the words after `duration`; raises `RuleError`."""
    match = _RULE.fullmatch(arguments.strip())
    if match is None:
        raise RuleError(f"duration rule {arguments!r}: expected e.g. `duration each <= 0.5s`")
    try:
        seconds = units.parse_seconds(match.group(4), match.group(5))
    except KeyError:
        raise RuleError(
            f"duration rule {arguments!r}: unknown time unit {match.group(5)!r}"
        ) from None
    return Metric(
        KIND,
        selector=match.group(2),
        threshold=seconds,
        comparison=match.group(3),
        scope=DurationScope(match.group(1).lower()),
        passing=match.group(6) is not None,
        source="rule",
    )


def judge(metric: Metric, run: RunView) -> Verdict:
    """The slowest, mean or total test time (by scope) against the threshold; skips don't count.

    A metric that says the tests pass too is unmet while any of them fails, however fast.
    """
    chosen = run.index.select(metric.selector) if metric.selector else run.cases
    where = f" of `{metric.selector}`" if metric.selector else ""
    if metric.passing:
        failing = sum(c.outcome in (Outcome.FAILED, Outcome.ERROR) for c in chosen)
        if failing:
            return Verdict(Status.UNMET, f"{units.plural(failing, 'test')}{where} failing")
    timed = [c for c in chosen if c.duration is not None and c.outcome is not Outcome.SKIPPED]
    if not timed:
        return Verdict(Status.UNKNOWN, f"no test durations{where} in this run")
    durations = [c.duration for c in timed if c.duration is not None]
    assert metric.threshold is not None
    limit = units.format_seconds(metric.threshold)
    if metric.scope is DurationScope.MEAN:
        value = sum(durations) / len(durations)
        evidence = f"mean {units.format_seconds(value)} {metric.comparison} {limit}"
    elif metric.scope is DurationScope.TOTAL:
        value = sum(durations)
        evidence = f"total {units.format_seconds(value)} {metric.comparison} {limit}"
    else:
        slowest = max(timed, key=lambda c: c.duration or 0.0)
        value = slowest.duration or 0.0
        shown = f"{units.format_seconds(value)} ({slowest.name})"
        evidence = f"slowest {shown} {metric.comparison} {limit}"
    return Verdict.met_if(compare(value, metric), evidence)
