"""`close_when_met: true`: the bot closes a tracked issue once every criterion is met and
ticked, says why, and never closes it again after a person reopens it."""

from __future__ import annotations

from bot.core.closing import MARKER as CLOSED

from fakes import FakeGitHub
from fakes.running_bot import RunningBot
from fakes.seed_story import (
    ISSUE,
    REPO,
    complete_run,
    issue_body,
    issue_payload,
    open_seed_issue,
    story_zip,
    summary_comments,
)
from fakes.webhook_sender import payload


def _story(bot: RunningBot, github: FakeGitHub, body: str, runs: range) -> None:
    for number in runs:
        complete_run(bot, github, 100 + number, story_zip(number))
        bot.work()


def _closing_comments(github: FakeGitHub) -> list[str]:
    return [c.body for c in github.repos[REPO].issues[ISSUE].comments if CLOSED in c.body]


def _open(bot: RunningBot, github: FakeGitHub, body: str) -> None:
    open_seed_issue(bot, github, body)
    github.set_file(REPO, ".github/remediation.yml", "close_when_met: true\n")
    bot.work()


def test_the_issue_closes_once_every_item_is_met_and_stays_open_once_reopened(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    _open(bot, github, seed_body)
    _story(bot, github, seed_body, range(1, 3))
    assert github.repos[REPO].issues[ISSUE].state == "open"  # run 2 leaves items unmet

    _story(bot, github, seed_body, range(3, 4))
    issue = github.repos[REPO].issues[ISSUE]
    assert issue.state == "closed"
    assert issue.state_reason == "completed"
    (said,) = _closing_comments(github)
    assert "Every success metric is met: 5 measured by the runs" in said

    issue.state = "open"  # a person reopens it
    reopened = payload(
        "issues",
        "reopened",
        repo=REPO,
        issue_number=ISSUE,
        issue_body=issue_body(github),
        merge={
            "issue": {"labels": [{"name": "remediation"}], "state": "open"},
            "sender": {"login": "maintainer", "type": "User"},
        },
    )
    bot.deliver("issues", reopened)
    bot.work()
    complete_run(bot, github, 104, story_zip(3))
    bot.work()
    assert github.repos[REPO].issues[ISSUE].state == "open"
    assert len(_closing_comments(github)) == 1


def test_a_manual_item_left_keeps_it_open_and_the_summary_says_so(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    body = seed_body.replace(
        "## Conclusion", "- [ ] Release notes reviewed by the team\n\n## Conclusion", 1
    )
    _open(bot, github, body)
    _story(bot, github, body, range(1, 4))
    assert github.repos[REPO].issues[ISSUE].state == "open"
    (summary,) = summary_comments(github)
    assert "(all measured criteria met; 1 manual item left)" in summary

    ticked = issue_body(github).replace("- [ ] Release notes", "- [x] Release notes")
    github.repos[REPO].issues[ISSUE].body = ticked  # the person ticks it
    bot.deliver("issues", issue_payload("edited", ticked))
    bot.work()
    assert github.repos[REPO].issues[ISSUE].state == "closed"
