"""What a drafted remediation issue says about a run: files, root causes, bounds. Pure: no I/O.

Every figure of a draft comes from here, computed from the run alone: results per test
file, failures grouped by signature (the same `mapping.signature` the summary clusters
by), the code each failure points to, and the memory and time bounds its success metrics
set, with headroom over what the run measured.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.evaluate import RunInput
from bot.core.mapping import signature
from bot.core.metrics.base import RunView
from bot.core.metrics.peak_memory import memory_figures
from bot.core.results import CaseResult, Outcome, case_owner
from bot.core.testnames import is_test_name

FAILING = (Outcome.FAILED, Outcome.ERROR)
# Headroom of the bounds a draft sets: the run's peak memory plus a quarter, its slowest test
# plus a half, so the bounds hold for the run the draft is made from and catch a regression
# well beyond the noise of a CI machine.
MEMORY_HEADROOM = 1.25
TIME_HEADROOM = 1.5
_MB = 1024 * 1024
# Frames of a traceback as runners print them, and whether the innermost frame comes last
# (Python, Go) or first (JS, the JVM).
_FRAMES = (
    (re.compile(r'File "(?P<file>[^"]+)", line \d+, in (?P<function>[\w<>.]+)'), True),
    (re.compile(r"^(?P<file>[\w./-]+\.py):\d+: \w+", re.M), True),
    (re.compile(r"^\s*(?P<file>[\w./-]+\.go):\d+:", re.M), True),
    (re.compile(r"at (?:async )?(?P<function>[\w$.<>]+) \((?P<file>[^():]+):\d+:\d+\)"), False),
    (
        re.compile(r"at (?P<function>[\w$.]+)\((?P<file>[\w$]+\.(?:java|kt|scala|groovy)):\d+\)"),
        False,
    ),
)
_LIBRARY = re.compile(r"site-packages|dist-packages|node_modules|/usr/lib/|^<|\bjava\.|\bjunit\b")


@dataclass(frozen=True, slots=True)
class FileResult:
    """One test file (or class, where the runner names no file) of the run."""

    name: str  # the selector that picks exactly its tests
    cases: tuple[CaseResult, ...]
    seconds: float | None
    peak_memory: float | None  # bytes

    @property
    def passed(self) -> int:
        return sum(c.outcome is Outcome.PASSED for c in self.cases)

    @property
    def failing(self) -> tuple[CaseResult, ...]:
        return tuple(c for c in self.cases if c.outcome in FAILING)


@dataclass(frozen=True, slots=True)
class RootCause:
    """The failures that share one signature, with the code they point to."""

    signature: str
    message: str  # the first failure's first line, as the runner wrote it
    failure_type: str | None
    cases: tuple[CaseResult, ...]
    points_to: tuple[tuple[str, str | None], ...]  # (file, function), most common first

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(owner_of(c) for c in self.cases))


def owner_of(case: CaseResult) -> str:
    """The file a test belongs to, or its class or suite when the runner names no file."""
    owner = case_owner(case.file, case.classname).split("::", 1)[0]
    return owner or case.suite or case.name


def files_of(run: RunInput) -> list[FileResult]:
    """The run's test files in the order they first appear."""
    grouped: dict[str, list[CaseResult]] = {}
    for case in run.cases:
        grouped.setdefault(owner_of(case), []).append(case)
    results = []
    for name, cases in grouped.items():
        durations = [c.duration for c in cases if c.duration is not None]
        suite_names = {c.suite for c in cases}
        memory = memory_figures(
            RunView(cases=cases, suites=[s for s in run.suites if s.name in suite_names])
        )
        results.append(
            FileResult(
                name=name,
                cases=tuple(cases),
                seconds=sum(durations) if durations else None,
                peak_memory=max(memory) if memory else None,
            )
        )
    return results


def root_causes(run: RunInput) -> list[RootCause]:
    """Failures by signature, the cause that breaks the most tests first."""
    grouped: dict[str, list[CaseResult]] = {}
    for case in run.cases:
        if case.outcome in FAILING:
            grouped.setdefault(signature(case), []).append(case)
    causes = [
        RootCause(
            signature=key,
            message=_first_line(cases[0].message or cases[0].failure_type or cases[0].outcome),
            failure_type=cases[0].failure_type,
            cases=tuple(cases),
            points_to=_points_to(cases),
        )
        for key, cases in grouped.items()
    ]
    return sorted(causes, key=lambda cause: -len(cause.cases))


def memory_bound(run: RunInput) -> float | None:
    """The peak-memory bound in MB: the run's peak plus headroom, up to a multiple of 10."""
    figures = memory_figures(RunView(cases=run.cases, suites=run.suites))
    if not figures:
        return None
    return float(math.ceil(max(figures) * MEMORY_HEADROOM / _MB / 10) * 10)


def time_bound(run: RunInput) -> float | None:
    """The slowest-test bound in seconds: the slowest test plus headroom, up to a tenth."""
    durations = [c.duration for c in run.cases if c.duration is not None]
    if not durations:
        return None
    return max(0.1, math.ceil(max(durations) * TIME_HEADROOM * 10) / 10)


def _points_to(cases: Sequence[CaseResult]) -> tuple[tuple[str, str | None], ...]:
    """Where the failures' tracebacks end in the project's own code, most common first."""
    counts: dict[tuple[str, str | None], int] = {}
    for case in cases:
        frame = _innermost_frame(case.details or "")
        if frame is not None:
            counts[frame] = counts.get(frame, 0) + 1
    return tuple(sorted(counts, key=lambda frame: -counts[frame]))[:3]


def _innermost_frame(details: str) -> tuple[str, str | None] | None:
    """The innermost frame in the project's code, outside its tests when there is one."""
    for pattern, innermost_last in _FRAMES:
        frames = [
            (m.group("file"), m.groupdict().get("function"))
            for m in pattern.finditer(details[:20_000])
            if not _LIBRARY.search(m.group("file"))
        ]
        if not frames:
            continue
        code = [f for f in frames if not _is_test_file(f[0])] or frames
        return code[-1] if innermost_last else code[0]
    return None


def _is_test_file(path: str) -> bool:
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    return is_test_name(base) or "/tests/" in f"/{path}" or base.startswith("test")


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0]
