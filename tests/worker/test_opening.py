"""`open_issues: true`: a red default-branch run opens one drafted, tracked issue.

End to end over HTTP: signed `workflow_run` deliveries in, the fake GitHub's issues out.
"""

from __future__ import annotations

from bot.core.summary import MARKER

from fakes import FakeGitHub
from fakes.running_bot import RunningBot
from fakes.seed_story import REPO, complete_run, open_seed_issue, story_zip

ISOLATION = "tests/integration/agents/test_base_agent_factory_user_isolation.py"
CODEOWNERS = f"*  @lead\n/{ISOLATION} @isolation-owner @acme/agents\n"


def _configure(github: FakeGitHub, config: str = "open_issues: true\n") -> None:
    github.add_repo(REPO, default_branch="main")
    github.set_file(REPO, ".github/remediation.yml", config)
    github.set_file(REPO, ".github/CODEOWNERS", CODEOWNERS)
    github.set_permission(REPO, "lead", "write")
    github.set_permission(REPO, "isolation-owner", "maintain")


def _opened(github: FakeGitHub) -> list[int]:
    return sorted(n for n, i in github.repos[REPO].issues.items() if i.user.endswith("[bot]"))


def test_a_red_run_nothing_covers_opens_one_drafted_tracked_issue(
    bot: RunningBot, github: FakeGitHub
) -> None:
    _configure(github)
    complete_run(bot, github, 101, story_zip(1))
    bot.work()
    (number,) = _opened(github)
    issue = github.repos[REPO].issues[number]
    assert issue.title == "Test failures on main: 8 failing, 3 root causes"
    assert issue.labels == ["remediation"]
    assert issue.body is not None
    assert issue.body.startswith(f"# {issue.title}\n")
    assert "## Success Metrics" in issue.body
    # The owners of the failing files; a team cannot be an assignee.
    assert sorted(issue.assignees) == ["isolation-owner", "lead"]
    assert any(MARKER in c.body for c in issue.comments)  # synced at once

    # The same failures again, fewer of them: their signatures have an issue already.
    complete_run(bot, github, 102, story_zip(2))
    bot.work()
    assert _opened(github) == [number]


def test_failures_a_tracked_plan_covers_open_nothing(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    _configure(github)
    open_seed_issue(bot, github, seed_body)
    bot.work()
    complete_run(bot, github, 101, story_zip(1))
    bot.work()
    assert _opened(github) == []


def test_forks_and_other_branches_open_nothing(bot: RunningBot, github: FakeGitHub) -> None:
    _configure(github)
    complete_run(bot, github, 201, story_zip(1), head_repository="mallory/agents")
    complete_run(bot, github, 202, story_zip(1), head_branch="feature/x")
    bot.work()
    assert _opened(github) == []


def test_without_the_setting_no_issue_is_opened(bot: RunningBot, github: FakeGitHub) -> None:
    _configure(github, config="tick_after: 1\n")
    complete_run(bot, github, 101, story_zip(1))
    bot.work()
    assert _opened(github) == []


def test_assignees_github_refuses_leave_the_issue_unassigned_not_unopened(
    bot: RunningBot, github: FakeGitHub
) -> None:
    _configure(github)
    github.set_permission(REPO, "lead", "read")  # may not be assigned: GitHub answers 422
    complete_run(bot, github, 101, story_zip(1))
    bot.work()
    (number,) = _opened(github)
    assert github.repos[REPO].issues[number].assignees == []
