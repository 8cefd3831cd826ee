"""The newest run's evaluation of an issue as the page shows it: cached, stored, or made.

An evaluation is a pure function of the body, the runs, the configuration, the stored
rules and the bot's version, so a key made of those can never serve a stale one (the runs
in the key are all those the page shows, which also fixes the flaky tests it shows). Views are
kept in memory per process and stored per issue (`bot.store.evaluations`), so a restarted
or second web process reads the view instead of reading the runs and evaluating again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from sqlmodel import Session

from bot import __version__
from bot.core import reconcile
from bot.core.evaluate import Evaluation, FailureGroup
from bot.core.repoconfig import RepoConfig
from bot.store import evaluations, issue_rules, reads
from bot.store.issue_rules import StoredRules
from bot.store.models import Repository, Run, TrackedIssue
from bot.store.runs import outcome_maps, run_input
from bot.web.dashboard.views import (
    EvaluationView,
    FlakeView,
    GroupView,
    ItemView,
    PhaseView,
    ReadingView,
)

FLAKE_WINDOW = 200  # runs over which flips are counted


class EvaluationCache:
    """Evaluated views by everything they depend on; one per app, shared by its threads.

    A new run or an edit makes a new key; the least recently used entries go.
    """

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[object, ...], EvaluationView] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> EvaluationView | None:
        """The cached view, if any."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], view: EvaluationView) -> None:
        """Remember a view."""
        with self._lock:
            self._entries[key] = view
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def newest_view(
    session: Session,
    issue: TrackedIssue,
    repository: Repository,
    config: RepoConfig,
    runs: list[Run],
    cache: EvaluationCache | None,
) -> tuple[EvaluationView | None, str | None]:
    """The newest run's evaluation (`reconcile.evaluate_newest`) as shown, or why there is none.

    Looked up in the cache, then in the store; made (and stored) only when neither has it.
    """
    body = issue.desired_body or issue.body
    if body is None:
        return None, "the issue's body is not stored yet"
    if not runs or issue.id is None or runs[-1].id is None:
        return None, "no qualifying run yet"
    rules = issue_rules.stored_rules(session=session, issue=issue)
    # Keyed by every run shown (any plan reads fewer), so a hit needs no reading of the plan.
    shown_runs = tuple(run.id for run in runs if run.id is not None)
    key = (
        __version__,
        issue.id,
        hashlib.sha256(body.encode()).hexdigest(),
        shown_runs,
        repository.config_text,
        tuple(rules.map_rules),
        tuple(rules.ignore),
        tuple(sorted(rules.item_rules.items())),
    )
    view = cache.get(key) if cache is not None else None
    if view is None:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()
        stored = evaluations.stored_view(session=session, issue_id=issue.id, key=digest)
        if stored is not None:
            view = EvaluationView.model_validate(stored)
        else:
            view = _evaluate(session, body, config, rules, runs)
            evaluations.save_view(
                session=session,
                issue_id=issue.id,
                key=digest,
                run_pk=runs[-1].id,
                view=view.model_dump(mode="json"),
            )
        if cache is not None:
            cache.put(key, view)
    return view, None


def _evaluate(
    session: Session, body: str, config: RepoConfig, rules: StoredRules, runs: list[Run]
) -> EvaluationView:
    """Read the plan and the runs it needs, evaluate the newest, and show it."""
    plan = reconcile.read_plan(body, config, rules.item_rules)
    pks = [run.id for run in runs if run.id is not None]
    outcomes = outcome_maps(session=session, run_pks=pks[-reconcile.history_window(config, plan) :])
    evaluation = reconcile.evaluate_newest(
        plan,
        [run_input(session=session, run=run) for run in runs[-2:]],
        config=config,
        map_rules=rules.map_rules,
        ignore=rules.ignore,
        history=outcomes[:-1],
    )
    return shown(evaluation, readings(body, config, rules), flaky(session, pks))


def readings(body: str, config: RepoConfig, rules: StoredRules) -> list[ReadingView]:
    """How the checklist is read, as the summary comment says it (no run needed)."""
    _, found = reconcile.read_checklist(body, config, rules.item_rules)
    return [
        ReadingView(index=r.index, text=r.text, reading=r.words, suggested_rule=r.suggestion)
        for r in found
    ]


def flaky(session: Session, run_pks: list[int]) -> list[FlakeView]:
    """The tests that flipped most often in the newest FLAKE_WINDOW of these runs."""
    return [
        FlakeView(test_id=f.test_id, flips=f.flips, runs=f.runs, rate=f.rate)
        for f in reads.flakiest(session=session, run_pks=run_pks[-FLAKE_WINDOW:])
    ]


def shown(
    evaluation: Evaluation, readings: list[ReadingView], flaky: list[FlakeView]
) -> EvaluationView:
    """An evaluation as the issue page shows it."""
    return EvaluationView(
        items=[
            ItemView(
                index=i.index,
                text=i.text,
                checked=i.checked,
                status=i.status.value,
                evidence=i.evidence,
                phase=i.phase,
            )
            for i in evaluation.items
        ],
        readings=readings,
        phases=[
            PhaseView(
                number=p.number,
                label=p.label,
                title=p.title,
                failing=list(p.failing),
                groups=[_group(g) for g in p.groups],
            )
            for p in evaluation.phases
        ],
        unplanned=[_group(g) for g in evaluation.unplanned],
        newly_failing=list(evaluation.newly_failing),
        newly_fixed=list(evaluation.newly_fixed),
        flaky=flaky,
    )


def _group(group: FailureGroup) -> GroupView:
    return GroupView(
        signature=group.signature,
        message=group.message,
        tests=list(group.tests),
        phase=group.phase,
        reason=group.reason,
    )
