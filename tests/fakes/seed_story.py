"""The seed story told to the bot: issue #870, its CI runs' artifacts and deliveries.

The issue is fixtures/issue-870.md; the three runs (seed state, Phase 1 fixed, all fixed) are
fixtures/seed-story/run{1,2,3}/, written to reproduce it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import httpx

from bot.core import checklist, summary
from bot.core.evaluate import RunInput
from bot.core.junit import read_report
from bot.core.results import CaseResult, SuiteResult

from .github import FakeGitHub
from .running_bot import RunningBot
from .webhook_sender import payload

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REPO = "acme/agents"
ISSUE = 870
MAIN = {"repository": {"default_branch": "main"}}
ISSUE_PAGE = f"/dashboard/{REPO}/issues/{ISSUE}"


def load_story_run(number: int) -> RunInput:
    """One run of the seed story as the evaluation reads it."""
    cases: list[CaseResult] = []
    suites: list[SuiteResult] = []
    for path in sorted((FIXTURES / "seed-story" / f"run{number}").glob("*.xml")):
        report = read_report(path)
        cases.extend(report.cases)
        suites.extend(report.suites)
    return RunInput(cases=cases, suites=suites, label=f"run {number}")


def zip_of(paths: list[Path], folder: str = "test-results") -> bytes:
    """An artifact zip as actions/upload-artifact makes it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.writestr(f"{folder}/{path.name}", path.read_bytes())
        archive.writestr(f"{folder}/coverage.txt", "not junit\n")
    return buffer.getvalue()


def story_zip(number: int) -> bytes:
    return zip_of(sorted((FIXTURES / "seed-story" / f"run{number}").glob("*.xml")))


def open_seed_issue(bot: RunningBot, github: FakeGitHub, body: str) -> None:
    github.add_repo(REPO, default_branch="main")
    github.add_issue(REPO, ISSUE, title="Issue #870", body=body, labels=["remediation"])
    assert bot.deliver("issues", issue_payload("opened", body)).status_code == 202


def run_payload(run_id: int, **extra: Any) -> bytes:
    """A `workflow_run.completed` delivery of the default branch unless told otherwise."""
    branch = extra.pop("head_branch", "main")
    return payload(
        "workflow_run",
        "completed",
        repo=REPO,
        run_id=run_id,
        head_branch=branch,
        merge=MAIN,
        **extra,
    )


def issue_payload(action: str, body: str) -> bytes:
    """An `issues` delivery for the seed issue, labelled."""
    label = {"issue": {"labels": [{"name": "remediation", "color": "d73a4a"}]}, **MAIN}
    return payload("issues", action, repo=REPO, issue_number=ISSUE, issue_body=body, merge=label)


def complete_run(
    bot: RunningBot, github: FakeGitHub, run_id: int, data: bytes, **extra: Any
) -> httpx.Response:
    """The run's artifact uploaded, then its `workflow_run.completed` delivered."""
    github.add_artifact(REPO, run_id, name="junit-results", zip_bytes=data)
    return bot.deliver("workflow_run", run_payload(run_id, **extra))


def seed_story(bot: RunningBot, github: FakeGitHub, body: str, runs: int = 2) -> None:
    """The seed issue and its first runs, through webhooks and the worker."""
    open_seed_issue(bot, github, body)
    bot.work()
    for number in range(1, runs + 1):
        assert complete_run(bot, github, 100 + number, story_zip(number)).status_code == 202
        bot.work()


def issue_body(github: FakeGitHub, number: int = ISSUE) -> str:
    """An issue's body as it stands on the fake GitHub (the bot never blanks one)."""
    body = github.repos[REPO].issues[number].body
    assert body is not None, f"issue #{number} has no body"
    return body


def boxes(github: FakeGitHub) -> list[int]:
    return [box.index for box in checklist.find_checkboxes(issue_body(github)) if box.checked]


def summary_comments(github: FakeGitHub) -> list[str]:
    return [c.body for c in github.repos[REPO].issues[ISSUE].comments if summary.MARKER in c.body]
