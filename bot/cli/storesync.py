"""`sync` with `DATABASE_URL` set: the run goes into the store, the App's own sync follows.

A team that keeps history elsewhere gets exactly the App's reconciliation
(`bot.worker.issues.sync_issue`): the run is stored as the App stores a GitHub run, the
local settings file stands in for the repository's copy (so no GitHub read for it), and the
issues named are tracked as if `/remediation track` had been said.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from bot.cli.publish import Result
from bot.config import Settings
from bot.core.junit import Report
from bot.github import GitHubFactory
from bot.store import repositories
from bot.store.engine import make_engine
from bot.store.ingest import RunMeta, ingest
from bot.store.migrate import upgrade
from bot.store.models import Repository
from bot.worker.action import RunInHand
from bot.worker.context import Context
from bot.worker.issues import sync_issue


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What identifies the run in the store, and the files it is made of."""

    run_id: str
    attempt: int
    sha: str | None
    branch: str | None
    files: list[Path]


def sync_with_store(
    settings: Settings,
    repo: str,
    target: tuple[int | None, str | None],
    hand: RunInHand,
    config_text: str | None,
    facts: RunFacts,
) -> list[Result]:
    """Store the run, then sync each issue as the App's worker does."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    factory = GitHubFactory(settings)
    context = Context(engine=engine, settings=settings, github=factory)
    number, label = target
    try:
        with Session(engine) as session:
            repository = repositories.upsert_repository(session=session, full_name=repo)
            # Without configured branches the App counts the default branch's runs; a store
            # first filled by `sync` learns it from the first run (else "main").
            branch = facts.branch or repository.default_branch or "main"
            if repository.default_branch is None:
                repository = repositories.upsert_repository(
                    session=session, full_name=repo, default_branch=branch
                )
            repositories.save_config(session=session, repository=repository, text=config_text)
            meta = RunMeta(
                repo=repo,
                provider="github",
                run_id=facts.run_id,
                attempt=facts.attempt,
                head_sha=facts.sha,
                branch=branch,
                url=hand.run.url,
            )
            reports = [Report(name=str(path), source=path) for path in facts.files]
            ingest(session=session, meta=meta, reports=reports, max_bytes=settings.max_report_bytes)
            if number is not None:
                numbers = [number]
            else:
                with factory.client(None) as gh:
                    numbers = [i.number for i in gh.list_issues(repo, label or "")]
            return [_sync_one(context, session, repository, n) for n in numbers]
    finally:
        engine.dispose()


def _sync_one(context: Context, session: Session, repository: Repository, number: int) -> Result:
    issue = repositories.upsert_issue(
        session=session, repository=repository, number=number, command_tracking="track"
    )
    owned = list(issue.bot_ticked)
    applied = sync_issue(context, session, {"repo": repository.full_name, "number": number})
    if applied is None or applied.desired is None:
        return Result(
            number=number,
            evaluation=None,
            comment=None,
            skipped="closed, gone, or no run of a configured branch stored",
        )
    return Result(
        number=number,
        evaluation=applied.desired.evaluation,
        comment=applied.desired.comment,
        writes=applied.writes,
        ticked=[t for t in applied.bot_ticked if t not in owned],
    )
