"""The history `sync` keeps without a database: a small state hidden in the summary comment.

Pure module: no I/O. The Action has no store, so the summary comment carries what the next
run needs to judge it as the App would: the earlier runs' outcomes (trend, newly failing and
fixed, flakiness, multi-run items), the failure messages of the last runs (zero-failure
items), each run's item statuses (the `tick_after` streaks), the boxes the bot ticked, and
the run the history started from.

The state is versioned, compressed, bounded in size (`bounded`: the oldest runs go first,
so the comment never passes GitHub's 65,536-character limit) and carries a SHA-256 digest
of its payload. The digest detects a hand edit or a cut comment; it is no signature (the
Action has no secret but its token), so it does not stop someone who recomputes it, which
only a person with write access to the comment could do anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.core.evaluate import FAILING, Evaluation, ItemResult, RunInput
from bot.core.markdown_safe import inline
from bot.core.metrics.base import Status
from bot.core.results import CaseResult, Outcome, Totals, case_owner

VERSION = 1
TAG = "remediation-bot:state"
_BLOCK = re.compile(r"<!-- remediation-bot:state (\S+) (\S+) (\S*) -->")
MESSAGE_CHARS = 1000  # of each failure message kept (zero-failure items read its words)
DIGEST_CHARS = 16  # hex characters of the SHA-256 digest kept: enough to detect an edit
# GitHub refuses comment bodies over 65,536 characters (GITHUB.md §2). The comment is the
# summary, at most MAX_NOTES notes and the state line, each bounded so the sum stays under.
BODY_LIMIT = 65_536
STATE_BUDGET = 30_000
MAX_NOTES = 3
NOTE_CHARS = 300
SUMMARY_LIMIT = BODY_LIMIT - STATE_BUDGET - MAX_NOTES * (NOTE_CHARS + 8) - 16
_OUTCOME_CODES = {Outcome.PASSED: 0, Outcome.FAILED: 1, Outcome.ERROR: 2, Outcome.SKIPPED: 3}
_CODE_OUTCOMES = {code: outcome for outcome, code in _OUTCOME_CODES.items()}


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
        runs=[restore(run) for run in runs[len(runs) - full :]] if full > 0 else [],
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


def encode(state: SyncState) -> str:
    """The state as one hidden HTML comment line (base64 of zlib'd JSON, and its digest)."""
    data = json.dumps(_to_json(state), ensure_ascii=False, separators=(",", ":"))
    payload = base64.b64encode(zlib.compress(data.encode("utf-8"), 9)).decode("ascii")
    return f"<!-- {TAG} {VERSION} {_digest(payload)} {payload} -->"


def bounded(state: SyncState, budget: int) -> tuple[SyncState, str]:
    """The state and its line, the oldest runs left out until the line fits `budget` chars."""
    line = encode(state)
    while len(line) > budget and state.runs:
        state = replace(state, runs=state.runs[1:], dropped=True)
        line = encode(state)
    if len(line) > budget:
        raise ValueError(f"a state without runs does not fit {budget} characters")
    return state, line


def find(comment: str | None) -> Found:
    """The state hidden in a summary comment, or why there is none to trust."""
    if comment is None:
        return Found(None, Start.FIRST)
    match = _BLOCK.search(comment)
    if match is None:
        return Found(None, Start.UNREADABLE)
    version, digest, payload = match.groups()
    if version != str(VERSION):
        return Found(None, Start.UNREADABLE)
    if digest != _digest(payload):
        return Found(None, Start.TAMPERED)
    try:
        data = json.loads(zlib.decompress(base64.b64decode(payload, validate=True)))
        return Found(_from_json(data), None)
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError, IndexError):
        # The digest matched, yet it does not read: written wrong. Never trusted.
        return Found(None, Start.TAMPERED)


def strip(comment: str) -> str:
    """The comment without its hidden state (what a person reads)."""
    return _BLOCK.sub("", comment).rstrip("\n") + "\n"


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode("ascii", errors="replace")).hexdigest()[:DIGEST_CHARS]


def _cut(text: str | None) -> str | None:
    return text[:MESSAGE_CHARS] if text is not None else None


def _to_json(state: SyncState) -> dict[str, Any]:
    """Compact JSON: test identities once; a run's cases in order, as id x 4 + outcome."""
    ids: dict[tuple[str, str], int] = {}
    runs = []
    for run in state.runs:
        cases, failures = [], []
        for position, case in enumerate(run.cases):
            index = ids.setdefault((case.owner, case.name), len(ids))
            cases.append(index * 4 + _OUTCOME_CODES[case.outcome])
            if case.message is not None or case.failure_type is not None:
                failures.append([position, case.message, case.failure_type])
        statuses = [[text, status.value] for text, status in run.statuses]
        runs.append([run.key, run.label, run.url, cases, failures, statuses])
    origin = state.origin
    return {
        "o": [origin.key, origin.label, origin.url, origin.start.value],
        "k": list(state.ticked),
        "t": [list(pair) for pair in ids],
        "r": runs,
        "d": state.dropped,
    }


def _from_json(data: Mapping[str, Any]) -> SyncState:
    """The inverse of `_to_json`; malformed input raises KeyError, TypeError or ValueError."""
    names = [(str(owner), str(name)) for owner, name in data["t"]]
    runs = []
    for key, label, url, coded, failures, statuses in data["r"]:
        why = {int(position): (m, t) for position, m, t in failures}
        cases = []
        for position, value in enumerate(coded):
            owner, name = names[int(value) // 4]
            message, failure_type = why.get(position, (None, None))
            outcome = _CODE_OUTCOMES[int(value) % 4]
            cases.append(PastCase(owner, name, outcome, message, failure_type))
        kept = tuple((str(text), Status(value)) for text, value in statuses)
        runs.append(PastRun(str(key), str(label), url, tuple(cases), kept))
    key, label, url, start = data["o"]
    return SyncState(
        origin=Origin(str(key), str(label), url, Start(start)),
        runs=tuple(runs),
        ticked=tuple(str(t) for t in data["k"]),
        dropped=bool(data["d"]),
    )
