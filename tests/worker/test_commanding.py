"""`/remediation` commands end to end: signed `issue_comment` deliveries in, GitHub calls out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from bot.core import commands
from bot.core.markdown_safe import ZWSP
from bot.core.metrics import RULE_USAGE
from bot.store.models import IssueRule, Job
from bot.worker import comments
from bot.worker.comments import REPLY_MARKER

from fakes import FakeGitHub
from fakes.github_state import FakeComment
from fakes.running_bot import RunningBot, fast_forward
from fakes.seed_story import (
    ISSUE,
    MAIN,
    REPO,
    boxes,
    complete_run,
    issue_body,
    open_seed_issue,
    story_zip,
    summary_comments,
)
from fakes.webhook_sender import payload

ISOLATION = "tests/integration/agents/test_base_agent_factory_user_isolation.py"
ISOLATION_FAILURES = [
    f"{ISOLATION}::test_memory_markers_unique_per_user",
    f"{ISOLATION}::test_concurrent_user_isolation",
    f"{ISOLATION}::test_factory_cleanup_removes_markers",
]


@pytest.fixture(autouse=True)
def fresh_permissions() -> Iterator[None]:
    """Roles are cached per process: each test starts with none."""
    comments.PERMISSIONS.clear()
    yield
    comments.PERMISSIONS.clear()


@pytest.fixture(autouse=True)
def no_live_mentions(github: FakeGitHub) -> Iterator[None]:
    """After every test: nothing the bot wrote pings anyone (each `@` is defused)."""
    yield
    for repo in github.repos.values():
        for issue in repo.issues.values():
            for comment in issue.comments:
                if comment.user_type == "Bot":
                    assert "@" not in comment.body.replace("@" + ZWSP, ""), comment.body


def say(
    bot: RunningBot,
    github: FakeGitHub,
    body: str,
    *,
    user: str = "maintainer",
    role: str | None = "write",
    user_type: str = "User",
    action: str = "created",
    work: bool = True,
    **extra: object,
) -> FakeComment:
    """Post a comment on the seed issue as `user` (with `role`), deliver it, run the jobs."""
    if role is not None:
        github.set_permission(REPO, user, role)
    comment = github.add_comment(REPO, ISSUE, body=body, user=user, user_type=user_type)
    delivery = payload(
        "issue_comment",
        action,
        repo=REPO,
        issue_number=ISSUE,
        comment_id=comment.id,
        comment_body=body,
        user=user,
        user_type=user_type,
        merge=MAIN,
        **extra,
    )
    assert bot.deliver("issue_comment", delivery).status_code == 202
    if work:
        bot.work()
    return comment


def replies(github: FakeGitHub) -> list[str]:
    return [c.body for c in github.repos[REPO].issues[ISSUE].comments if REPLY_MARKER in c.body]


def reactions(comment: FakeComment) -> list[str]:
    return [reaction.content for reaction in comment.reactions]


def summary(github: FakeGitHub) -> str:
    (comment,) = summary_comments(github)
    return comment


def failing_by_phase(comment: str) -> dict[int, int]:
    """How many failing tests the summary puts under each phase."""
    counts: dict[int, int] = {}
    for number, rest in re.findall(r"^\*\*Phase (\d+): (.*)$", comment, flags=re.MULTILINE):
        failing = re.search(r"❌ (\d+) failing tests?", rest)
        counts[int(number)] = int(failing.group(1)) if failing else 0
    return counts


def item_line(comment: str, start: str) -> str:
    """The item's line under "Success metrics" (not its reading further down)."""
    results = comment.split("<details><summary>How the checklist is read", 1)[0]
    (line,) = [ln for ln in results.splitlines() if ln.startswith("- `#") and start in ln]
    return line


def stored_rules(bot: RunningBot) -> list[tuple[str, str | None, int | None, str | None]]:
    with Session(bot.engine) as session:
        rows = session.exec(select(IssueRule).order_by(col(IssueRule.id))).all()
        return [(r.kind, r.pattern or r.item_text, r.phase, r.reason) for r in rows]


def seed_with_run(bot: RunningBot, github: FakeGitHub, body: str, *runs: int) -> None:
    """The labelled seed issue after the story's runs `runs` (101, 102, ... by number)."""
    open_seed_issue(bot, github, body)
    bot.work()
    for number in runs:
        complete_run(bot, github, 100 + number, story_zip(number))
        bot.work()


# -- read commands -----------------------------------------------------------------------


def test_help_by_a_reader_lists_the_commands(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    comment = say(bot, github, "How does this work?\n/remediation help", user="reader", role="read")
    assert reactions(comment) == ["+1"]
    (reply,) = replies(github)
    for usage in commands.USAGE.values():
        assert usage in reply
    assert f"`@{ZWSP}reader`" in reply  # addressed, not pinged


def test_status_restores_the_summary_then_says_it_is_up_to_date(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    say(bot, github, "/remediation status", user="reader", role="read")
    (reply,) = replies(github)
    assert "no summary to give" in reply  # no run yet, and never silence

    complete_run(bot, github, 101, story_zip(1))
    bot.work()
    fresh = summary(github)
    (comment,) = [c for c in github.repos[REPO].issues[ISSUE].comments if c.body == fresh]
    comment.body = "stale words"  # someone edited the bot's comment
    first = say(bot, github, "/remediation status", user="reader", role="read")
    assert summary(github) == fresh
    assert reactions(first) == ["+1"]
    assert len(replies(github)) == 1  # the refreshed summary is the answer

    say(bot, github, "/remediation status", user="reader", role="read")
    assert "up to date" in replies(github)[-1]
    assert len(summary_comments(github)) == 1


def test_history_lists_the_runs_with_their_pass_rates(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1, 2)
    say(bot, github, "/remediation history", user="reader", role="read")
    (reply,) = replies(github)
    rows = [line for line in reply.splitlines() if line.startswith("| 10")]
    assert [row.split("|")[1].strip() for row in rows] == ["102", "101"]  # newest first
    assert "| 6/14 | 42.9% |" in rows[1]
    assert re.search(r"\| \d+/14 \| \d+\.\d% \|$", rows[0])


# -- tracking ------------------------------------------------------------------------------


def test_track_and_untrack_without_the_label(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    github.add_repo(REPO, default_branch="main")
    github.add_issue(REPO, ISSUE, title="Issue #870", body=seed_body)
    opened = payload("issues", "opened", repo=REPO, issue_number=ISSUE, issue_body=seed_body)
    bot.deliver("issues", opened)
    complete_run(bot, github, 101, story_zip(1))
    bot.work()
    assert summary_comments(github) == []  # no label: not tracked

    say(bot, github, "/remediation track")
    assert "6/14 passing" in summary(github)
    complete_run(bot, github, 102, story_zip(2))
    bot.work()
    assert boxes(github) == [0, 2, 3]

    say(bot, github, "/remediation untrack")
    (reply,) = replies(github)
    assert "no longer tracked" in reply
    before = summary(github)
    github.requests.clear()
    complete_run(bot, github, 103, story_zip(3))
    bot.work()
    assert summary(github) == before
    assert boxes(github) == [0, 2, 3]
    assert [r.path for r in github.writes() if f"/issues/{ISSUE}" in r.path] == []


def test_refresh_rereads_the_plan(bot: RunningBot, github: FakeGitHub, seed_body: str) -> None:
    seed_with_run(bot, github, seed_body, 1)
    assert "Items met: **1 of 5**" in summary(github)
    # A person adds an item; GitHub's `issues.edited` delivery never arrived.
    issue = github.repos[REPO].issues[ISSUE]
    new_item = "- [ ] `test_agent_registry_concurrent_access_integration.py`: 4/4 tests passing\n"
    issue.body = issue_body(github).replace("- [ ] Zero user", new_item + "- [ ] Zero user")
    comment = say(bot, github, "/remediation refresh")
    assert reactions(comment) == ["+1"]
    assert "Items met: **2 of 6**" in summary(github)


# -- rules ---------------------------------------------------------------------------------


def test_map_moves_failures_to_a_phase_and_unmap_moves_them_back(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1)
    assert failing_by_phase(summary(github)) == {1: 5, 2: 3, 3: 0}

    comment = say(bot, github, f"/remediation map '{ISOLATION}' to phase 3")
    assert reactions(comment) == ["+1"]
    assert failing_by_phase(summary(github)) == {1: 5, 2: 0, 3: 3}
    assert stored_rules(bot) == [("map", ISOLATION, 3, None)]
    complete_run(bot, github, 102, story_zip(2))  # later runs obey the rule too
    bot.work()
    assert failing_by_phase(summary(github))[3] == 3

    say(bot, github, f"/remediation unmap {ISOLATION}")
    assert failing_by_phase(summary(github)) == {1: 0, 2: 3, 3: 0}  # run 2 fixed phase 1
    assert stored_rules(bot) == []
    assert replies(github) == []  # the summary is the answer


def test_ignore_excludes_tests_from_metrics_but_keeps_them_visible(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1)
    zero = "Zero user isolation violations"
    assert "**unmet**" in item_line(summary(github), zero)

    say(bot, github, f"/remediation ignore {ISOLATION} flaky under load")
    ignored = summary(github)
    # No longer unmet by the ignored file; not met either: other isolation tests still fail.
    assert "**unmet**" not in item_line(ignored, zero)
    assert "**met**" not in item_line(ignored, zero)
    assert "5/10 passing" in ignored  # the file's 4 tests left out of the figures
    for test in ISOLATION_FAILURES:
        assert f"`{test}`" in ignored  # still shown
    assert stored_rules(bot) == [("ignore", ISOLATION, None, "flaky under load")]

    say(bot, github, f"/remediation unignore {ISOLATION}")
    assert "**unmet**" in item_line(summary(github), zero)
    assert "6/14 passing" in summary(github)
    assert stored_rules(bot) == []


def test_a_persons_tick_and_untick_outlast_later_runs(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1)
    assert boxes(github) == [2]  # the bot ticked item 2

    say(bot, github, "/remediation tick #1\n/remediation untick #2")
    assert boxes(github) == [1]
    assert "does not confirm it" in item_line(summary(github), "test_base_agent_factory")
    complete_run(bot, github, 102, story_zip(2))  # 1 still unmet, 2 met again
    bot.work()
    assert boxes(github) == [0, 1, 3]

    say(bot, github, '/remediation untick "test_base_agent_factory_user_isolation.py: 4/4"')
    assert boxes(github) == [0, 3]
    assert [kind for kind, *_ in stored_rules(bot)] == ["untick", "untick"]


def test_a_sync_that_fails_and_is_retried_replies_once(
    bot: RunningBot, github: FakeGitHub, seed_body: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reply waits for the sync: the failed attempt posted none, the retry posts one."""
    seed_with_run(bot, github, seed_body, 1)
    github.server_error(502, method="PATCH", path=rf"/repos/{REPO}/issues/{ISSUE}$")
    say(bot, github, "/remediation tick #1\n/remediation frobnicate")
    assert replies(github) == []  # the body write failed: the job waits for its retry
    assert boxes(github) == [2]
    while fast_forward(bot):
        bot.work()
    (reply,) = replies(github)
    assert "frobnicate" in reply
    assert boxes(github) == [1, 2]


def test_tick_of_an_unknown_item_says_so(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1)
    say(bot, github, "/remediation tick #9")
    (reply,) = replies(github)
    assert "no single checklist item matches" in reply
    assert stored_rules(bot) == []


# -- explicit rules for items ----------------------------------------------------------------

GREEN = "Most of the suite is green"  # no metric the bot knows: manual until a rule says how


def with_green_item(seed_body: str) -> str:
    """The seed plan with a manual item at #4 (the isolation item moves to #5)."""
    return seed_body.replace("- [ ] Zero user", f"- [ ] {GREEN}\n- [ ] Zero user", 1)


def reading_line(comment: str, index: int) -> str:
    """The item's line in the summary's "How the checklist is read" section."""
    section = comment.split("<summary>How the checklist is read</summary>", 1)[1]
    section = section.split("</details>", 1)[0]
    (line,) = [ln for ln in section.splitlines() if ln.startswith(f"- `#{index}` ")]
    return line


def test_a_rule_makes_an_item_measured_and_unrule_restores_its_reading(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, with_green_item(seed_body), 1)
    assert boxes(github) == [2]
    assert "manual: its words are no metric" in reading_line(summary(github), 4)

    comment = say(bot, github, "/remediation rule #4 pass-rate >= 40%")
    assert reactions(comment) == ["+1"]
    assert boxes(github) == [2, 4]  # run 1 passes 6/14 (42.9%): measured, met, ticked
    ruled = summary(github)
    assert "**met**" in item_line(ruled, GREEN)
    assert "pass rate ≥ 40% over all tests \\(rule set by command\\)" in reading_line(ruled, 4)
    assert "`#4` read as `pass-rate >= 40%` \\(by maintainer\\)" in ruled
    (reply,) = replies(github)
    assert "read as `pass-rate >= 40%` from now on" in reply
    assert stored_rules(bot) == [("rule", GREEN, None, "pass-rate >= 40%")]

    say(bot, github, f'/remediation rule "{GREEN[:12]}" pass-rate >= 50%')  # by its text
    assert stored_rules(bot) == [("rule", GREEN, None, "pass-rate >= 50%")]  # replaced
    assert "**unmet**" in item_line(summary(github), GREEN)

    say(bot, github, "/remediation unrule #4")
    assert stored_rules(bot) == []
    restored = summary(github)
    assert "**manual**" in item_line(restored, GREEN)
    assert "manual: its words are no metric" in reading_line(restored, 4)
    assert "read from its own words again" in replies(github)[-1]


def test_rule_manual_keeps_the_bot_from_ticking_until_unruled(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    say(bot, github, '/remediation rule "Memory usage" manual')
    assert "manual from now on" in replies(github)[-1]
    complete_run(bot, github, 101, story_zip(1))  # memory is under 250MB in run 1
    bot.work()
    assert boxes(github) == []
    memory = "Memory usage remains stable"
    assert "**manual**" in item_line(summary(github), memory)
    assert "a rule says it is manual \\(rule set by command\\)" in reading_line(summary(github), 2)

    say(bot, github, "/remediation unrule #2")
    assert boxes(github) == [2]  # read from its words again: met, ticked
    assert "peak memory ≤ 250 MB \\(read from the text\\)" in reading_line(summary(github), 2)


def test_a_reader_may_not_set_a_rule(bot: RunningBot, github: FakeGitHub, seed_body: str) -> None:
    seed_with_run(bot, github, with_green_item(seed_body), 1)
    before = summary(github)
    comment = say(bot, github, "/remediation rule #4 pass-rate >= 40%", user="reader", role="read")
    assert reactions(comment) == ["confused"]
    (reply,) = replies(github)
    assert "needs write, maintain or admin access" in reply
    assert commands.USAGE[commands.Verb.RULE] in reply
    assert stored_rules(bot) == []
    assert summary(github) == before
    assert boxes(github) == [2]


def test_a_broken_rule_is_answered_with_what_is_wrong_and_stores_nothing(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, with_green_item(seed_body), 1)
    comment = say(bot, github, "/remediation rule #4 pass-rate 40")
    assert reactions(comment) == ["confused"]
    (reply,) = replies(github)
    assert "the rule is broken: pass\\-rate rule" in reply
    assert "expected e\\.g\\." in reply  # Markdown-escaped, as all quoted text
    assert RULE_USAGE in reply  # every rule there is, in the usage block
    assert stored_rules(bot) == []
    assert boxes(github) == [2]


def test_a_rule_for_an_unknown_item_says_so(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1)
    say(bot, github, "/remediation rule #9 manual")
    assert "no single checklist item matches" in replies(github)[-1]
    assert stored_rules(bot) == []


# -- who may, and what is not a command ----------------------------------------------------


def test_a_reader_may_not_map(bot: RunningBot, github: FakeGitHub, seed_body: str) -> None:
    seed_with_run(bot, github, seed_body, 1)
    before = summary(github)
    comment = say(
        bot, github, f"/remediation map {ISOLATION} to phase 3", user="reader", role="read"
    )
    assert reactions(comment) == ["confused"]
    (reply,) = replies(github)
    assert "needs write, maintain or admin access" in reply
    assert "(yours: read)" in reply
    assert commands.USAGE[commands.Verb.MAP] in reply
    assert stored_rules(bot) == []
    assert summary(github) == before


def test_a_stranger_without_any_role_may_ask_for_help_only(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1)
    say(bot, github, "/remediation help\n/remediation untrack", user="passerby", role=None)
    (reply,) = replies(github)
    assert "/remediation history [N]" in reply
    assert "(yours: none)" in reply
    complete_run(bot, github, 102, story_zip(2))
    bot.work()
    assert boxes(github) == [0, 2, 3]  # still tracked


def test_bots_quotes_edits_and_pull_requests_run_nothing(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1)
    github.requests.clear()
    ignored = [
        say(bot, github, "/remediation untrack", user="helper", user_type="Bot", work=False),
        say(bot, github, "/remediation untrack", user="renovate[bot]", work=False),
        say(
            bot,
            github,
            "/remediation untrack",
            work=False,
            performed_via_github_app={"id": 1, "slug": "other-app"},
        ),
        say(bot, github, "> /remediation untrack\n\nI would not do that.", work=False),
        say(bot, github, "```\n/remediation untrack\n```", work=False),
        say(bot, github, "/remediation untrack", action="edited", work=False),
    ]
    pull_request = payload(
        "issue_comment",
        "created",
        repo=REPO,
        issue_number=ISSUE,
        comment_body="/remediation untrack",
        user="maintainer",
        pull_request=True,
        merge=MAIN,
    )
    bot.deliver("issue_comment", pull_request)
    bot.work()
    assert [reactions(c) for c in ignored] == [[]] * len(ignored)
    assert replies(github) == []
    assert github.writes() == []
    assert not any("/permission" in r.path for r in github.requests)
    complete_run(bot, github, 102, story_zip(2))
    bot.work()
    assert boxes(github) == [0, 2, 3]  # still tracked


def test_three_commands_in_one_comment_all_run(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1)
    body = (
        "Triage notes:\n"
        f"/remediation map {ISOLATION} to phase 3\n"
        "/remediation ignore tests/integration/agents/test_user_execution_engine_integration.py"
        "::test_database_session_per_user sqlite only\n"
        "/remediation history 1\n"
    )
    comment = say(bot, github, body)
    assert reactions(comment) == ["+1"]
    assert [kind for kind, *_ in stored_rules(bot)] == ["map", "ignore"]
    updated = summary(github)
    assert failing_by_phase(updated) == {1: 5, 2: 0, 3: 3}  # the ignored one is still shown
    assert "6/13 passing" in updated
    (reply,) = replies(github)
    assert "Last 1 runs" in reply


def test_malformed_and_unknown_commands_get_the_usage(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1)
    malformed = say(bot, github, "/remediation map x")
    (reply,) = replies(github)
    assert "expected a pattern, then" in reply
    assert "/remediation map PATTERN to phase N" in reply
    assert "/remediation history" not in reply  # that verb's usage, not all of them
    assert reactions(malformed) == ["confused"]

    unknown = say(bot, github, "/remediation frobnicate @octocat")
    reply = replies(github)[-1]
    assert "unknown command" in reply
    assert f"@{ZWSP}octocat" in reply  # quoted back, defused
    for usage in commands.USAGE.values():
        assert usage in reply
    assert reactions(unknown) == ["confused"]
    assert stored_rules(bot) == []


def test_a_403_on_the_permission_check_is_said_and_dead_lettered_not_taken_for_no_access(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    """The App lacks a permission: the commenter is told, the job is dead with the reason."""
    seed_with_run(bot, github, seed_body, 1)
    github.server_error(403, method="GET", path=r"/collaborators/[^/]+/permission$")
    say(bot, github, f"/remediation map {ISOLATION} to phase 3")
    (reply,) = replies(github)
    assert "this App lacks a permission" in reply
    assert stored_rules(bot) == []
    with Session(bot.engine) as session:
        (job,) = session.exec(select(Job).where(Job.kind == "comment")).all()
    assert (job.status, job.attempts) == ("dead", 1)
    assert job.last_error is not None
    assert "Metadata (read)" in job.last_error


# -- drafting ------------------------------------------------------------------------------


def test_draft_replies_with_the_issue_drafted_from_the_newest_run(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    say(bot, github, "/remediation draft")
    assert "nothing to draft from" in replies(github)[-1]

    complete_run(bot, github, 101, story_zip(1))
    bot.work()
    say(bot, github, "/remediation draft")
    reply = replies(github)[-1]
    assert "<details><summary>Drafted issue</summary>" in reply
    drafted = reply.split("```markdown\n", 1)[1].rsplit("```", 1)[0]
    assert drafted.startswith("# Test failures: 8 of 14 tests failing in 2 files\n")
    assert f"{ISOLATION}`: 4/4 tests passing" in drafted
    assert "## Success Metrics" in drafted


def test_a_reader_may_not_ask_for_a_draft(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_with_run(bot, github, seed_body, 1)
    comment = say(bot, github, "/remediation draft", user="reader", role="read")
    assert reactions(comment) == ["confused"]
    assert "needs write, maintain or admin access" in replies(github)[-1]
