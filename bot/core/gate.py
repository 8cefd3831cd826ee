"""The regression gate: a run passes when every failure is a known one, fails on new ones.

Pure module: no I/O. A failure is known when an open tracked issue's plan covers it (it maps
to one of the plan's phases, by rule, by name or by shared words) or a maintainer ignored it
by command; anything else is new. The outcome becomes a GitHub check run: new failures are
listed first, annotated on their files, and every known failure links to its issue and phase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.mapping import MapRule, PhaseIndex, is_ignored, place, signature
from bot.core.markdown_safe import code, inline
from bot.core.plan import Plan
from bot.core.results import CaseResult, Outcome

ANNOTATIONS_PER_REQUEST = 50  # GitHub takes at most 50 annotations per check-run request
# Past this many, more annotations help nobody and each batch is one more spaced write.
MAX_ANNOTATIONS = 200
MAX_SUMMARY = 65_000  # check-run summaries are capped at 65,535 characters
FAILING = (Outcome.FAILED, Outcome.ERROR)


@dataclass(frozen=True, slots=True)
class TrackedPlan:
    """One open tracked issue, as the gate needs it."""

    number: int
    title: str
    plan: Plan
    map_rules: Sequence[MapRule] = ()
    ignore: Sequence[str] = ()
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Annotation:
    """A check-run annotation on a new failure (GitHub's shape)."""

    path: str
    start_line: int
    end_line: int
    annotation_level: str
    title: str
    message: str

    def as_dict(self) -> dict[str, object]:
        """The JSON GitHub expects."""
        return {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "annotation_level": self.annotation_level,
            "title": self.title,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class KnownFailure:
    """A failure an issue already owns."""

    test_id: str
    issue: int
    phase: int | None  # None: ignored by command
    reason: str


@dataclass(slots=True)
class GateResult:
    """The check run to publish."""

    conclusion: str  # success | failure | neutral
    title: str
    summary: str
    new: list[CaseResult] = field(default_factory=list)
    known: list[KnownFailure] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)

    def annotation_batches(self) -> list[list[Annotation]]:
        """Annotations in groups GitHub accepts in one request."""
        step = ANNOTATIONS_PER_REQUEST
        return [self.annotations[i : i + step] for i in range(0, len(self.annotations), step)]


def assess(
    cases: Sequence[CaseResult],
    issues: Sequence[TrackedPlan],
    *,
    flaky: frozenset[str] = frozenset(),
) -> GateResult:
    """Classify the run's failures as known (an issue owns them, or the test is flaky) or new.

    `flaky` holds test ids known to flip across runs; a failure of one in this run is shown
    as flaky instead of failing the gate.
    """
    indexes = [(issue, PhaseIndex.build(issue.plan.phases)) for issue in issues]
    new: list[CaseResult] = []
    known: list[KnownFailure] = []
    seen: set[str] = set()
    for case in cases:
        if case.outcome not in FAILING or case.test_id in seen:
            continue
        seen.add(case.test_id)
        owner = _owner(case, indexes)
        if owner is None and case.test_id in flaky:
            owner = KnownFailure(case.test_id, 0, None, "flaky: it flips between runs")
        if owner is None:
            new.append(case)
        else:
            known.append(owner)
    failing = len(seen)
    if new:
        conclusion = "failure"
        title = f"{len(new)} new failure{'s' * (len(new) != 1)} no remediation plan covers"
    elif failing:
        conclusion = "success"
        title = f"All {failing} failures are known and tracked"
    else:
        conclusion = "success"
        title = "No failures"
    result = GateResult(conclusion=conclusion, title=title, summary="", new=new, known=known)
    result.summary = _summary(result, {i.number: i for i in issues})
    result.annotations = [_annotation(case) for case in new[:MAX_ANNOTATIONS]]
    if len(new) > MAX_ANNOTATIONS:
        result.summary = (
            f"The first {MAX_ANNOTATIONS} of {len(new)} new failures are annotated.\n\n"
            + result.summary
        )[:MAX_SUMMARY]
    return result


def _owner(case: CaseResult, indexes: list[tuple[TrackedPlan, PhaseIndex]]) -> KnownFailure | None:
    for issue, index in indexes:
        if issue.ignore and is_ignored(case, issue.ignore):
            return KnownFailure(case.test_id, issue.number, None, "ignored by command")
        placement = place(case, index, issue.map_rules)
        if placement.phase is not None:
            return KnownFailure(case.test_id, issue.number, placement.phase, placement.reason)
    return None


def _annotation(case: CaseResult) -> Annotation:
    path = case.file or case.classname.replace(".", "/") or case.suite or "unknown"
    message = (case.message or case.failure_type or case.outcome.value)[:1000]
    return Annotation(
        path=path[:500],
        start_line=1,
        end_line=1,
        annotation_level="failure",
        title=f"New failure: {case.name}"[:255],
        message=message,
    )


def _summary(result: GateResult, issues: dict[int, TrackedPlan]) -> str:
    lines: list[str] = []
    if result.new:
        lines += ["### New failures", "", "No open remediation issue covers these:", ""]
        for case in result.new[:200]:
            lines.append(f"- {code(case.test_id)}: {inline(signature(case), limit=200)}")
        if len(result.new) > 200:
            lines.append(f"- … and {len(result.new) - 200} more")
        lines.append("")
    if result.known:
        lines += ["### Known failures", ""]
        for failure in result.known[:300]:
            if failure.issue == 0:
                lines.append(f"- {code(failure.test_id)}: {inline(failure.reason)}")
                continue
            issue = issues.get(failure.issue)
            where = f"#{failure.issue}"
            if issue is not None and issue.url:
                where = f"[#{failure.issue}]({issue.url})"
            phase = f", phase {failure.phase}" if failure.phase is not None else ""
            lines.append(f"- {code(failure.test_id)}: {where}{phase} ({inline(failure.reason)})")
        if len(result.known) > 300:
            lines.append(f"- … and {len(result.known) - 300} more")
    if not lines:
        lines = ["Every test passed."]
    text = "\n".join(lines)
    return text if len(text) <= MAX_SUMMARY else text[:MAX_SUMMARY].rsplit("\n", 1)[0]
