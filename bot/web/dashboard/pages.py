"""The maintainers' dashboard: server-rendered pages (Jinja2) over the same views as the API.

Works offline: the CSS and the chart script ship in `static/` beside this module, nothing
comes from a CDN.
All text is escaped by Jinja's autoescape; the summary comment's Markdown is rendered with
raw HTML disabled, so nothing from an issue or a CI run can inject markup or script.
"""

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markdown_it import MarkdownIt
from markupsafe import Markup

from bot.core.summary import MARKER
from bot.web.access import Viewer
from bot.web.dashboard import views
from bot.web.dashboard.api import (
    NamePath,
    NumberPath,
    OwnerPath,
    TestIdQuery,
    readable_issue,
    readable_repository,
)
from bot.web.dashboard.case_history import case_history
from bot.web.dashboard.issue_page import issue_detail
from bot.web.dashboard.operations import operations
from bot.web.dashboard.overview import overview
from bot.web.deps import (
    EvaluationsDep,
    PageViewerDep,
    SessionDep,
    WebRootDep,
    page_viewer,
)

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
# Scripts and styles only from this origin; the page's JSON data is not script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The report's only HTML is its own folds, each tag on a line of its own (bot.core.summary).
_FOLD_OPEN = re.compile(r"^(\s*)<details><summary>([^<>]*)</summary>\s*$")
_FOLD_CLOSE = re.compile(r"^\s*</details>\s*$")


def templates() -> Jinja2Templates:
    """The page templates, autoescaped."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    return Jinja2Templates(env=env)


def _markdown() -> MarkdownIt:
    # html=False: any tag in the text shows as text; markdown-it also refuses javascript: links.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render_comment(markdown: str | None, md: MarkdownIt | None = None) -> Markup | None:
    """The summary comment as safe HTML: the bot's own folds kept as headings, no raw HTML."""
    if not markdown:
        return None
    lines = []
    for line in markdown.replace(MARKER, "").splitlines():
        opened = _FOLD_OPEN.match(line)
        if opened:
            lines.append(f"{opened.group(1)}*{opened.group(2).strip()}:*")
        elif not _FOLD_CLOSE.match(line):
            lines.append(line)
    return Markup((md or _markdown()).render("\n".join(lines)))  # noqa: S704 - html disabled


def runs_chart(detail: views.IssueDetail) -> dict[str, Any]:
    """The issue chart's data: one point per run, oldest first."""
    return {
        "labels": [r.created_at.strftime("%Y-%m-%d %H:%M") for r in detail.runs],
        "pass_rate": [r.pass_rate for r in detail.runs],
        "failures": [r.failed + r.errors for r in detail.runs],
    }


def test_chart(detail: views.CaseHistory) -> dict[str, Any]:
    """The test chart's data: duration and outcome per run, oldest first."""
    return {
        "labels": [p.run.created_at.strftime("%Y-%m-%d %H:%M") for p in detail.points],
        "durations": [p.duration for p in detail.points],
        "outcomes": [p.outcome for p in detail.points],
    }


# One set per process: Jinja reads a template when first rendered, not here.
_TEMPLATES = templates()
_MARKDOWN = _markdown()

# Every page needs a viewer (router-level, so a new page cannot forget it); only the front
# door's redirect is public here, and the login routes (bot.web.dashboard.login).
router = APIRouter(include_in_schema=False, dependencies=[Depends(page_viewer)])
public = APIRouter(include_in_schema=False)


def page(request: Request, name: str, viewer: Viewer | None, **context: Any) -> HTMLResponse:
    """A template rendered for this viewer, with the dashboard's security headers."""
    response = _TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "viewer": viewer,
            "show_operations": viewer is not None and viewer.may_operate,
            **context,
        },
    )
    response.headers["content-security-policy"] = CSP
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["referrer-policy"] = "same-origin"
    return response


@public.get("/", response_class=RedirectResponse)
def root() -> RedirectResponse:
    """The dashboard is the site's front page."""
    return RedirectResponse("/dashboard", 303)


@router.get("/dashboard", response_class=HTMLResponse)
def overview_page(
    request: Request, db: SessionDep, viewer: PageViewerDep, web: WebRootDep
) -> HTMLResponse:
    """Every readable repository and its issues."""
    data = overview(session=db, web=web, readable=viewer.repositories)
    return page(request, "overview.html", viewer, overview=data)


@router.get("/dashboard/operations", response_class=HTMLResponse)
def operations_page(request: Request, db: SessionDep, viewer: PageViewerDep) -> Response:
    """Deliveries and jobs, for the dashboard token or an admin of an installed repository."""
    if not viewer.may_operate:
        return HTMLResponse("operations are for viewers who administer a repository", 403)
    return page(request, "operations.html", viewer, ops=operations(session=db))


@router.get("/dashboard/{owner}/{name}/issues/{number}", response_class=HTMLResponse)
def issue_page(
    request: Request,
    db: SessionDep,
    viewer: PageViewerDep,
    web: WebRootDep,
    cache: EvaluationsDep,
    owner: OwnerPath,
    name: NamePath,
    number: NumberPath,
) -> HTMLResponse:
    """One issue: its metrics, phases, failures, chart and summary comment."""
    repository, issue = readable_issue(db, viewer, f"{owner}/{name}", number)
    detail = issue_detail(session=db, web=web, repository=repository, issue=issue, cache=cache)
    return page(
        request,
        "issue.html",
        viewer,
        detail=detail,
        chart=runs_chart(detail),
        summary_html=render_comment(detail.summary_comment, _MARKDOWN),
    )


@router.get("/dashboard/{owner}/{name}/tests", response_class=HTMLResponse)
def test_page(
    request: Request,
    db: SessionDep,
    viewer: PageViewerDep,
    owner: OwnerPath,
    name: NamePath,
    id: TestIdQuery,
) -> HTMLResponse:
    """One test's history over the repository's runs."""
    repository = readable_repository(db, viewer, f"{owner}/{name}")
    detail = case_history(session=db, repository=repository, test_id=id)
    return page(request, "test.html", viewer, detail=detail, chart=test_chart(detail))
