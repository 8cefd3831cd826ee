"""`remediation-bot sync` against the fake GitHub over real HTTP, in token mode."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.core import checklist, statecodec, summary, syncstate

from fakes import FakeGitHub, ServedFake, serve
from fakes.running_bot import RunningBot
from fakes.seed_story import (
    FIXTURES,
    ISSUE,
    REPO,
    boxes,
    complete_run,
    issue_body,
    open_seed_issue,
    story_zip,
    summary_comments,
)

RUNS = {
    n: sorted(str(p) for p in (FIXTURES / "seed-story" / f"run{n}").glob("*.xml"))
    for n in (1, 2, 3)
}
# What Actions sets and sync reads, cleared unless a test sets it (CI may run the tests).
ENVIRONMENT = (
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_SHA",
    "GITHUB_REF_NAME",
    "GITHUB_SERVER_URL",
    "GITHUB_EVENT_PATH",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "DATABASE_URL",
    "GITHUB_APP_ID",
    "GITHUB_PRIVATE_KEY",
    "GITHUB_PRIVATE_KEY_PATH",
)
STREAK_BODY = """\
## Success metrics

- [ ] 3 consecutive green runs
- [ ] `test_user_execution_engine_integration.py`: 5/5 tests passing
- [ ] No flaky tests
"""

Sync = Callable[..., Result]


@pytest.fixture
def sync(
    served_github: ServedFake, github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Sync:
    """Run `remediation-bot sync ARGS` as a workflow step would, with a token of the fake."""
    monkeypatch.chdir(tmp_path)  # no .github/remediation.yml here unless a test writes one
    token = github.issue_token()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        values: dict[str, str | None] = dict.fromkeys(ENVIRONMENT)
        values.update({"GITHUB_TOKEN": token, "GITHUB_API_URL": served_github.api_url})
        values.update(env or {})
        return CliRunner().invoke(app, ["sync", *args], env=values)

    return run


def story(sync: Sync, number: int, *extra: str, issue: int = ISSUE) -> Result:
    """Sync the seed story's run `number` (run id 100 + number) to the issue."""
    args = ["--repo", REPO, "--issue", str(issue), "--run-id", str(100 + number), *extra]
    result = sync(*args, *RUNS[number])
    assert result.exit_code == 0, result.output
    return result


def open_issue(github: FakeGitHub, body: str, number: int = ISSUE) -> None:
    if REPO not in github.repos:
        github.add_repo(REPO, default_branch="main")
    github.add_issue(REPO, number, title=f"Issue #{number}", body=body, labels=["remediation"])


def calls(github: FakeGitHub) -> list[str]:
    return [f"{r.method} {r.path}" for r in github.requests]


def comment(github: FakeGitHub, number: int = ISSUE) -> str:
    (body,) = [
        c.body for c in github.repos[REPO].issues[number].comments if summary.MARKER in c.body
    ]
    return body


def test_first_sync_then_a_run_that_changes_ticks_and_the_trend(
    sync: Sync, github: FakeGitHub, seed_body: str
) -> None:
    open_issue(github, seed_body)
    first = story(sync, 1)
    assert boxes(github) == [2]
    assert "#870: issue body, comment created" in first.output
    assert "Trend: first run" in comment(github)
    assert syncstate.START_NOTES[syncstate.Start.FIRST] in comment(github)

    story(sync, 2)
    assert boxes(github) == [0, 2, 3]
    text = comment(github)
    assert "Trend: ▲ +35.7 pts (42.9% → 78.6%)" in text
    assert "History kept since run 101: 2 runs in this comment." in text
    assert syncstate.START_NOTES[syncstate.Start.FIRST] not in text
    assert len(summary_comments(github)) == 1  # created once, then updated


def test_seed_story_ticks_as_the_app_does_in_at_most_four_calls(
    bot: RunningBot, github: FakeGitHub, sync: Sync, seed_body: str
) -> None:
    """The App's seed story (tests/test_service.py), then the same runs through sync."""
    open_seed_issue(bot, github, seed_body)
    bot.work()
    by_app, app_comments = [], []
    for number in (1, 2, 3):
        complete_run(bot, github, 100 + number, story_zip(number))
        bot.work()
        by_app.append(boxes(github))
        app_comments.append(comment(github))

    issue = github.repos[REPO].issues[ISSUE]  # the same issue, as it was before the App
    issue.body, issue.comments = seed_body, []
    by_sync, sync_comments = [], []
    for number in (1, 2, 3):
        github.requests.clear()
        url = f"https://github.com/{REPO}/actions/runs/{100 + number}"
        story(sync, number, "--url", url)
        assert len(github.requests) <= 4, calls(github)
        by_sync.append(boxes(github))
        sync_comments.append(comment(github))
        github.requests.clear()
        story(sync, number, "--url", url)  # the job rerun: nothing new to say
        assert calls(github) == [
            f"GET /repos/{REPO}/issues/{ISSUE}",
            f"GET /repos/{REPO}/issues/{ISSUE}/comments",
        ]

    assert by_sync == by_app == [[2], [0, 2, 3], [0, 1, 2, 3, 4]]
    # Above the App's footer, the comments are the App's, byte for byte.
    for app_text, sync_text in zip(app_comments, sync_comments, strict=True):
        assert sync_text.split(summary.FOOTER)[0] == app_text.split(summary.FOOTER)[0]


@pytest.mark.parametrize(
    "config",
    ["untick_regressions: true\n", "tick_after: 2\nuntick_regressions: true\n"],
)
def test_streaks_and_unticks_follow_the_app_over_a_longer_story(
    bot: RunningBot, github: FakeGitHub, sync: Sync, seed_body: str, tmp_path: Path, config: str
) -> None:
    """Runs that regress and recover: the boxes after each one, by the App and by sync."""
    stories = (1, 2, 3, 3, 1, 3, 2, 3)
    open_seed_issue(bot, github, seed_body)
    github.set_file(REPO, ".github/remediation.yml", config)
    bot.work()
    by_app = []
    for n, number in enumerate(stories):
        complete_run(bot, github, 300 + n, story_zip(number))
        bot.work()
        by_app.append(boxes(github))

    issue = github.repos[REPO].issues[ISSUE]
    issue.body, issue.comments = seed_body, []
    (tmp_path / "remediation.yml").write_text(config)
    by_sync = []
    for n, number in enumerate(stories):
        args = ["--repo", REPO, "--issue", str(ISSUE), "--run-id", str(300 + n)]
        result = sync(*args, "--config", str(tmp_path / "remediation.yml"), *RUNS[number])
        assert result.exit_code == 0, result.output
        by_sync.append(boxes(github))
    assert by_sync == by_app
    assert len(set(map(tuple, by_app))) > 2  # the story does tick, and changes its mind


def test_a_rerun_writes_nothing(sync: Sync, github: FakeGitHub, seed_body: str) -> None:
    open_issue(github, seed_body)
    story(sync, 1)
    story(sync, 2)
    before = comment(github)
    github.requests.clear()
    again = story(sync, 2)
    assert github.writes() == []
    assert len(github.requests) == 2
    assert "#870: nothing to write" in again.output
    assert comment(github) == before


def test_an_older_run_synced_late_writes_nothing(
    sync: Sync, github: FakeGitHub, seed_body: str
) -> None:
    open_issue(github, seed_body)
    story(sync, 1)
    story(sync, 2)
    github.requests.clear()
    late = story(sync, 1)
    assert github.writes() == []
    assert "run 101 is older than the last run synced here" in late.output


def test_a_persons_edit_between_runs_is_kept(
    sync: Sync, github: FakeGitHub, seed_body: str
) -> None:
    open_issue(github, seed_body)
    story(sync, 1)
    issue = github.repos[REPO].issues[ISSUE]
    edited = issue_body(github).replace("## Conclusion", "## Conclusion\n\nEdited by a person.")
    issue.body = edited
    story(sync, 2)
    final = issue_body(github)
    assert "Edited by a person." in final
    # Only checkbox characters changed: the person's words, and every byte else, stay.
    assert final.replace("- [x]", "- [ ]") == edited.replace("- [x]", "- [ ]")
    assert boxes(github) == [0, 2, 3]


def test_label_sync_over_two_issues(sync: Sync, github: FakeGitHub, seed_body: str) -> None:
    open_issue(github, seed_body, number=870)
    open_issue(github, STREAK_BODY, number=871)
    github.add_issue(REPO, 872, title="Not tracked", body=seed_body, labels=["bug"])
    github.requests.clear()
    result = sync("--repo", REPO, "--label", "remediation", "--run-id", "101", *RUNS[1])
    assert result.exit_code == 0, result.output
    assert "#870: issue body, comment created" in result.output
    assert "#871: comment created" in result.output  # its items are not met by run 1
    search = github.requests[0]
    assert (search.method, search.path) == ("GET", f"/repos/{REPO}/issues")
    assert search.query == {"labels": "remediation", "state": "open", "per_page": "100"}
    assert len(github.requests) == 1 + 3 + 2  # one search; per issue the comments, then writes
    assert boxes(github) == [2]
    assert not any(b.checked for b in checklist.find_checkboxes(issue_body(github, 871)))
    assert github.repos[REPO].issues[872].comments == []


def test_a_streak_is_carried_by_the_hidden_state(sync: Sync, github: FakeGitHub) -> None:
    """tests/worker/test_streaks.py's story, with the history in the comment only."""
    open_issue(github, STREAK_BODY)
    seen = []
    for number in (1, 2, 3):
        result = sync("--repo", REPO, "--issue", str(ISSUE), "--run-id", f"20{number}", *RUNS[3])
        assert result.exit_code == 0, result.output
        seen.append(boxes(github))
    assert seen == [[1], [1], [0, 1]]
    text = comment(github)
    assert "green in 3 consecutive runs" in text
    assert "3 of 5 runs seen, no flips so far" in text


def test_tick_after_two_needs_two_met_runs_from_the_state(
    sync: Sync, github: FakeGitHub, seed_body: str, tmp_path: Path
) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "remediation.yml").write_text("tick_after: 2\n")
    open_issue(github, seed_body)
    seen = []
    for run_id, number in ((101, 1), (102, 1), (103, 3), (104, 3)):
        result = sync("--repo", REPO, "--issue", str(ISSUE), "--run-id", str(run_id), *RUNS[number])
        assert result.exit_code == 0, result.output
        seen.append(boxes(github))
    # Memory (item 2) is met in run 1: ticked after its second met run, with the App's rule.
    assert seen == [[], [2], [2], [0, 1, 2, 3, 4]]


def _state_line(text: str) -> str:
    match = re.search(r"<!-- remediation-bot:state .* -->", text)
    assert match is not None
    return match.group(0)


def test_a_hand_edited_state_is_discarded_with_a_note(
    sync: Sync, github: FakeGitHub, seed_body: str
) -> None:
    open_issue(github, seed_body)
    story(sync, 1)
    stored = next(c for c in github.repos[REPO].issues[ISSUE].comments if summary.MARKER in c.body)
    line = _state_line(stored.body)
    payload = line.split(" ")[4]
    tampered = payload[:40] + ("A" if payload[40] != "A" else "B") + payload[41:]
    stored.body = stored.body.replace(payload, tampered)
    story(sync, 2)
    text = comment(github)
    assert syncstate.START_NOTES[syncstate.Start.TAMPERED] in text
    assert "Trend: first run" in text  # run 1 is forgotten, never trusted
    assert statecodec.find(text).state is not None  # a fresh, valid state replaces it


def test_a_deleted_comment_starts_the_history_again(
    sync: Sync, github: FakeGitHub, seed_body: str
) -> None:
    open_issue(github, seed_body)
    story(sync, 1)
    story(sync, 2)
    github.repos[REPO].issues[ISSUE].comments.clear()
    story(sync, 3)
    text = comment(github)
    assert syncstate.START_NOTES[syncstate.Start.FIRST] in text
    assert "Trend: first run" in text
    assert boxes(github) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("fail_on", "number", "code"),
    [
        ("never", 1, 0),
        ("unmet", 1, 1),
        ("unmet", 3, 0),
        ("new-failures", 1, 0),  # a first run has nothing to be new against
        ("new-failures", 3, 0),
    ],
)
def test_fail_on_exit_codes(
    sync: Sync, github: FakeGitHub, seed_body: str, fail_on: str, number: int, code: int
) -> None:
    open_issue(github, seed_body)
    args = ["--repo", REPO, "--issue", str(ISSUE), "--fail-on", fail_on, *RUNS[number]]
    assert sync(*args).exit_code == code


def test_fail_on_new_failures_after_a_regression(
    sync: Sync, github: FakeGitHub, seed_body: str
) -> None:
    open_issue(github, seed_body)
    story(sync, 3)
    args = ["--repo", REPO, "--issue", str(ISSUE), "--run-id", "104", "--fail-on", "new-failures"]
    result = sync(*args, *RUNS[1])
    assert result.exit_code == 1
    assert "new-failures: 8" in result.output


def test_github_defaults_come_from_the_environment(
    sync: Sync, github: FakeGitHub, seed_body: str, tmp_path: Path
) -> None:
    open_issue(github, seed_body)
    outputs, step_summary = tmp_path / "output", tmp_path / "summary.md"
    env = {
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_RUN_ID": "9001",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_SHA": "a" * 40,
        "GITHUB_REF_NAME": "main",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(step_summary),
    }
    result = sync("--issue", str(ISSUE), *RUNS[2], env=env)
    assert result.exit_code == 0, result.output
    text = comment(github)
    link = f"[run 9001 \\(attempt 2\\)](https://github.com/{REPO}/actions/runs/9001/attempts/2)"
    assert link in text
    assert outputs.read_text() == "pass-rate=78.6\nitems-met=3/5\nnew-failures=0\n"
    assert step_summary.read_text() == statecodec.strip(text) + "\n"
    assert statecodec.TAG not in step_summary.read_text()


def test_a_branch_not_configured_ticks_nothing(
    sync: Sync, github: FakeGitHub, seed_body: str, tmp_path: Path
) -> None:
    config = tmp_path / "remediation.yml"
    config.write_text("branches: [main]\n")
    open_issue(github, seed_body)
    args = ["--repo", REPO, "--issue", str(ISSUE), "--branch", "feature/x", "--config", str(config)]
    result = sync(*args, *RUNS[3])
    assert result.exit_code == 0
    assert "not one of the branches whose runs count (main): nothing synced" in result.output
    assert github.requests == []


def test_a_pull_requests_run_ticks_nothing_as_with_the_app(
    sync: Sync, github: FakeGitHub, seed_body: str, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"repository": {"default_branch": "main"}, "number": 12}')
    open_issue(github, seed_body)
    env = {"GITHUB_EVENT_PATH": str(event), "GITHUB_REF_NAME": "12/merge"}
    result = sync("--repo", REPO, "--issue", str(ISSUE), *RUNS[3], env=env)
    assert result.exit_code == 0
    assert "nothing synced" in result.output
    assert github.requests == []
    env["GITHUB_REF_NAME"] = "main"
    assert sync("--repo", REPO, "--issue", str(ISSUE), *RUNS[3], env=env).exit_code == 0
    assert boxes(github) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--issue", "870", "x.xml"], "give --repo OWNER/NAME (or set GITHUB_REPOSITORY)"),
        (["--repo", "acme", "--issue", "870", "x.xml"], "expected OWNER/NAME"),
        (["--repo", REPO, "x.xml"], "give exactly one of --issue N or --label LABEL"),
        (["--repo", REPO, "--issue", "870", "--label", "l", "x.xml"], "give exactly one"),
        (["--repo", REPO, "--issue", "870", "--fail-on", "always", "x.xml"], "always"),
        (["--repo", REPO, "--issue", "870", "missing/*.xml"], "no JUnit files match"),
    ],
)
def test_bad_input_gets_a_clear_message(sync: Sync, args: list[str], message: str) -> None:
    result = sync(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_no_token_is_a_clear_error(sync: Sync, github: FakeGitHub) -> None:
    result = sync("--repo", REPO, "--issue", "870", *RUNS[1], env={"GITHUB_TOKEN": ""})
    assert result.exit_code == 2
    assert "GITHUB_TOKEN" in result.output
    assert github.requests == []


def test_unreadable_files_sync_nothing(sync: Sync, github: FakeGitHub, tmp_path: Path) -> None:
    bad = tmp_path / "junit.xml"
    bad.write_text("not xml")
    result = sync("--repo", REPO, "--issue", "870", str(bad), str(tmp_path / "absent.xml"))
    assert result.exit_code == 1, result.output
    assert "nothing synced" in result.output
    assert github.requests == []


def test_a_missing_issue_is_a_clear_error(sync: Sync, github: FakeGitHub) -> None:
    github.add_repo(REPO)
    result = sync("--repo", REPO, "--issue", "999", *RUNS[1])
    assert result.exit_code == 2
    assert "not found" in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_store_is_a_clear_error(sync: Sync, github: FakeGitHub) -> None:
    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = sync("--repo", REPO, "--issue", "870", *RUNS[1], env=env)
    assert result.exit_code == 2
    assert "error" in result.output
    assert "Traceback" not in result.output


def test_with_database_url_the_store_keeps_the_history(
    sync: Sync, github: FakeGitHub, seed_body: str, database_url: str
) -> None:
    open_issue(github, seed_body)
    seen = []
    for number in (1, 2, 3):
        story_args = ["--repo", REPO, "--issue", str(ISSUE), "--run-id", str(100 + number)]
        result = sync(*story_args, *RUNS[number], env={"DATABASE_URL": database_url})
        assert result.exit_code == 0, result.output
        seen.append(boxes(github))
    assert seen == [[2], [0, 2, 3], [0, 1, 2, 3, 4]]
    text = comment(github)
    assert statecodec.TAG not in text  # the store has the history, the comment carries none
    assert "Trend: ▲" in text


def test_a_huge_suite_never_pushes_the_comment_past_githubs_limit(
    sync: Sync, github: FakeGitHub, seed_body: str, tmp_path: Path
) -> None:
    cases = "".join(
        f'<testcase classname="tests.integration.area_{n % 97}.test_module_{n}" '
        f'name="test_a_rather_long_descriptive_test_name_{n}_{"x" * (n % 40)}">'
        + (f'<failure message="AssertionError {n}: {"why " * 30}">trace</failure>' if n % 3 else "")
        + "</testcase>"
        for n in range(6000)
    )
    report = tmp_path / "junit.xml"
    report.write_text(f'<testsuite name="big" tests="6000">{cases}</testsuite>')
    open_issue(github, seed_body)
    for run_id in ("1", "2"):
        result = sync("--repo", REPO, "--issue", str(ISSUE), "--run-id", run_id, str(report))
        assert result.exit_code == 0, result.output  # GitHub takes it: 422 past 65,536
        text = comment(github)
        assert len(text) <= syncstate.BODY_LIMIT
    assert "Older runs were left out of the kept history" in text
    assert statecodec.find(text).state is not None


def test_enterprise_server_paths_work(seed_body: str) -> None:
    """GITHUB_API_URL of a GitHub Enterprise Server: https://HOST/api/v3/."""
    with serve(FakeGitHub(api_prefix="api/v3")) as served:
        ghes = served.fake
        ghes.add_repo(REPO)
        ghes.add_issue(REPO, ISSUE, title="Issue #870", body=seed_body, labels=["remediation"])
        env: dict[str, str | None] = dict.fromkeys(ENVIRONMENT)
        env.update({"GITHUB_TOKEN": ghes.issue_token(), "GITHUB_API_URL": served.api_url})
        args = ["sync", "--repo", REPO, "--issue", str(ISSUE), *RUNS[1]]
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
        assert served.api_url.endswith("/api/v3/")
        assert [
            b.index
            for b in checklist.find_checkboxes(ghes.repos[REPO].issues[ISSUE].body or "")
            if b.checked
        ] == [2]
