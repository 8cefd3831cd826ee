"""Plain data for parsed test results: what a JUnit file says, independent of storage.

Pure module: no I/O, no database, no web framework.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache


class Outcome(StrEnum):
    """The one outcome a test case counts as (failure > error > skipped > passed)."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


# Not frozen: frozen dataclasses construct ~2x slower, and 100k of these are built per run.
@dataclass(slots=True)
class CaseResult:
    """One test case of one run, with everything the plan and the dashboard need."""

    suite: str
    classname: str
    name: str
    outcome: Outcome
    file: str | None = None
    duration: float | None = None
    message: str | None = None
    failure_type: str | None = None
    details: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    system_out: str | None = None
    system_err: str | None = None
    # Surefire rerunFailure/rerunError/flakyFailure/flakyError children seen on this case.
    reruns: int = 0
    # Failed at first, passed on a rerun (Surefire flakyFailure/flakyError with no final failure).
    flaky: bool = False

    @property
    def test_id(self) -> str:
        """Identity stable across runs and JUnit dialects: `case_owner` and name."""
        owner = case_owner(self.file, self.classname)
        return f"{owner}::{self.name}" if owner else self.name


@dataclass(frozen=True, slots=True)
class SuiteResult:
    """A `<testsuite>` with its own properties (memory figures often live here)."""

    name: str
    properties: dict[str, str] = field(default_factory=dict)
    tests: int = 0


@dataclass(slots=True)
class Totals:
    """Counts computed from test cases, never from suite attributes."""

    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0

    def count(self, outcome: Outcome) -> None:
        """Add one case with this outcome."""
        self.tests += 1
        if outcome is Outcome.PASSED:
            self.passed += 1
        elif outcome is Outcome.FAILED:
            self.failed += 1
        elif outcome is Outcome.ERROR:
            self.errors += 1
        else:
            self.skipped += 1

    def add(self, other: Totals) -> None:
        """Fold another file's totals into these."""
        self.tests += other.tests
        self.passed += other.passed
        self.failed += other.failed
        self.errors += other.errors
        self.skipped += other.skipped

    def as_dict(self) -> dict[str, int]:
        """The `totals` object of the JSON contracts."""
        return {
            "tests": self.tests,
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "skipped": self.skipped,
        }

    @property
    def pass_rate(self) -> float | None:
        """Passed over executed (skipped cases don't count); None when nothing ran."""
        executed = self.tests - self.skipped
        return self.passed / executed if executed else None


@lru_cache(maxsize=8192)
def case_owner(file: str | None, classname: str) -> str:
    """The part of a test's id before its name: its file, or its classname.

    A Python classname names the module and classes (`tests.test_x.TestY`), which is how
    pytest's xunit2 dialect (its default since 6.0) reports a test that xunit1 reported with
    `file="tests/test_x.py"`. Both read as pytest's node id, `tests/test_x.py::TestY`, so
    one test keeps one identity whichever dialect a run used.
    """
    if file is None or file.endswith(".py"):
        parts = classname.split(".")
        for position in range(len(parts) - 1, -1, -1):
            if parts[position].startswith("test_") or parts[position].endswith("_test"):
                module = "/".join(parts[: position + 1]) + ".py"
                owner = file if file is not None and not _same_file(file, module) else module
                return "::".join([owner, *parts[position + 1 :]])
    return file or classname


def _same_file(path: str, module: str) -> bool:
    return path.replace("\\", "/").removeprefix("./") == module
