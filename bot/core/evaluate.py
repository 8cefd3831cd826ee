"""Plan x runs -> Evaluation: metric statuses, failures by phase, trends and discrepancies.

Pure module: no I/O. `runs` are ordered oldest first; the newest is the one evaluated, the
ones before it give the trend (newly failing, newly fixed, flaky).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.mapping import MapRule, PhaseIndex, is_ignored, place, signature
from bot.core.metrics import is_multi_run, judge
from bot.core.metrics.base import RunView, Status, Verdict, worst_outcomes
from bot.core.metrics.peak_memory import memory_figures
from bot.core.plan import Plan
from bot.core.results import CaseResult, Outcome, SuiteResult, Totals

FAILING = (Outcome.FAILED, Outcome.ERROR)
_SOURCE_SUFFIXES = (".py", ".go", ".js", ".ts", ".jsx", ".tsx", ".rb", ".rs")


@dataclass(frozen=True, slots=True)
class RunInput:
    """One run's results as the evaluation needs them."""

    cases: Sequence[CaseResult]
    suites: Sequence[SuiteResult] = ()
    label: str = "this run"
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ItemResult:
    """A checklist item's status on the newest run."""

    index: int
    text: str
    checked: bool
    status: Status
    evidence: str
    phase: int | None = None


@dataclass(frozen=True, slots=True)
class FailureGroup:
    """Failures sharing one normalized signature: one root cause, shown once."""

    signature: str
    message: str
    tests: tuple[str, ...]
    phase: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """A phase with the failures mapped to it."""

    number: int
    label: str
    title: str
    failing: tuple[str, ...]
    groups: tuple[FailureGroup, ...]


@dataclass(frozen=True, slots=True)
class TrackedResult:
    """A test file or class the issue names, as the newest run saw it."""

    name: str
    passed: int
    total: int
    status: str  # passing | failing | missing
    seconds: float | None
    peak_memory: float | None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything the report and the ticker need, computed from data only."""

    totals: Totals
    previous: Totals | None
    items: tuple[ItemResult, ...]
    phases: tuple[PhaseResult, ...]
    unplanned: tuple[FailureGroup, ...]
    tracked: tuple[TrackedResult, ...]
    newly_failing: tuple[str, ...] = ()
    newly_fixed: tuple[str, ...] = ()
    flaky: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    discrepancies: tuple[str, ...] = ()
    run_label: str = "this run"
    run_url: str | None = None
    runs_seen: int = 1
    # Rules maintainers set by command, in words (shown in the summary and the dashboard).
    rules: tuple[str, ...] = ()

    @property
    def metrics(self) -> tuple[ItemResult, ...]:
        """Items that carry a metric (not manual)."""
        return tuple(i for i in self.items if i.status is not Status.MANUAL)

    def as_dict(self) -> dict[str, Any]:
        """The `evaluate --json` contract."""
        return {
            "totals": self.totals.as_dict(),
            "pass_rate": self.totals.pass_rate,
            "previous_totals": self.previous.as_dict() if self.previous else None,
            "metrics": [
                {
                    "index": i.index,
                    "text": i.text,
                    "status": i.status.value,
                    "evidence": i.evidence,
                    "checked": i.checked,
                }
                for i in self.items
            ],
            "phases": [
                {"number": p.number, "title": p.title, "failing": list(p.failing)}
                for p in self.phases
            ],
            "unplanned": [t for g in self.unplanned for t in g.tests],
            "clusters": [
                {
                    "signature": g.signature,
                    "message": g.message,
                    "tests": list(g.tests),
                    "phase": g.phase,
                    "reason": g.reason,
                }
                for g in [*(g for p in self.phases for g in p.groups), *self.unplanned]
            ],
            "tracked": [
                {
                    "name": t.name,
                    "passed": t.passed,
                    "total": t.total,
                    "status": t.status,
                    "seconds": t.seconds,
                    "peak_memory_bytes": t.peak_memory,
                }
                for t in self.tracked
            ],
            "newly_failing": list(self.newly_failing),
            "newly_fixed": list(self.newly_fixed),
            "flaky": list(self.flaky),
            "ignored": list(self.ignored),
            "discrepancies": list(self.discrepancies),
        }


def evaluate(
    plan: Plan,
    runs: Sequence[RunInput],
    *,
    map_rules: Iterable[MapRule] = (),
    ignore: Iterable[str] = (),
    history: Sequence[Mapping[str, Outcome]] | None = None,
    flaky_policy: FlakyPolicy | None = None,
) -> Evaluation:
    """Evaluate the newest run against the plan; earlier runs give the trend.

    `history` is each earlier run's worst outcome per test (oldest first), for flakiness over
    more runs than are passed in full; without it, `runs` themselves are the history.
    """
    if not runs:
        raise ValueError("evaluate needs at least one run")
    newest = runs[-1]
    ignore = tuple(ignore)
    ignored = tuple(c.test_id for c in newest.cases if ignore and is_ignored(c, ignore))
    ignored_set = set(ignored)
    counted = [c for c in newest.cases if c.test_id not in ignored_set]
    past = list(history) if history is not None else [_outcomes(run) for run in runs[:-1]]
    policy = flaky_policy or FlakyPolicy()
    flaky = flaky_tests(newest, past, policy)
    multi_run = any(is_multi_run(item.metric) for item in plan.items)
    view = RunView(
        cases=counted,
        suites=newest.suites,
        flaky=frozenset(flaky),
        earlier_failures=tuple(c for run in runs[:-1] for c in run.cases if c.outcome in FAILING),
        past=_without_ignored(past, ignore, ignored_set) if multi_run else (),
        flaky_window=policy.window,
        flaky_min_runs=policy.min_runs,
    )
    items = tuple(
        ItemResult(
            index=item.index,
            text=item.text,
            checked=item.checked,
            phase=item.phase,
            **_verdict_fields(judge(item.metric, view), item.rule_error),
        )
        for item in plan.items
    )
    groups = _groups(newest.cases, plan, tuple(map_rules))
    previous = runs[-2] if len(runs) > 1 else None
    totals = _totals(counted)
    return Evaluation(
        totals=totals,
        previous=_totals(previous.cases) if previous else None,
        items=items,
        phases=tuple(
            PhaseResult(
                number=phase.number,
                label=phase.label,
                title=phase.title,
                failing=tuple(t for g in groups if g.phase == phase.number for t in g.tests),
                groups=tuple(g for g in groups if g.phase == phase.number),
            )
            for phase in plan.phases
        ),
        unplanned=tuple(g for g in groups if g.phase is None),
        tracked=tuple(_tracked(name, view) for name in plan.tests),
        newly_failing=_newly(newest, previous, now=FAILING) if previous else (),
        newly_fixed=_newly(newest, previous, now=(Outcome.PASSED,)) if previous else (),
        flaky=flaky,
        ignored=ignored,
        discrepancies=_discrepancies(plan, totals, view),
        run_label=newest.label,
        run_url=newest.url,
        runs_seen=len(runs),
    )


def _verdict_fields(verdict: Verdict, rule_error: str | None) -> dict[str, Any]:
    if rule_error:
        return {"status": Status.MANUAL, "evidence": f"rule not understood: {rule_error}"}
    return {"status": verdict.status, "evidence": verdict.evidence}


def _totals(cases: Iterable[CaseResult]) -> Totals:
    totals = Totals()
    for case in cases:
        totals.count(case.outcome)
    return totals


def _groups(
    cases: Sequence[CaseResult], plan: Plan, rules: tuple[MapRule, ...]
) -> list[FailureGroup]:
    index = PhaseIndex.build(plan.phases)
    clusters: dict[tuple[str, int | None], list[CaseResult]] = {}
    reasons: dict[tuple[str, int | None], str] = {}
    for case in cases:
        if case.outcome not in FAILING:
            continue
        placement = place(case, index, rules)
        key = (signature(case), placement.phase)
        clusters.setdefault(key, []).append(case)
        reasons.setdefault(key, placement.reason)
    return [
        FailureGroup(
            signature=key[0],
            message=(members[0].message or members[0].failure_type or "").split("\n")[0],
            tests=tuple(dict.fromkeys(c.test_id for c in members)),
            phase=key[1],
            reason=reasons[key],
        )
        for key, members in clusters.items()
    ]


def _tracked(name: str, view: RunView) -> TrackedResult:
    chosen = view.index.select(name)
    executed = [c for c in chosen if c.outcome is not Outcome.SKIPPED]
    passed = sum(c.outcome is Outcome.PASSED for c in executed)
    status = "missing" if not chosen else "passing" if passed == len(executed) else "failing"
    durations = [c.duration for c in chosen if c.duration is not None]
    suite_names = {c.suite for c in chosen}
    memory = memory_figures(
        RunView(cases=chosen, suites=[s for s in view.suites if s.name in suite_names])
    )
    return TrackedResult(
        name=name,
        passed=passed,
        total=len(executed),
        status=status,
        seconds=sum(durations) if durations else None,
        peak_memory=max(memory) if memory else None,
    )


def _outcomes(run: RunInput) -> dict[str, Outcome]:
    """Worst outcome per test id (a test that ran twice and failed once counts as failing)."""
    return worst_outcomes(run.cases)


def _without_ignored(
    past: Sequence[Mapping[str, Outcome]], patterns: Sequence[str], ignored: set[str]
) -> list[Mapping[str, Outcome]]:
    """Earlier runs' outcomes without the tests a maintainer asked to ignore.

    Only a test id is stored for earlier runs, so a test absent from the newest run is
    matched by a case rebuilt from its id (its file or class, and its name).
    """
    if not patterns:
        return list(past)
    dropped = set(ignored)
    for test_id in {t for outcomes in past for t in outcomes} - ignored:
        owner, _, name = test_id.rpartition("::")
        head = owner.split("::")[0]
        file = head if "/" in head or head.endswith(_SOURCE_SUFFIXES) else None
        case = CaseResult(suite="", classname=owner, name=name, outcome=Outcome.PASSED, file=file)
        if is_ignored(case, patterns):
            dropped.add(test_id)
    return [{t: o for t, o in outcomes.items() if t not in dropped} for outcomes in past]


def _newly(newest: RunInput, previous: RunInput, *, now: tuple[Outcome, ...]) -> tuple[str, ...]:
    before, after = _outcomes(previous), _outcomes(newest)
    if now == (Outcome.PASSED,):
        return tuple(
            t for t, o in after.items() if o is Outcome.PASSED and before.get(t) in FAILING
        )
    return tuple(
        t for t, o in after.items() if o in FAILING and before.get(t) in (Outcome.PASSED, None)
    )


@dataclass(frozen=True, slots=True)
class FlakyPolicy:
    """When a test is flaky across runs: its pass/fail flip rate over a window of runs."""

    window: int = 10  # the last runs considered
    min_runs: int = 5  # fewer runs than this: no verdict from history
    min_flip_rate: float = 0.3  # flips / transitions; a fix (one flip) stays far below


def flip_rate(states: Sequence[bool]) -> float:
    """Share of consecutive runs whose outcome differs; a long failure streak counts once."""
    if len(states) < 2:
        return 0.0
    return sum(a != b for a, b in itertools.pairwise(states)) / (len(states) - 1)


def flaky_tests(
    newest: RunInput, past: Sequence[Mapping[str, Outcome]], policy: FlakyPolicy
) -> tuple[str, ...]:
    """Flaky in the newest run (reruns, pass and fail of one test) or flipping across runs."""
    flaky: dict[str, None] = {}
    outcomes_in_run: dict[str, set[Outcome]] = {}
    for case in newest.cases:
        if case.flaky:
            flaky[case.test_id] = None
        outcomes_in_run.setdefault(case.test_id, set()).add(case.outcome)
    for test_id, outcomes in outcomes_in_run.items():
        if Outcome.PASSED in outcomes and outcomes & set(FAILING):
            flaky[test_id] = None
    window = [*past[-(policy.window - 1) :], _outcomes(newest)] if policy.window > 1 else []
    for test_id in outcomes_in_run:
        states = [
            h[test_id] in FAILING
            for h in window
            if test_id in h and h[test_id] is not Outcome.SKIPPED
        ]
        if len(states) >= policy.min_runs and flip_rate(states) >= policy.min_flip_rate:
            flaky[test_id] = None
    return tuple(flaky)


def _discrepancies(plan: Plan, totals: Totals, view: RunView) -> tuple[str, ...]:
    """Where the issue's own figures disagree with each other or with the data."""
    notes: list[str] = []
    rows = [c for c in plan.claims if c.subject is not None]
    table_passed, table_total = sum(c.passed for c in rows), sum(c.total for c in rows)
    executed = totals.tests - totals.skipped
    for claim in (c for c in plan.claims if c.subject is None):
        if claim.total == executed and (not rows or claim.total == table_total):
            continue
        note = f"The issue says {claim.passed}/{claim.total} passing"
        if rows and table_total != claim.total:
            note += f", but its own table sums to {table_passed} of {table_total}"
        note += f"; this run has {totals.passed} of {executed} executed tests passing."
        notes.append(note)
    for row in rows:
        chosen = view.index.select(row.subject or "")
        ran = [c for c in chosen if c.outcome is not Outcome.SKIPPED]
        if chosen and len(ran) != row.total:
            notes.append(
                f"The issue lists `{row.subject}` with {row.total} tests; this run has {len(ran)}."
            )
    return tuple(notes)
