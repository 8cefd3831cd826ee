"""What every metric kind shares: the metric, its verdict, the run it reads. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from bot.core import testnames
from bot.core.results import CaseResult, Outcome, SuiteResult


class MetricKind(StrEnum):
    """What a metric measures."""

    TESTS_PASSING = "tests_passing"
    PASS_RATE = "pass_rate"
    PEAK_MEMORY = "peak_memory"
    DURATION = "duration"
    ZERO_FAILURES = "zero_failures"
    # Over several runs: the newest run and the qualifying runs before it.
    STREAK = "streak"
    WINDOW = "window"
    NO_FLAKY = "no_flaky"
    NO_NEW_FAILURES = "no_new_failures"


class DurationScope(StrEnum):
    """Which durations a duration metric bounds."""

    EACH = "each"  # every test ("<0.5s per test", "no single test above 3 s")
    MEAN = "mean"  # the average test ("average test under 200 ms")
    TOTAL = "total"  # the whole run ("suite under 2 minutes")


@dataclass(frozen=True, slots=True)
class Metric:
    """A machine-checkable predicate over one run, or over the newest `runs` runs."""

    kind: MetricKind
    selector: str | None = None  # the file, suite, class or test id named (None: every test)
    expected: int | None = None  # TESTS_PASSING: "5/5" expects 5 passing; WINDOW: runs green
    runs: int | None = None  # STREAK, WINDOW, NO_FLAKY: how many of the newest runs it spans
    threshold: float | None = None  # fraction (pass rate), bytes (memory) or seconds
    comparison: str = "<="  # one of <, <=, >, >=: measured value against threshold
    scope: DurationScope | None = None
    words: tuple[str, ...] = field(default=())  # ZERO_FAILURES: the kind of failure
    within: tuple[str, ...] = field(default=())  # ZERO_FAILURES: words naming its tests
    passing: bool = False  # DURATION: the timed tests must pass too ("all pass in < 5 min")
    source: str = "text"  # "text" (read from the item) or "rule" (written by a maintainer)

    def as_dict(self) -> dict[str, Any]:
        """The `metric` object of `plan --json`."""
        data = asdict(self)
        data["words"] = list(self.words)
        data["within"] = list(self.within)
        if self.threshold is None:
            del data["comparison"]
        if not self.passing:
            del data["passing"]
        return {key: value for key, value in data.items() if value not in (None, [], ())}


_COMPARISONS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def compare(measured: float, metric: Metric) -> bool:
    """Whether a measured value satisfies the metric's threshold."""
    assert metric.threshold is not None
    return bool(_COMPARISONS[metric.comparison](measured, metric.threshold))


# Pattern fragments the readings and the rules of several kinds share.
UPPER_BOUND_WORDS = (
    r"(?:<=|≤|<|under|below|less than|at most|no more than|within|not exceed(?:ing)?|max(?:imum)?)"
)
STRICT_UPPER_BOUND = re.compile(r"(?:<(?!=)|below|less than)\s*$")  # at the end of the text
COMPARATOR = r"(<=|>=|<|>)"  # a rule's CMP


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

    @classmethod
    def met_if(cls, ok: bool, evidence: str) -> Verdict:
        """MET when `ok`, else UNMET."""
        return cls(Status.MET if ok else Status.UNMET, evidence)


@dataclass(frozen=True)
class RunView:
    """The parts of a run a metric reads; ignored tests are already left out of `cases`.

    Derived views (selector index, word sets) are computed once and shared by every metric.
    """

    cases: Sequence[CaseResult]
    suites: Sequence[SuiteResult] = ()
    flaky: frozenset[str] = frozenset()  # test ids known to be flaky: their passes prove nothing
    earlier_failures: Sequence[CaseResult] = ()  # failing cases of the runs before this one
    # The qualifying runs before this one, oldest first: each one's worst outcome per test
    # (ignored tests left out). Only the multi-run kinds read them.
    past: Sequence[Mapping[str, Outcome]] = ()
    flaky_window: int = 10  # the runs "no flaky tests" spans unless it names a number
    flaky_min_runs: int = 5  # fewer runs than this: no verdict on flakiness

    @cached_property
    def index(self) -> testnames.CaseIndex:
        """The cases indexed for selector lookups."""
        return testnames.CaseIndex(self.cases)

    @cached_property
    def failing(self) -> list[CaseResult]:
        """Failed and errored cases."""
        return [c for c in self.cases if c.outcome in (Outcome.FAILED, Outcome.ERROR)]

    @cached_property
    def outcomes(self) -> dict[str, Outcome]:
        """Worst outcome per test id (a test that failed once in this run is failing)."""
        return worst_outcomes(self.cases)

    @cached_property
    def identity_vocabulary(self) -> frozenset[str]:
        """Every word of every case's file, class, suite and name."""
        return frozenset(word for c in self.cases for word in identity_words(c))


_RANK = {Outcome.FAILED: 3, Outcome.ERROR: 2, Outcome.PASSED: 1, Outcome.SKIPPED: 0}


def worst_outcomes(cases: Sequence[CaseResult]) -> dict[str, Outcome]:
    """Worst outcome per test id: failed > error > passed > skipped."""
    seen: dict[str, Outcome] = {}
    for case in cases:
        current = seen.get(case.test_id)
        if current is None or _RANK[case.outcome] > _RANK[current]:
            seen[case.test_id] = case.outcome
    return seen


def stem(word: str) -> str:
    """A crude plural-folding stem, enough to match "violations" with "violation"."""
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def word_set(text: str) -> set[str]:
    """The stemmed, lowered words of a text: identifiers whole (`create_agent_instance`), as
    an item names them, and their parts, which underscores separate."""
    lowered = text.lower()
    tokens = re.findall(r"[a-z][a-z0-9]+", lowered.replace("_", " "))
    identifiers = (t.strip("_") for t in re.findall(r"[a-z][a-z0-9]*_[a-z0-9_]+", lowered))
    return {stem(t) for t in tokens} | {stem(t) for t in identifiers}


def identity_words(case: CaseResult) -> set[str]:
    """The words of a case's file, class, suite and name."""
    return word_set(" ".join(filter(None, (case.file, case.classname, case.suite, case.name))))
