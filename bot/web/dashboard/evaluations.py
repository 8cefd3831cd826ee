"""The newest run's evaluation of an issue, as the summary comment reads it, and its cache.

An evaluation is a pure function of the body, the runs, the configuration and the stored
rules, so a key made of those can never serve a stale one.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from sqlmodel import Session

from bot.core import reconcile
from bot.core.evaluate import Evaluation
from bot.core.repoconfig import RepoConfig
from bot.store import issue_rules
from bot.store.models import Repository, Run, TrackedIssue
from bot.store.runs import outcome_maps, run_input


class EvaluationCache:
    """Evaluations by everything they depend on; one per app, shared by its threads.

    A new run or an edit makes a new key; the least recently used entries go.
    """

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[object, ...], Evaluation] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Evaluation | None:
        """The cached evaluation, if any."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], evaluation: Evaluation) -> None:
        """Remember an evaluation."""
        with self._lock:
            self._entries[key] = evaluation
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def newest_evaluation(
    session: Session,
    issue: TrackedIssue,
    repository: Repository,
    config: RepoConfig,
    runs: list[Run],
    cache: EvaluationCache | None,
) -> tuple[Evaluation | None, str | None]:
    """The newest run's evaluation (`reconcile.evaluate_newest`), or why there is none."""
    body = issue.desired_body or issue.body
    if body is None:
        return None, "the issue's body is not stored yet"
    if not runs:
        return None, "no qualifying run yet"
    rules = issue_rules.stored_rules(session=session, issue=issue)
    # Keyed by every run any plan could read, so a hit needs no reading of the plan.
    widest = [run.id for run in runs[-reconcile.widest_window(config) :] if run.id is not None]
    key = (
        issue.id,
        hashlib.sha256(body.encode()).hexdigest(),
        tuple(widest),
        repository.config_text,
        tuple(rules.map_rules),
        tuple(rules.ignore),
        tuple(sorted(rules.item_rules.items())),
    )
    evaluation = cache.get(key) if cache is not None else None
    if evaluation is None:
        plan = reconcile.read_plan(body, config, rules.item_rules)
        window = widest[-reconcile.history_window(config, plan) :]
        outcomes = outcome_maps(session=session, run_pks=window)
        evaluation = reconcile.evaluate_newest(
            plan,
            [run_input(session=session, run=run) for run in runs[-2:]],
            config=config,
            map_rules=rules.map_rules,
            ignore=rules.ignore,
            history=outcomes[:-1],
        )
        if cache is not None:
            cache.put(key, evaluation)
    return evaluation, None
