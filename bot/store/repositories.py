"""Repositories and their tracked issues: records, cached configuration, and sync state.

Keyword-only functions over a `Session`; each write commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.store.models import (
    Repository,
    Run,
    TrackedIssue,
    utc_now,
)

CONFIG_TTL = timedelta(minutes=10)


def upsert_repository(
    *,
    session: Session,
    full_name: str,
    installation_id: int | None = None,
    default_branch: str | None = None,
) -> Repository:
    """Find or create a repository and refresh what the event tells about it (commits)."""
    repository = session.exec(select(Repository).where(Repository.full_name == full_name)).first()
    if repository is None:
        repository = Repository(full_name=full_name)
        session.add(repository)
        try:
            session.flush()
        except IntegrityError:  # created concurrently by another worker
            session.rollback()
            repository = session.exec(
                select(Repository).where(Repository.full_name == full_name)
            ).one()
    if installation_id is not None:
        repository.installation_id = installation_id
    if default_branch:
        repository.default_branch = default_branch
    session.add(repository)
    session.commit()
    session.refresh(repository)
    return repository


def get_repository(*, session: Session, full_name: str) -> Repository | None:
    """A repository by OWNER/NAME."""
    return session.exec(select(Repository).where(Repository.full_name == full_name)).first()


def cached_config(
    repository: Repository, *, now: datetime | None = None
) -> tuple[bool, str | None]:
    """(fresh, text) of the repository's cached `.github/remediation.yml`."""
    fetched = repository.config_fetched_at
    fresh = fetched is not None and (now or utc_now()) - fetched < CONFIG_TTL
    return fresh, repository.config_text


def save_config(*, session: Session, repository: Repository, text: str | None) -> None:
    """Cache the repository's configuration text (None: the file is absent)."""
    repository.config_text = text
    repository.config_fetched_at = utc_now()
    session.add(repository)
    session.commit()


def get_issue(*, session: Session, repository: Repository, number: int) -> TrackedIssue | None:
    """The stored record of an issue."""
    query = select(TrackedIssue).where(
        TrackedIssue.repository_id == repository.id, TrackedIssue.number == number
    )
    return session.exec(query).first()


def upsert_issue(
    *,
    session: Session,
    repository: Repository,
    number: int,
    title: str | None = None,
    body: str | None = None,
    state: str | None = None,
    labelled: bool | None = None,
    command_tracking: str | None = None,
    clear_command_tracking: bool = False,
) -> TrackedIssue:
    """Create or update an issue's record from an event or a command (commits)."""
    assert repository.id is not None
    issue = get_issue(session=session, repository=repository, number=number)
    if issue is None:
        issue = TrackedIssue(repository_id=repository.id, number=number)
    if title is not None:
        issue.title = title
    if body is not None:
        issue.body = body
    if state is not None:
        issue.state = state
    if labelled is not None:
        issue.labelled = labelled
    if command_tracking is not None or clear_command_tracking:
        issue.command_tracking = command_tracking
    session.add(issue)
    session.commit()
    session.refresh(issue)
    return issue


def tracked_issues(*, session: Session, repository: Repository) -> list[TrackedIssue]:
    """Open issues of the repository that are tracked (by label or command)."""
    query = select(TrackedIssue).where(
        TrackedIssue.repository_id == repository.id, TrackedIssue.state == "open"
    )
    return [issue for issue in session.exec(query) if issue.tracked]


def all_issues(*, session: Session) -> list[TrackedIssue]:
    """Every issue record (for the dashboard and the API)."""
    return list(session.exec(select(TrackedIssue).order_by(col(TrackedIssue.id))))


def save_sync(
    *,
    session: Session,
    issue: TrackedIssue,
    comment_id: int | None,
    bot_ticked: Sequence[str],
    desired_comment: str,
    desired_body: str | None,
    run_pk: int | None,
) -> None:
    """Remember what the bot wrote (or, offline, would write) to the issue."""
    issue.comment_id = comment_id
    issue.bot_ticked = list(dict.fromkeys(bot_ticked))
    issue.desired_comment = desired_comment
    issue.desired_body = desired_body
    issue.last_run_pk = run_pk
    issue.synced_at = utc_now()
    session.add(issue)
    session.commit()


def save_issue(*, session: Session, issue: TrackedIssue) -> None:
    """Commit changes made to a tracked issue's record."""
    session.add(issue)
    session.commit()


def qualifying_runs(
    *, session: Session, repository: Repository, branches: Sequence[str], limit: int
) -> list[Run]:
    """The newest runs that may tick boxes (on these branches, not from forks), oldest first."""
    query = (
        select(Run)
        .where(Run.repository_id == repository.id, col(Run.branch).in_(list(branches)))
        .where(
            (col(Run.head_repository).is_(None))
            | (col(Run.head_repository) == repository.full_name)
        )
        .order_by(col(Run.created_at).desc(), col(Run.id).desc())
        .limit(limit)
    )
    return list(reversed(session.exec(query).all()))


def opened_since(*, session: Session, repository: Repository, since: datetime) -> int:
    """How many issues the bot opened in the repository since then (the daily cap)."""
    query = select(TrackedIssue).where(
        TrackedIssue.repository_id == repository.id,
        col(TrackedIssue.opened_by_bot).is_(True),
        TrackedIssue.created_at >= since,
    )
    return len(session.exec(query).all())


def record_opened_issue(
    *,
    session: Session,
    repository: Repository,
    number: int,
    title: str,
    body: str,
    covers: Sequence[str],
) -> TrackedIssue:
    """The issue the bot just opened, tracked, with the failure signatures it covers."""
    issue = upsert_issue(
        session=session,
        repository=repository,
        number=number,
        title=title,
        body=body,
        state="open",
        labelled=True,
    )
    issue.opened_by_bot = True
    issue.covers = list(covers)
    session.add(issue)
    session.commit()
    return issue
