"""The dashboard's data as JSON under `/api/v1/`: overview, issue, test history, operations.

Same views as the HTML pages (`pages`), same access rule (`bot.web.access`). A repository
the viewer may not read answers 404, exactly like one that does not exist.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel
from sqlmodel import Session

from bot.store import reads, repositories
from bot.store.models import Repository, TrackedIssue
from bot.web.access import Viewer
from bot.web.dashboard import views
from bot.web.dashboard.case_history import case_history
from bot.web.dashboard.issue_page import issue_detail
from bot.web.dashboard.operations import operations
from bot.web.dashboard.overview import overview
from bot.web.deps import ApiViewerDep, EvaluationsDep, SessionDep, WebRootDep, api_viewer

# GitHub's rules for owner and repository names; anything else cannot exist.
OwnerPath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
NamePath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
NumberPath = Annotated[int, Path(ge=1, le=2_147_483_647)]
# Test ids are free text from CI, but never contain control characters (NUL breaks PostgreSQL).
TestIdQuery = Annotated[str, Query(min_length=1, max_length=2000, pattern=r"^[^\x00-\x1f\x7f]+$")]

# Every route needs a viewer (router-level, so a new route cannot forget it).
router = APIRouter(prefix="/api/v1", tags=["dashboard"], dependencies=[Depends(api_viewer)])


def readable_repository(session: Session, viewer: Viewer, full_name: str) -> Repository:
    """The repository, or 404 when it is unknown or the viewer may not read it."""
    found = repositories.get_repository(session=session, full_name=full_name)
    if found is None or found.id is None or not viewer.may_read(found.full_name):
        raise HTTPException(404, "no such repository")
    return found


def readable_issue(
    session: Session, viewer: Viewer, full_name: str, number: int
) -> tuple[Repository, TrackedIssue]:
    """The repository and its issue, or 404."""
    found = readable_repository(session, viewer, full_name)
    issue = repositories.get_issue(session=session, repository=found, number=number)
    if issue is None:
        raise HTTPException(404, "no such issue")
    return found, issue


@router.get("/overview", response_model=views.Overview)
def get_overview(db: SessionDep, viewer: ApiViewerDep, web: WebRootDep) -> views.Overview:
    """Repositories and their issues with progress: items ticked, pass rate, trend."""
    return overview(session=db, web=web, readable=viewer.repositories)


@router.get("/repos/{owner}/{name}/issues/{number}", response_model=views.IssueDetail)
def get_issue(
    db: SessionDep,
    viewer: ApiViewerDep,
    web: WebRootDep,
    cache: EvaluationsDep,
    owner: OwnerPath,
    name: NamePath,
    number: NumberPath,
) -> views.IssueDetail:
    """One issue: metric statuses, phases and failures, flaky tests, run history."""
    repository, issue = readable_issue(db, viewer, f"{owner}/{name}", number)
    return issue_detail(session=db, web=web, repository=repository, issue=issue, cache=cache)


@router.get("/repos/{owner}/{name}/tests", response_model=views.CaseHistory)
def get_test(
    db: SessionDep, viewer: ApiViewerDep, owner: OwnerPath, name: NamePath, id: TestIdQuery
) -> views.CaseHistory:
    """One test's outcome and duration over the repository's runs."""
    repository = readable_repository(db, viewer, f"{owner}/{name}")
    return case_history(session=db, repository=repository, test_id=id)


@router.get("/operations", response_model=views.Operations)
def get_operations(db: SessionDep, viewer: ApiViewerDep) -> views.Operations:
    """Recent webhook deliveries and jobs, retries waiting, dead letters."""
    if not viewer.may_operate:
        # Deliveries and jobs span repositories: the dashboard token, or an admin of one.
        raise HTTPException(403, "operations are for viewers who administer a repository")
    return operations(session=db)


class IssueSummary(BaseModel):
    """An issue the bot knows, and what it would write (offline mode keeps it here)."""

    repository: str
    number: int
    title: str
    tracked: bool
    state: str
    comment_id: int | None
    desired_comment: str | None
    desired_body: str | None


@router.get("/issues", response_model=list[IssueSummary])
def list_issues(db: SessionDep, viewer: ApiViewerDep) -> list[IssueSummary]:
    """The readable issues the bot knows, with the comment and body it wrote or would write."""
    names = {r.id: r.full_name for r in reads.repositories(session=db, names=viewer.repositories)}
    return [
        IssueSummary(
            repository=names.get(issue.repository_id, "?"),
            number=issue.number,
            title=issue.title,
            tracked=issue.tracked,
            state=issue.state,
            comment_id=issue.comment_id,
            desired_comment=issue.desired_comment,
            desired_body=issue.desired_body,
        )
        for issue in repositories.all_issues(session=db)
        if issue.repository_id in names
    ]
