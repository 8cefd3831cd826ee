"""`remediation-bot demo`: the seed story replayed offline through the real pipeline.

The issue and its three runs ship with the package (copies of `fixtures/issue-870.md` and
`fixtures/seed-story/`, a test keeps them identical), so the demo works from an installed
wheel or container too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from bot.config import Settings
from bot.core.events import JobKind
from bot.core.junit import Report
from bot.github import GitHubFactory
from bot.store import queue, repositories
from bot.store.engine import make_engine
from bot.store.ingest import RunMeta, ingest
from bot.store.migrate import upgrade
from bot.store.models import TrackedIssue
from bot.worker.context import Context
from bot.worker.loop import Worker

DATA = Path(__file__).resolve().parent
REPO = "demo/agents"
ISSUE = 870


@dataclass(frozen=True, slots=True)
class DemoStep:
    """What one run of the story did to the issue."""

    run: int
    tests: int
    passed: int
    ticked: list[str]
    comment: str
    body: str


def run_demo(
    settings: Settings, *, on_step: Callable[[DemoStep], None] | None = None
) -> list[DemoStep]:
    """Replay the issue and its three runs into the store; returns each step's outcome."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    offline = settings.model_copy(
        update={"github_app_id": None, "github_private_key": None, "github_token": None}
    )
    worker = Worker(Context(engine=engine, settings=offline, github=GitHubFactory(offline)))
    steps: list[DemoStep] = []
    try:
        with Session(engine) as session:
            repository = repositories.upsert_repository(
                session=session, full_name=REPO, default_branch="main"
            )
            repositories.upsert_issue(
                session=session,
                repository=repository,
                number=ISSUE,
                title="Issue #870 Integration Test Execution Results and Remediation Plan",
                body=(DATA / "issue-870.md").read_text(encoding="utf-8"),
                state="open",
                labelled=True,
            )
            for number in (1, 2, 3):
                reports = [
                    Report(name=path.name, source=path)
                    for path in sorted((DATA / f"run{number}").glob("*.xml"))
                ]
                outcome = ingest(
                    session=session,
                    meta=RunMeta(repo=REPO, provider="demo", run_id=str(number), branch="main"),
                    reports=reports,
                )
                queue.enqueue(
                    session=session,
                    kind=JobKind.UPLOADED_RUN.value,
                    payload={"repo": REPO, "head_branch": "main", "run_pk": outcome.run.id},
                    lock_key=f"{REPO}:demo:{number}",
                    dedupe_key=f"demo:{outcome.run.id}",
                )
                worker.run_until_idle()
                issue = repositories.get_issue(session=session, repository=repository, number=ISSUE)
                assert isinstance(issue, TrackedIssue)
                session.refresh(issue)
                step = DemoStep(
                    run=number,
                    tests=outcome.run.tests,
                    passed=outcome.run.passed,
                    ticked=list(issue.bot_ticked),
                    comment=issue.desired_comment or "",
                    body=issue.desired_body or "",
                )
                steps.append(step)
                if on_step is not None:
                    on_step(step)
    finally:
        engine.dispose()
    return steps
