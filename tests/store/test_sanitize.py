"""NUL in any text the store writes is kept as U+FFFD on both backends (PostgreSQL refuses NUL)."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.events import Arrival, JobKind, Route
from bot.core.results import CaseResult, Outcome
from bot.store import queue, repositories
from bot.store.inbox import Inbox
from bot.store.models import Delivery, Job
from bot.store.runs import list_runs, save_run
from bot.store.sanitize import REPLACEMENT, clean

NUL = "\x00"


def test_clean_replaces_nul_in_nested_values() -> None:
    assert clean({"a\x00": ["x\x00y", ("z\x00",), 3, None]}) == {
        f"a{REPLACEMENT}": [f"x{REPLACEMENT}y", (f"z{REPLACEMENT}",), 3, None]
    }


def test_a_run_with_nul_in_its_fields_is_stored_and_found_again(session: Session) -> None:
    def save() -> bool:
        return save_run(
            session=session,
            repo_full_name="acme/widgets",
            provider="upload",
            run_id=f"7{NUL}1",
            attempt=1,
            cases=[CaseResult(suite="s", classname="c", name="t", outcome=Outcome.PASSED)],
            suites=[],
            branch=f"main{NUL}",
            url=f"https://ci.example/{NUL}",
        ).created

    assert save() is True
    assert save() is False  # found again under the same (cleaned) identity
    stored = list_runs(session=session, repo_full_name="acme/widgets")
    assert [(r.run_id, r.branch) for r in stored] == [(f"7{REPLACEMENT}1", f"main{REPLACEMENT}")]


def test_an_issue_body_and_a_job_payload_with_nul_are_stored(session: Session) -> None:
    repository = repositories.upsert_repository(session=session, full_name="acme/widgets")
    issue = repositories.upsert_issue(
        session=session,
        repository=repository,
        number=1,
        title=f"t{NUL}",
        body=f"- [ ] box{NUL}",
        state="open",
    )
    queue.enqueue(
        session=session,
        kind="sync_issue",
        payload={"body": f"b{NUL}"},
        lock_key=f"k{NUL}",
    )
    session.refresh(issue)
    assert (issue.title, issue.body) == (f"t{REPLACEMENT}", f"- [ ] box{REPLACEMENT}")
    job = session.exec(select(Job)).one()
    assert (job.payload, job.lock_key) == ({"body": f"b{REPLACEMENT}"}, f"k{REPLACEMENT}")


def test_a_delivery_with_nul_in_its_repository_is_recorded(engine: Engine) -> None:
    name = f"acme/wid{NUL}gets"
    route = Route(JobKind.ISSUE, f"{name}#1", {"repo": name, "body": NUL})
    arrival = Arrival("d-1", "issues", "opened", name, None, route)

    assert asyncio.run(_record(Inbox(engine, max_attempts=6), arrival)) is True
    with Session(engine) as session:
        delivery = session.exec(select(Delivery)).one()
        job = session.exec(select(Job)).one()
    assert delivery.repository == f"acme/wid{REPLACEMENT}gets"
    assert job.payload["body"] == REPLACEMENT


async def _record(inbox: Inbox, arrival: Arrival) -> bool:
    return await inbox.record(arrival)
