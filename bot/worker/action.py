"""One sync of an issue from a run in hand, with no store: the Action's reconciliation.

The history the App keeps in its store rides in the summary comment instead
(`bot.core.syncstate`). One issue costs the issue read (the label search reads them all at
once), the comment search, and at most two writes: the body and the comment, each only
when it would change (`bot.worker.issues.write_body`, `write_comment`, as the App writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core import reconcile, statecodec, syncstate
from bot.core.evaluate import Evaluation, RunInput
from bot.core.metrics.base import worst_outcomes
from bot.core.repoconfig import RepoConfig
from bot.core.summary import MARKER
from bot.github import GitHubAPI, IssueInfo
from bot.worker.issues import SUMMARY_TITLE, Applied, write_body, write_comment


@dataclass(frozen=True, slots=True)
class RunInHand:
    """The run being synced: its results, and the key that recognises it when synced again."""

    run: RunInput
    key: str


@dataclass(slots=True)
class Synced:
    """What one issue's sync did; `skipped` says why nothing was decided."""

    number: int
    evaluation: Evaluation | None = None
    comment: str | None = None
    ticked: list[str] = field(default_factory=list)  # boxes this sync ticked
    writes: list[str] = field(default_factory=list)
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)


def sync_issue(
    gh: GitHubAPI, repo: str, issue: IssueInfo, run: RunInHand, config: RepoConfig
) -> Synced:
    """Judge the run against the issue's plan and the comment's history; write the difference."""
    synced = Synced(number=issue.number)
    if issue.state != "open" or issue.is_pull_request:
        synced.skipped = "closed" if issue.state != "open" else "a pull request"
        return synced
    current = gh.find_comment(repo, issue.number, MARKER)
    found = statecodec.find(current.body if current else None)
    before = syncstate.before(found.state, run.key)
    if before is None:
        synced.skipped = f"{run.run.label} is older than the last run synced here"
        return synced
    plan = reconcile.read_plan(issue.body, config)
    keep = reconcile.history_window(config, plan)
    depth = max(config.tick_after, config.untick_after)
    before = tuple(before[max(0, len(before) - keep + 1) :]) if keep > 1 else ()
    past = syncstate.earlier(before, full=depth)
    bot_ticked = found.state.ticked if found.state else ()
    desired = reconcile.desire(
        body=issue.body,
        runs=[*past.runs, run.run],
        outcome_history=[*past.outcomes, worst_outcomes(run.run.cases)],
        config=config,
        bot_ticked=bot_ticked,
        title=SUMMARY_TITLE,
        earlier=past.evaluations,
        comment_limit=syncstate.SUMMARY_LIMIT,
    )
    new_body, now_ticked = reconcile.ticked_body(issue.body, desired, bot_ticked)
    newest = syncstate.record(run.run, run.key, desired.evaluation)
    state = syncstate.advance(
        found, newest, before=before, ticked=now_ticked, keep=keep, messages=depth
    )
    state, line = statecodec.bounded(state, syncstate.STATE_BUDGET)
    synced.notes = syncstate.notes(state, run.key)
    comment = syncstate.compose(desired.comment, synced.notes, line)
    applied = Applied(
        comment_id=current.id if current else None, body=new_body, bot_ticked=now_ticked
    )
    write_body(gh, repo, issue.number, (issue.body, new_body), applied)
    write_comment(gh, repo, issue.number, (current, comment), applied)
    synced.evaluation = desired.evaluation
    synced.comment = comment
    synced.ticked = [text for text in now_ticked if text not in bot_ticked]
    synced.writes = applied.writes
    return synced
