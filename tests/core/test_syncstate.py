"""The state `sync` hides in the summary comment: round trip, integrity, size bound."""

from __future__ import annotations

import base64
import zlib
from dataclasses import replace

import pytest

from bot.core import statecodec, syncstate
from bot.core.evaluate import RunInput, evaluate
from bot.core.metrics.base import Status
from bot.core.plan import parse
from bot.core.results import CaseResult, Outcome, Totals
from bot.core.syncstate import Found, Start, SyncState

TRICKY = [
    CaseResult(suite="s", classname="tests.test_x.TestY", name="test_a", outcome=Outcome.PASSED),
    CaseResult(
        suite="s",
        classname="test_x",
        name="test_b[a::b]",
        outcome=Outcome.FAILED,
        file="test_x.py",
        message="boom: user isolation violation",
        failure_type="E",
    ),
    CaseResult(
        suite="s", classname="Pkg.Suite", name="works", outcome=Outcome.ERROR, message="x" * 5000
    ),
    CaseResult(suite="s", classname="", name="bare", outcome=Outcome.SKIPPED),
    CaseResult(suite="s", classname="Pkg.Suite", name="works", outcome=Outcome.PASSED),
]


def _state(runs: int = 2, cases: list[CaseResult] | None = None) -> SyncState:
    plan = parse("- [ ] 90%+ pass rate\n- [ ] `test_x.py`: 1/1 tests passing\n")
    kept = []
    for n in range(runs):
        run = RunInput(cases=cases or TRICKY, label=f"run {n}", url=f"https://ci/{n}")
        kept.append(syncstate.record(run, f"{n}#1", evaluate(plan, [run])))
    origin = syncstate.Origin("0#1", "run 0", "https://ci/0", Start.FIRST)
    return SyncState(origin=origin, runs=tuple(kept), ticked=("90%+ pass rate",))


def test_the_state_reads_back_as_it_was_written(seed_runs: list[RunInput]) -> None:
    state = _state()
    line = statecodec.encode(state)
    assert line.startswith("<!-- remediation-bot:state 1 ")
    assert line.endswith(" -->")
    assert "\n" not in line
    assert statecodec.find(f"summary\n\n{line}\n") == Found(state, None)


def test_a_restored_run_has_the_same_ids_outcomes_and_totals() -> None:
    (past, _) = _state().runs
    restored = syncstate.restore(past)
    assert [c.test_id for c in restored.cases] == [c.test_id for c in TRICKY]
    assert [c.outcome for c in restored.cases] == [c.outcome for c in TRICKY]
    assert restored.cases[-1].message is None  # the passing twin of a failing case
    before, after = Totals(), Totals()
    for case in TRICKY:
        before.count(case.outcome)
    for case in restored.cases:
        after.count(case.outcome)
    assert before == after
    assert syncstate.outcomes(past)["test_x.py::test_b[a::b]"] is Outcome.FAILED
    failing = {c.test_id: c for c in restored.cases if c.outcome is Outcome.FAILED}
    assert failing["test_x.py::test_b[a::b]"].message == "boom: user isolation violation"
    error = next(c for c in restored.cases if c.outcome is Outcome.ERROR)
    assert error.message == "x" * syncstate.MESSAGE_CHARS  # bounded


def test_statuses_stand_in_for_the_earlier_evaluations() -> None:
    past = syncstate.earlier(_state().runs, full=1)
    assert len(past.runs) == 1
    assert len(past.outcomes) == 2
    items = [(i.index, i.text, i.status) for i in past.evaluations[-1].items]
    assert items == [
        (0, "90%+ pass rate", Status.UNMET),
        (1, "`test_x.py`: 1/1 tests passing", Status.UNMET),
    ]


def test_fewer_kept_runs_than_asked_for_are_all_read() -> None:
    runs = _state(runs=3).runs
    past = syncstate.earlier(runs, full=5)
    assert [r.label for r in past.runs] == ["run 0", "run 1", "run 2"]
    assert syncstate.earlier(runs, full=0).runs == []


def test_no_comment_is_a_first_sync_and_a_comment_without_state_is_unreadable() -> None:
    assert statecodec.find(None) == Found(None, Start.FIRST)
    assert statecodec.find("<!-- remediation-bot:summary -->\nby the App") == Found(
        None, Start.UNREADABLE
    )
    line = statecodec.encode(_state()).replace("state 1 ", "state 2 ")
    assert statecodec.find(line) == Found(None, Start.UNREADABLE)


def test_an_edited_state_fails_its_digest_and_is_discarded() -> None:
    line = statecodec.encode(_state())
    payload = line.split(" ")[4]
    edited = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    assert statecodec.find(line.replace(payload, edited)) == Found(None, Start.TAMPERED)
    assert statecodec.find(line.replace(payload, payload[:-8])) == Found(None, Start.TAMPERED)


def test_a_state_that_passes_its_digest_but_does_not_read_is_discarded() -> None:
    payload = base64.b64encode(zlib.compress(b'{"o": 1}')).decode()
    line = f"<!-- remediation-bot:state 1 {statecodec._digest(payload)} {payload} -->"
    assert statecodec.find(line) == Found(None, Start.TAMPERED)


def test_the_oldest_runs_go_first_to_fit_the_budget() -> None:
    cases = [
        CaseResult(
            suite="s",
            classname=f"tests.integration.test_mod_{n % 50}.TestClass{n}",
            name=f"test_case_number_{n}_with_a_long_name",
            outcome=Outcome.PASSED,
        )
        for n in range(3000)
    ]
    state = _state(runs=10, cases=cases)
    full = statecodec.encode(state)
    budget = len(statecodec.encode(replace(state, runs=state.runs[-3:], dropped=True)))
    bounded, line = statecodec.bounded(state, budget)
    assert len(line) <= budget < len(full)
    assert bounded.dropped
    assert len(bounded.runs) == 3
    assert bounded.runs[-1] == state.runs[-1]  # the newest is kept
    assert statecodec.find(line).state == bounded
    assert statecodec.bounded(state, len(full)) == (state, full)
    with pytest.raises(ValueError, match="does not fit"):
        statecodec.bounded(state, 50)


def test_the_whole_comment_stays_under_githubs_limit() -> None:
    summary = "s" * syncstate.SUMMARY_LIMIT
    notes = ["n" * 1000] * 5
    line = "x" * syncstate.STATE_BUDGET
    assert len(syncstate.compose(summary, notes, line)) <= syncstate.BODY_LIMIT


def test_a_run_synced_again_is_judged_against_the_runs_before_it() -> None:
    state = _state(runs=3)
    assert syncstate.before(None, "9#1") == ()
    assert syncstate.before(state, "9#1") == state.runs
    assert syncstate.before(state, "2#1") == state.runs[:2]
    assert syncstate.before(state, "0#1") is None  # older than the last synced


def test_messages_stay_on_the_runs_read_in_full_only() -> None:
    state = _state(runs=3)
    newest = state.runs[-1]
    advanced = syncstate.advance(
        Found(state, None), newest, before=state.runs[:-1], ticked=(), keep=3, messages=1
    )
    assert [any(c.message for c in run.cases) for run in advanced.runs] == [False, False, True]
    assert advanced.origin == state.origin
    fresh = syncstate.advance(
        Found(None, Start.TAMPERED), newest, before=(), ticked=("a",), keep=3, messages=1
    )
    assert fresh.origin == syncstate.Origin("2#1", "run 2", "https://ci/2", Start.TAMPERED)
    assert syncstate.notes(fresh, "2#1") == [syncstate.START_NOTES[Start.TAMPERED]]
    later = replace(fresh, dropped=True)
    assert syncstate.notes(later, "3#1")[0] == "History kept since run 2: 1 runs in this comment."
    assert "DATABASE_URL" in syncstate.notes(later, "3#1")[1]
