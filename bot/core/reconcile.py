"""What one issue should show: plan x runs x configuration -> the comment and tick decisions.

Pure module: no I/O. `desire` decides; `ticked_body` applies the decisions to the body
fetched for this very sync, so a person's edit survives (only checkbox characters change).
The worker (`bot.worker.issues`) writes the difference to GitHub, so running a sync twice
writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from bot.core import checklist, readings, summary, ticking
from bot.core import plan as plan_module
from bot.core.checklist import Decision
from bot.core.evaluate import Evaluation, FlakyPolicy, RunInput, evaluate
from bot.core.mapping import MapRule
from bot.core.metrics import runs_needed
from bot.core.metrics.history import MAX_RUNS
from bot.core.repoconfig import RepoConfig
from bot.core.results import Outcome


@dataclass(frozen=True, slots=True)
class Desired:
    """What the issue should show after the newest qualifying run."""

    comment: str
    decisions: list[Decision]
    evaluation: Evaluation
    plan: plan_module.Plan
    # Items a person asked to untick by command: unticked even if a person ticked them.
    unlocked: frozenset[str] = frozenset()


def desire(
    *,
    body: str,
    runs: Sequence[RunInput],
    config: RepoConfig,
    bot_ticked: Collection[str] = (),
    title: str | None = None,
    map_rules: Sequence[MapRule] = (),
    ignore: Sequence[str] = (),
    forced: Mapping[str, bool] | None = None,
    item_rules: Mapping[str, str] | None = None,
    rule_notes: Sequence[str] = (),
    outcome_history: Sequence[Mapping[str, Outcome]] | None = None,
    earlier: Sequence[Evaluation] | None = None,
    comment_limit: int = summary.DEFAULT_LIMIT,
) -> Desired:
    """The comment and tick decisions for runs (oldest first, the newest decides).

    `forced` maps item texts to the state a person decided by command (`tick`/`untick`):
    it overrides the bot's decision for those items. `item_rules` maps item texts to the
    explicit rules commands set (`rule`); they win over the repository file's rules.
    `earlier` are the evaluations of the runs before the newest, as they were when each
    was the newest (oldest first): given, they stand in for evaluating `runs[:-1]` again,
    for a caller that no longer has those runs in full (`sync`'s hidden state).
    """
    plan, read = read_checklist(body, config, item_rules)
    depth = max(config.tick_after, config.untick_after)
    first = len(runs) if earlier is not None else max(1, len(runs) - depth + 1)
    past = list(outcome_history or [])
    history = [*list(earlier or [])[max(0, len(earlier or []) - depth + 1) :]]
    history += [
        evaluate_newest(
            plan,
            runs[:end],
            config=config,
            map_rules=map_rules,
            ignore=ignore,
            history=past[: len(past) - (len(runs) - end) - 1] if outcome_history else None,
        )
        for end in range(first, len(runs) + 1)
    ]
    forced = dict(forced or {})
    decisions = [
        d
        for d in ticking.decide(
            plan,
            history,
            streak=config.tick_after,
            untick_regressions=config.untick_regressions,
            untick_after=config.untick_after,
            bot_ticked=bot_ticked,
        )
        if d.text not in forced
    ]
    decisions += [
        Decision(index=item.index, text=item.text, checked=forced[item.text])
        for item in plan.items
        if item.text in forced and item.checked != forced[item.text]
    ]
    # The comment describes the issue as it will be, after these decisions.
    decided = {d.text: d.checked for d in decisions}
    evaluation = replace(
        history[-1],
        items=tuple(replace(i, checked=decided.get(i.text, i.checked)) for i in history[-1].items),
        rules=tuple(rule_notes),
    )
    return Desired(
        comment=summary.render(evaluation, plan, title=title, readings=read, limit=comment_limit),
        decisions=decisions,
        evaluation=evaluation,
        plan=plan,
        unlocked=frozenset(text for text, checked in forced.items() if not checked),
    )


def read_plan(
    body: str, config: RepoConfig, item_rules: Mapping[str, str] | None = None
) -> plan_module.Plan:
    """The issue's plan, with the explicit rules of the repository and of commands applied.

    `item_rules` (item text -> rule, set by `/remediation rule`) win over the file's rules.
    """
    return read_checklist(body, config, item_rules)[0]


def read_checklist(
    body: str, config: RepoConfig, item_rules: Mapping[str, str] | None = None
) -> tuple[plan_module.Plan, tuple[readings.Reading, ...]]:
    """The plan (as `read_plan`) and how each of its items is read, with the rules' origins."""
    texts = [box.text for box in checklist.find_checkboxes(body)]
    overrides = config.rule_overrides(texts)
    origins = dict.fromkeys(overrides, readings.Origin.CONFIG)
    for index, text in enumerate(texts):
        rule = (item_rules or {}).get(text)
        if rule is not None:
            overrides[index], origins[index] = rule, readings.Origin.COMMAND
    plan = plan_module.parse(body, rule_overrides=overrides)
    return plan, readings.read(plan, origins)


def history_window(config: RepoConfig, plan: plan_module.Plan | None = None) -> int:
    """How many of the newest qualifying runs a sync reads: the flaky window, or the streaks.

    A plan's multi-run items widen it to the runs they span (`metrics.MAX_RUNS` at most),
    and by the tick streak: each of the `tick_after` evaluations needs its own span.
    """
    spans = [runs_needed(item.metric) for item in plan.items] if plan else []
    return _window(config, max(spans, default=1))


def widest_window(config: RepoConfig) -> int:
    """The most runs `history_window` can ask for under this configuration, whatever the plan."""
    return _window(config, MAX_RUNS)


def _window(config: RepoConfig, span: int) -> int:
    depth = max(config.tick_after, config.untick_after)
    return max(config.flaky_window, depth + 1, span + depth - 1)


def evaluate_newest(
    plan: plan_module.Plan,
    runs: Sequence[RunInput],
    *,
    config: RepoConfig,
    map_rules: Sequence[MapRule] = (),
    ignore: Sequence[str] = (),
    history: Sequence[Mapping[str, Outcome]] | None = None,
) -> Evaluation:
    """The newest of `runs` as the summary comment and the dashboard both read it.

    The repository's rules come before the commands' (`map_rules`, `ignore`); `history` is
    each earlier run's outcomes, oldest first, for the repository's flaky policy.
    """
    return evaluate(
        plan,
        runs,
        map_rules=[*config.map_rules(), *map_rules],
        ignore=[*config.ignore, *ignore],
        history=history,
        flaky_policy=FlakyPolicy(window=config.flaky_window, min_runs=config.flaky_min_runs),
    )


def ticked_body(body: str, desired: Desired, bot_ticked: Collection[str]) -> tuple[str, list[str]]:
    """The body with the decided boxes changed, and the bot's ticks afterwards."""
    allowed = {*bot_ticked, *desired.unlocked}
    new_body = checklist.tick(body, desired.decisions, bot_ticked=allowed)
    before = {box.text: box.checked for box in checklist.find_checkboxes(body)}
    after = {box.text: box.checked for box in checklist.find_checkboxes(new_body)}
    ticked = {text for text, checked in after.items() if checked and not before.get(text)}
    unticked = {text for text, checked in after.items() if not checked and before.get(text)}
    kept = [text for text in bot_ticked if text not in unticked and text in after]
    return new_body, [*kept, *sorted(ticked - set(kept))]
