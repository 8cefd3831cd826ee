"""The bot end to end: signed deliveries in, GitHub calls out, against the fake GitHub."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fakes import FakeGitHub
from fakes.running_bot import RunningBot
from fakes.seed_story import (
    ISSUE,
    MAIN,
    REPO,
    boxes,
    complete_run,
    issue_body,
    issue_payload,
    open_seed_issue,
    run_payload,
    story_zip,
    summary_comments,
)
from fakes.webhook_sender import payload


def test_seed_story_through_webhooks(bot: RunningBot, github: FakeGitHub, seed_body: str) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    assert summary_comments(github) == []  # no run yet: nothing to say

    expected = {1: [2], 2: [0, 2, 3], 3: [0, 1, 2, 3, 4]}
    for number in (1, 2, 3):
        if number == 3:  # a person edits the body between two runs
            issue = github.repos[REPO].issues[ISSUE]
            issue.body = issue_body(github).replace(
                "## Conclusion", "## Conclusion\n\nEdited by a person."
            )
        response = complete_run(bot, github, 100 + number, story_zip(number))
        assert response.status_code == 202
        bot.work()
        assert boxes(github) == expected[number]
        assert len(summary_comments(github)) == 1  # created once, then updated

    final = issue_body(github)
    assert "Edited by a person." in final
    assert final.replace("- [x]", "- [ ]") == seed_body.replace(
        "## Conclusion", "## Conclusion\n\nEdited by a person."
    )
    (comment,) = summary_comments(github)
    assert "14/14 passing" in comment
    assert "Items met: **5 of 5**" in comment


def test_one_run_costs_at_most_six_calls_and_nothing_when_unchanged(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    complete_run(bot, github, 101, story_zip(1))
    bot.work()
    github.requests.clear()
    complete_run(bot, github, 102, story_zip(2))
    bot.work()
    calls = [r for r in github.requests if "access_tokens" not in r.path]
    gate = [r for r in calls if "check-runs" in r.path]  # the regression gate's check run
    assert len(gate) == 1
    ingest_and_sync = [r for r in calls if r not in gate]
    assert len(ingest_and_sync) <= 6, [f"{r.method} {r.path}" for r in ingest_and_sync]
    github.requests.clear()
    body = issue_body(github)
    bot.deliver("issues", issue_payload("edited", body))  # a sync with nothing new to say
    bot.work()
    assert [r for r in github.writes() if "access_tokens" not in r.path] == []


def test_redelivery_creates_no_second_job(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    github.add_artifact(REPO, 101, name="junit-results", zip_bytes=story_zip(1))
    body = run_payload(101)
    first = bot.deliver("workflow_run", body, delivery_id="d-1")
    again = bot.deliver("workflow_run", body, delivery_id="d-1")
    assert (first.status_code, again.status_code) == (202, 200)
    assert "duplicate" in again.json()["message"]
    assert bot.work() == 3  # the run's ingest, one sync and the gate, once each
    assert len(summary_comments(github)) == 1


def test_runs_from_forks_and_other_branches_never_tick(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    complete_run(bot, github, 201, story_zip(3), head_branch="feature/x")
    complete_run(bot, github, 202, story_zip(3), head_repository="mallory/agents")
    bot.work()
    assert boxes(github) == []
    assert summary_comments(github) == []


def test_expired_artifact_is_reported_not_retried(
    bot: RunningBot, github: FakeGitHub, seed_body: str, caplog: pytest.LogCaptureFixture
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    github.add_artifact(REPO, 301, name="junit-results", zip_bytes=story_zip(1), expired=True)
    bot.deliver("workflow_run", run_payload(301))
    assert bot.work() == 1
    assert "has expired" in caplog.text
    assert summary_comments(github) == []


def test_label_removed_stops_tracking(bot: RunningBot, github: FakeGitHub, seed_body: str) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    github.repos[REPO].issues[ISSUE].labels = []
    unlabeled = payload(
        "issues", "unlabeled", repo=REPO, issue_number=ISSUE, issue_body=seed_body, merge=MAIN
    )
    bot.deliver("issues", unlabeled)
    bot.work()
    complete_run(bot, github, 401, story_zip(1))
    bot.work()
    assert summary_comments(github) == []


def test_after_a_sync_the_app_is_told_so_it_can_warm_its_caches(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    synced: list[int] = []
    context = bot.worker.context
    bot.worker.context = replace(
        context, after_sync=lambda s, r, issue: synced.append(issue.number)
    )
    assert context.after_sync is not None  # the app wires its dashboard warm-up in
    open_seed_issue(bot, github, seed_body)
    bot.work()
    complete_run(bot, github, 701, story_zip(1))
    bot.work()
    assert synced == [ISSUE]
