"""The history `sync` keeps without a database: a small state hidden in the summary comment.

Pure module: no I/O. The Action has no store, so the summary comment carries what the next
run needs to judge it as the App would: the earlier runs' outcomes (trend, newly failing and
fixed, flakiness, multi-run items), the failure messages of the last runs (zero-failure
items), each run's item statuses (the `tick_after` streaks), the boxes the bot ticked, and
the run the history started from.

On the wire (`bot.core.statecodec`) the state is versioned, compressed, bounded in size
(the oldest runs go first, so the comment never passes GitHub's 65,536-character limit) and
carries a SHA-256 digest of its payload. The digest detects a hand edit or a cut comment;
it is no signature (the Action has no secret but its token), so it does not stop someone
who recomputes it, which only a person with write access to the comment could do anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.core.evaluate import FAILING, Evaluation, ItemResult, RunInput
from bot.core.markdown_safe import inline
from bot.core.metrics.base import Status
from bot.core.results import CaseResult, Outcome, Totals, case_owner

MESSAGE_CHARS = 1000  # of each failure message kept (zero-failure items read its words)
# GitHub refuses comment bodies over 65,536 characters (GITHUB.md §2). The comment is the
# summary, at most MAX_NOTES notes and the state line, each bounded so the sum stays under.
BODY_LIMIT = 65_536
STATE_BUDGET = 30_000
MAX_NOTES = 3
NOTE_CHARS = 300
SUMMARY_LIMIT = BODY_LIMIT - STATE_BUDGET - MAX_NOTES * (NOTE_CHARS + 8) - 16


class Start(StrEnum):
    """Why the history starts at a run."""

    FIRST = "first"  # no summary comment: the first sync, or a person deleted the comment
    UNREADABLE = "unreadable"  # the comment carries no history this version can read
    TAMPERED = "tampered"  # the history failed its digest: edited by hand, or cut


START_NOTES = {
    Start.FIRST: "History starts with this run: no earlier summary comment was found "
    "(a first sync, or the comment was deleted).",
    Start.UNREADABLE: "History starts with this run: the summary comment carried no history "
    "this version can read.",
    Start.TAMPERED: "History starts with this run: the history hidden in the summary comment "
    "was edited or damaged, so it was discarded.",
}


def run_label(run_id: str, attempt: int) -> str:
    """How a run is named in the summary, by the App and by `sync` alike."""
    return f"run {run_id}" + (f" (attempt {attempt})" if attempt > 1 else "")


@dataclass(frozen=True, slots=True)
class PastCase:
    """One test case of an earlier run: its identity, outcome and, if it failed, why."""

    owner: str
    name: str
    outcome: Outcome
    message: str | None = None
    failure_type: str | None = None

    @property
    def test_id(self) -> str:
        """The id `CaseResult.test_id` gave it."""
        return f"{self.owner}::{self.name}" if self.owner else self.name


@dataclass(slots=True)
class _RestoredCase(CaseResult):
    """A case rebuilt from the state: its id is the stored one, whatever file and class say."""

    stored_id: str = ""

    @property
    def test_id(self) -> str:
        """The id the case had when it ran."""
        return self.stored_id


@dataclass(frozen=True, slots=True)
class PastRun:
    """An earlier run as the state keeps it."""

    key: str  # run id and attempt: the same run synced twice is recognised
    label: str
    url: str | None
    cases: tuple[PastCase, ...]
    statuses: tuple[tuple[str, Status], ...] = ()  # item text and status, in checklist order


@dataclass(frozen=True, slots=True)
class Origin:
    """The run the history starts from, and why it starts there."""

    key: str
    label: str
    url: str | None
    start: Start


@dataclass(frozen=True, slots=True)
class SyncState:
    """Everything a sync hands to the next one."""

    origin: Origin
    runs: tuple[PastRun, ...] = ()  # oldest first; the last is the run synced last
    ticked: tuple[str, ...] = ()  # items the bot ticked (only those may it untick)
    dropped: bool = False  # older runs were left out to stay within the size bound


@dataclass(frozen=True, slots=True)
class Found:
    """What a summary comment's hidden state turned out to be."""

    state: SyncState | None
    start: Start | None  # why there is no state (None: a state was found)


@dataclass(frozen=True, slots=True)
class Earlier:
    """What the runs before this one give the evaluation."""

    runs: list[RunInput] = field(default_factory=list)  # in full, the last few
    outcomes: list[dict[str, Outcome]] = field(default_factory=list)  # all kept, oldest first
    evaluations: list[Evaluation] = field(default_factory=list)  # their statuses, for streaks


def record(run: RunInput, key: str, evaluation: Evaluation, *, messages: bool = True) -> PastRun:
    """The newest run as the state keeps it (failure messages only when `messages`)."""
    cases = tuple(
        PastCase(
            owner=case_owner(c.file, c.classname),
            name=c.name,
            outcome=c.outcome,
            message=_cut(c.message) if messages and c.outcome in FAILING else None,
            failure_type=_cut(c.failure_type) if messages and c.outcome in FAILING else None,
        )
        for c in run.cases
    )
    statuses = tuple((item.text, item.status) for item in evaluation.items)
    return PastRun(key=key, label=run.label, url=run.url, cases=cases, statuses=statuses)


def earlier(runs: Sequence[PastRun], *, full: int) -> Earlier:
    """The kept runs as `reconcile.desire` reads them: the last `full` in full, all as outcomes."""
    return Earlier(
        runs=[restore(run) for run in runs[max(0, len(runs) - full) :]] if full > 0 else [],
        outcomes=[outcomes(run) for run in runs],
        evaluations=[_statuses(run) for run in runs],
    )


def restore(run: PastRun) -> RunInput:
    """An earlier run as a `RunInput` (no durations, properties or suites: they are not kept)."""
    cases = [
        _RestoredCase(
            suite="",
            classname=c.owner,
            name=c.name,
            outcome=c.outcome,
            message=c.message,
            failure_type=c.failure_type,
            stored_id=c.test_id,
        )
        for c in run.cases
    ]
    return RunInput(cases=cases, label=run.label, url=run.url)


def outcomes(run: PastRun) -> dict[str, Outcome]:
    """Worst outcome per test id, as the store's outcome maps give it."""
    rank = {Outcome.FAILED: 3, Outcome.ERROR: 2, Outcome.PASSED: 1, Outcome.SKIPPED: 0}
    seen: dict[str, Outcome] = {}
    for case in run.cases:
        current = seen.get(case.test_id)
        if current is None or rank[case.outcome] > rank[current]:
            seen[case.test_id] = case.outcome
    return seen


def _statuses(run: PastRun) -> Evaluation:
    """A stand-in evaluation carrying only the item statuses (what `ticking` reads)."""
    items = tuple(
        ItemResult(index=index, text=text, checked=False, status=status, evidence="")
        for index, (text, status) in enumerate(run.statuses)
    )
    return Evaluation(
        totals=Totals(), previous=None, items=items, phases=(), unplanned=(), tracked=()
    )


def advance(
    found: Found,
    newest: PastRun,
    *,
    before: Sequence[PastRun],
    ticked: Sequence[str],
    keep: int,
    messages: int,
) -> SyncState:
    """The state after this sync: `before` and the newest run, the last `keep` of them.

    Failure messages stay on the newest `messages` runs only: the next sync reads that many
    earlier runs in full (`tick_after`/`untick_after` deep), the rest as outcomes.
    """
    if found.state is not None:
        origin = found.state.origin
    else:
        origin = Origin(newest.key, newest.label, newest.url, found.start or Start.FIRST)
    runs = (*before, newest)[-keep:]
    plain = len(runs) - messages
    runs = tuple(_without_messages(run) if i < plain else run for i, run in enumerate(runs))
    return SyncState(origin=origin, runs=runs, ticked=tuple(ticked))


def _without_messages(run: PastRun) -> PastRun:
    if all(c.message is None and c.failure_type is None for c in run.cases):
        return run
    cases = tuple(replace(c, message=None, failure_type=None) for c in run.cases)
    return replace(run, cases=cases)


def compose(summary: str, notes: Sequence[str], line: str) -> str:
    """The comment: the summary, the state's notes, and the hidden state on its last line.

    Callers render the summary within `SUMMARY_LIMIT` and the state within `STATE_BUDGET`,
    so the whole stays under GitHub's `BODY_LIMIT`.
    """
    shown = [note[:NOTE_CHARS] for note in notes[:MAX_NOTES]]
    parts = [summary.rstrip("\n"), *(f"_{note}_" for note in shown), line]
    return "\n\n".join(parts) + "\n"


def before(state: SyncState | None, key: str) -> tuple[PastRun, ...] | None:
    """The kept runs before the run `key`; None when `key` is an older run, synced already.

    The run synced last, synced again (a rerun of the job), is judged against the runs
    before it, exactly as the first time: the second sync then writes nothing.
    """
    if state is None:
        return ()
    keys = [run.key for run in state.runs]
    if key not in keys:
        return state.runs
    if keys[-1] == key:
        return state.runs[:-1]
    return None


def notes(state: SyncState, key: str) -> list[str]:
    """The visible lines the state adds to the comment for the run `key`."""
    lines = []
    if state.origin.key == key:
        lines.append(START_NOTES[state.origin.start])
    else:
        lines.append(
            f"History kept since {inline(state.origin.label, limit=100)}: "
            f"{len(state.runs)} runs in this comment."
        )
    if state.dropped:
        lines.append(
            "Older runs were left out of the kept history to fit GitHub's comment size; "
            "set `DATABASE_URL` to keep them all."
        )
    return lines


def _cut(text: str | None) -> str | None:
    return text[:MESSAGE_CHARS] if text is not None else None
