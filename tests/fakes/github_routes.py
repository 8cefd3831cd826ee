"""The fake GitHub's endpoint handlers: plain functions from a parsed request to a reply.

Handlers run under the fake's lock, after auth, version and fault checks (github_app.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .github_payloads import (
    PERMISSIONS,
    _app,
    _artifact,
    _check_run,
    _comment,
    _content,
    _error,
    _installation,
    _issue,
    _rate,
    _reaction,
    _repo,
    _too_long,
    _user,
    _workflow_run,
)
from .github_state import (
    LEGACY_PERMISSION,
    REACTIONS,
    FakeCheckRun,
    FakeComment,
    FakeIssue,
    FakeReaction,
    FakeRepo,
    Token,
)

if TYPE_CHECKING:
    from .github import FakeGitHub

# GitHub rejects issue and comment bodies past this many characters (GITHUB.md §2).
BODY_LIMIT = 65536
DOC_ISSUES = "https://docs.github.com/rest/issues/issues#update-an-issue"
DOC_COMMENTS = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"


@dataclass
class Ctx:
    """A request as handlers see it."""

    fake: FakeGitHub
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    base: str  # absolute API root of this request's origin, with the prefix and a trailing "/"
    token: Token | None = None
    repo: FakeRepo | None = None

    @property
    def actor(self) -> dict[str, Any]:
        """The user (or App bot) the token acts as."""
        assert self.token is not None
        if self.token.installation_id is not None:
            return _user(f"{self.fake.app_slug}[bot]", "Bot", base=self.base)
        return _user(self.token.login, "User", base=self.base)


@dataclass
class Reply:
    """What a handler answers: JSON (or raw bytes) plus extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


Handler = Callable[[Ctx], Reply]


def not_found() -> Reply:
    """GitHub's 404 (also what a caller gets for a resource it may not see)."""
    return Reply(404, _error("Not Found"))


def paginate(ctx: Ctx, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """One page of `items` and its Link header (per_page 30 by default, at most 100)."""
    try:
        per_page = min(max(int(ctx.query.get("per_page", 30)), 1), 100)
    except ValueError:
        per_page = 30
    try:
        page = max(int(ctx.query.get("page", 1)), 1)
    except ValueError:
        page = 1
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    url = ctx.base + ctx.path.lstrip("/")
    others = {k: v for k, v in ctx.query.items() if k not in {"page", "per_page"}}

    def link(n: int, rel: str) -> str:
        return f'<{url}?{urlencode({**others, "per_page": per_page, "page": n})}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
        links.append(link(last, "last"))
    if page > 1:
        links.append(link(1, "first"))
    return chunk, ({"link": ", ".join(links)} if links else {})


def issue_json(ctx: Ctx, issue: FakeIssue) -> dict[str, Any]:
    """The Issue payload for a stored issue."""
    assert ctx.repo is not None
    return _issue(
        ctx.repo.full_name,
        base=ctx.base,
        ident=issue.id,
        number=issue.number,
        title=issue.title,
        body=issue.body,
        state=issue.state,
        state_reason=issue.state_reason,
        labels=issue.labels,
        user=_user(issue.user, base=ctx.base),
        comments=len(issue.comments),
        created_at=issue.created_at,
        updated_at=issue.updated_at,
        closed_at=issue.closed_at,
    )


def comment_json(ctx: Ctx, comment: FakeComment) -> dict[str, Any]:
    """The IssueComment payload for a stored comment."""
    assert ctx.repo is not None
    return _comment(
        ctx.repo.full_name,
        base=ctx.base,
        ident=comment.id,
        issue_number=comment.issue_number,
        body=comment.body,
        user=_user(comment.user, comment.user_type, base=ctx.base),
        created_at=comment.created_at,
        updated_at=comment.updated_at,
    )


def _find_issue(ctx: Ctx) -> FakeIssue | Reply:
    assert ctx.repo is not None
    number = int(ctx.params["number"])
    if number in ctx.repo.deleted_issues:
        return Reply(410, _error("This issue was deleted"))
    issue = ctx.repo.issues.get(number)
    return issue if issue is not None else not_found()


def get_repo(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}."""
    assert ctx.repo is not None
    repo = ctx.repo
    body = _repo(
        repo.full_name, base=ctx.base, private=repo.private, default_branch=repo.default_branch
    )
    body["permissions"] = {
        "admin": False,
        "maintain": False,
        "push": True,
        "triage": True,
        "pull": True,
    }
    return Reply(200, body)


def get_repo_installation(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/installation (App JWT)."""
    assert ctx.repo is not None
    if ctx.repo.installation_id is None:
        return not_found()
    return Reply(200, installation_json(ctx, ctx.repo.installation_id))


def installation_json(ctx: Ctx, installation_id: int) -> dict[str, Any]:
    """The Installation payload."""
    account = ctx.fake.installations[installation_id]
    fake = ctx.fake
    return _installation(
        base=ctx.base,
        ident=installation_id,
        app_id=fake.app_id,
        slug=fake.app_slug,
        account=account,
    )


def get_installation(ctx: Ctx) -> Reply:
    """GET /app/installations/{id} (App JWT)."""
    installation_id = int(ctx.params["installation_id"])
    if installation_id not in ctx.fake.installations:
        return not_found()
    return Reply(200, installation_json(ctx, installation_id))


def get_app(ctx: Ctx) -> Reply:
    """GET /app (App JWT)."""
    return Reply(200, _app(base=ctx.base, app_id=ctx.fake.app_id, slug=ctx.fake.app_slug))


def mint_token(ctx: Ctx) -> Reply:
    """POST /app/installations/{id}/access_tokens (App JWT) -> 201."""
    installation_id = int(ctx.params["installation_id"])
    if installation_id not in ctx.fake.installations:
        return not_found()
    token = ctx.fake.issue_token(installation_id=installation_id)
    expires = ctx.fake.tokens[token].expires_at
    requested = (ctx.json or {}).get("permissions") or PERMISSIONS
    body = {
        "token": token,
        # githubkit parses this with strptime("%Y-%m-%dT%H:%M:%SZ"): no fraction, no offset.
        "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
        "permissions": requested,
        "repository_selection": "selected",
    }
    return Reply(201, body)


def list_artifacts(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/actions/runs/{run_id}/artifacts, paginated, `name=` filter."""
    assert ctx.repo is not None
    run_id = int(ctx.params["run_id"])
    name = ctx.query.get("name")
    found = [
        a
        for a in sorted(ctx.repo.artifacts.values(), key=lambda a: a.id)
        if a.run_id == run_id and (name is None or a.name == name)
    ]
    page, headers = paginate(ctx, found)
    body = {"total_count": len(found), "artifacts": [artifact_json(ctx, a.id) for a in page]}
    return Reply(200, body, headers)


def artifact_json(ctx: Ctx, artifact_id: int) -> dict[str, Any]:
    """The Artifact payload."""
    assert ctx.repo is not None
    a = ctx.repo.artifacts[artifact_id]
    return _artifact(
        ctx.repo.full_name,
        base=ctx.base,
        ident=a.id,
        name=a.name,
        size=len(a.zip_bytes),
        digest=hashlib.sha256(a.zip_bytes).hexdigest(),
        expired=a.expired,
        run_id=a.run_id,
        created_at=a.created_at,
        expires_at=a.expires_at,
    )


def get_artifact(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/actions/artifacts/{id}."""
    assert ctx.repo is not None
    artifact_id = int(ctx.params["artifact_id"])
    if artifact_id not in ctx.repo.artifacts:
        return not_found()
    return Reply(200, artifact_json(ctx, artifact_id))


def blob_signature(secret: bytes, artifact_id: int, expiry: int) -> str:
    """The `sig` of a blob URL."""
    return hmac.new(secret, f"{artifact_id}:{expiry}".encode(), "sha256").hexdigest()[:32]


def download_artifact(ctx: Ctx) -> Reply:
    """GET .../artifacts/{id}/{format}: 302 to a blob URL valid 60 s; 410 expired."""
    assert ctx.repo is not None
    artifact = ctx.repo.artifacts.get(int(ctx.params["artifact_id"]))
    if artifact is None or ctx.params["format"] != "zip":
        return not_found()
    if artifact.expired:
        return Reply(
            410,
            _error(
                "Artifact has expired",
                "https://docs.github.com/rest/actions/artifacts#download-an-artifact",
            ),
        )
    expiry = int(time.time()) + 60
    sig = blob_signature(ctx.fake.blob_secret, artifact.id, expiry)
    query = urlencode({"sig": sig, "se": expiry})
    location = f"{ctx.fake.blob_url.rstrip('/')}/blob/{artifact.id}.zip?{query}"
    return Reply(302, None, {"location": location})


def get_workflow_run(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/actions/runs/{run_id}."""
    assert ctx.repo is not None
    fields = ctx.repo.workflow_runs.get(int(ctx.params["run_id"]))
    if fields is None:
        return not_found()
    return Reply(200, _workflow_run(ctx.repo.full_name, base=ctx.base, fields=fields))


def get_issue(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/issues/{n}."""
    issue = _find_issue(ctx)
    return issue if isinstance(issue, Reply) else Reply(200, issue_json(ctx, issue))


def update_issue(ctx: Ctx) -> Reply:
    """PATCH /repos/{o}/{r}/issues/{n}: title, body, state, state_reason, labels."""
    issue = _find_issue(ctx)
    if isinstance(issue, Reply):
        return issue
    data = ctx.json if isinstance(ctx.json, dict) else {}
    body = data.get("body", issue.body)
    if body is not None and len(body) > BODY_LIMIT:
        return Reply(422, _too_long("Issue", DOC_ISSUES))
    state = data.get("state", issue.state)
    if state not in {"open", "closed"}:
        return Reply(
            422,
            _error(
                "Validation Failed",
                DOC_ISSUES,
                errors=[{"resource": "Issue", "code": "invalid", "field": "state"}],
                status="422",
            ),
        )
    now = ctx.fake.now()
    issue.body = body
    issue.title = data.get("title", issue.title)
    if "labels" in data:
        issue.labels = [x if isinstance(x, str) else x["name"] for x in data["labels"]]
    if state != issue.state:
        issue.closed_at = now if state == "closed" else None
        issue.state_reason = data.get("state_reason") or (
            "completed" if state == "closed" else "reopened"
        )
    issue.state = state
    issue.updated_at = now
    return Reply(200, issue_json(ctx, issue))


def list_comments(ctx: Ctx) -> Reply:
    """GET .../issues/{n}/comments, paginated, `since=` on updated_at."""
    issue = _find_issue(ctx)
    if isinstance(issue, Reply):
        return issue
    comments = issue.comments
    if "since" in ctx.query:
        try:
            since = datetime.fromisoformat(ctx.query["since"])
        except ValueError:
            return Reply(422, _error("Invalid value for `since`"))
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        comments = [c for c in comments if c.updated_at >= since]
    page, headers = paginate(ctx, comments)
    return Reply(200, [comment_json(ctx, c) for c in page], headers)


def create_comment(ctx: Ctx) -> Reply:
    """POST .../issues/{n}/comments -> 201."""
    issue = _find_issue(ctx)
    if isinstance(issue, Reply):
        return issue
    body = (ctx.json or {}).get("body")
    if not isinstance(body, str):
        return Reply(422, _error('Invalid request.\n\n"body" wasn\'t supplied.', DOC_COMMENTS))
    if len(body) > BODY_LIMIT:
        return Reply(422, _too_long("IssueComment", DOC_COMMENTS))
    actor = ctx.actor
    comment = ctx.fake.new_comment(issue, body=body, user=actor["login"], user_type=actor["type"])
    return Reply(201, comment_json(ctx, comment), {"location": comment_json(ctx, comment)["url"]})


def _find_comment(ctx: Ctx) -> FakeComment | Reply:
    assert ctx.repo is not None
    comment = ctx.repo.comment(int(ctx.params["comment_id"]))
    return comment if comment is not None else not_found()


def get_comment(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/issues/comments/{id}."""
    comment = _find_comment(ctx)
    return comment if isinstance(comment, Reply) else Reply(200, comment_json(ctx, comment))


def update_comment(ctx: Ctx) -> Reply:
    """PATCH /repos/{o}/{r}/issues/comments/{id}."""
    comment = _find_comment(ctx)
    if isinstance(comment, Reply):
        return comment
    body = (ctx.json or {}).get("body")
    if not isinstance(body, str):
        return Reply(422, _error('Invalid request.\n\n"body" wasn\'t supplied.', DOC_COMMENTS))
    if len(body) > BODY_LIMIT:
        return Reply(422, _too_long("IssueComment", DOC_COMMENTS))
    comment.body = body
    comment.updated_at = ctx.fake.now()
    return Reply(200, comment_json(ctx, comment))


def delete_comment(ctx: Ctx) -> Reply:
    """DELETE /repos/{o}/{r}/issues/comments/{id} -> 204."""
    comment = _find_comment(ctx)
    if isinstance(comment, Reply):
        return comment
    assert ctx.repo is not None
    issue = ctx.repo.issues[comment.issue_number]
    issue.comments.remove(comment)
    return Reply(204)


def create_reaction(ctx: Ctx) -> Reply:
    """POST .../issues/comments/{id}/reactions: 201 new, 200 when that user already reacted so."""
    comment = _find_comment(ctx)
    if isinstance(comment, Reply):
        return comment
    content = (ctx.json or {}).get("content")
    if content not in REACTIONS:
        return Reply(
            422,
            _error(
                "Validation Failed",
                "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment",
                errors=[{"resource": "Reaction", "code": "invalid", "field": "content"}],
                status="422",
            ),
        )
    actor = ctx.actor
    for reaction in comment.reactions:
        if reaction.user == actor["login"] and reaction.content == content:
            return Reply(
                200,
                _reaction(
                    ident=reaction.id, user=actor, content=content, created_at=reaction.created_at
                ),
            )
    reaction = FakeReaction(
        ctx.fake.next_id(), actor["login"], actor["type"], content, ctx.fake.now()
    )
    comment.reactions.append(reaction)
    return Reply(
        201,
        _reaction(ident=reaction.id, user=actor, content=content, created_at=reaction.created_at),
    )


def get_permission(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/collaborators/{u}/permission."""
    assert ctx.repo is not None
    login = ctx.params["username"]
    role = ctx.repo.permissions.get(login)
    if role is None:
        return Reply(404, _error(f"{login} is not a user"))
    user = _user(login, base=ctx.base, role_name=role)
    return Reply(
        200, {"permission": LEGACY_PERMISSION.get(role, "read"), "role_name": role, "user": user}
    )


def get_content(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/contents/{path} (files only)."""
    assert ctx.repo is not None
    path = ctx.params["path"].strip("/")
    text = ctx.repo.files.get(path)
    if text is None:
        return not_found()
    ref = ctx.query.get("ref", ctx.repo.default_branch)
    return Reply(200, _content(ctx.repo.full_name, path, text, base=ctx.base, ref=ref))


def _check_fields(ctx: Ctx, fields: dict[str, Any]) -> Reply | None:
    missing = [k for k in ("name", "head_sha") if not fields.get(k)]
    if missing:
        return Reply(
            422,
            _error("Invalid request.\n\n" + "\n".join(f'"{k}" wasn\'t supplied.' for k in missing)),
        )
    if fields.get("conclusion"):
        # GitHub completes a check run as soon as it has a conclusion.
        fields["status"] = "completed"
        fields.setdefault("completed_at", ctx.fake.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
    if fields.get("status") == "completed" and not fields.get("conclusion"):
        return Reply(
            422,
            _error(
                'Invalid request.\n\n"conclusion" wasn\'t supplied.',
                "https://docs.github.com/rest/checks/runs#create-a-check-run",
            ),
        )
    return None


def _needs_app(ctx: Ctx) -> Reply | None:
    if ctx.token is None or ctx.token.installation_id is None:
        return Reply(
            403,
            _error(
                "You must authenticate via a GitHub App.",
                "https://docs.github.com/rest/checks/runs#create-a-check-run",
            ),
        )
    return None


def create_check_run(ctx: Ctx) -> Reply:
    """POST /repos/{o}/{r}/check-runs -> 201 (installation tokens only)."""
    assert ctx.repo is not None
    refused = _needs_app(ctx)
    if refused:
        return refused
    fields = dict(ctx.json or {})
    fields.setdefault("status", "queued")
    invalid = _check_fields(ctx, fields)
    if invalid:
        return invalid
    run = FakeCheckRun(ctx.fake.next_id(), fields)
    ctx.repo.check_runs[run.id] = run
    return Reply(201, check_run_json(ctx, run))


def update_check_run(ctx: Ctx) -> Reply:
    """PATCH /repos/{o}/{r}/check-runs/{id}."""
    assert ctx.repo is not None
    refused = _needs_app(ctx)
    if refused:
        return refused
    run = ctx.repo.check_runs.get(int(ctx.params["check_run_id"]))
    if run is None:
        return not_found()
    fields = {**run.fields, **(ctx.json or {})}
    invalid = _check_fields(ctx, fields)
    if invalid:
        return invalid
    run.fields = fields
    return Reply(200, check_run_json(ctx, run))


def check_run_json(ctx: Ctx, run: FakeCheckRun) -> dict[str, Any]:
    """The CheckRun payload."""
    assert ctx.repo is not None
    app = _app(base=ctx.base, app_id=ctx.fake.app_id, slug=ctx.fake.app_slug)
    return _check_run(ctx.repo.full_name, base=ctx.base, ident=run.id, fields=run.fields, app=app)


def rate_limit(ctx: Ctx) -> Reply:
    """GET /rate_limit (free); `rate` only for the 2022-11-28 version, as on GitHub."""
    budget = ctx.fake.budget_for(ctx.token)
    core = _rate(budget.limit, budget.remaining, budget.reset)
    reset = int(time.time()) + 60
    body: dict[str, Any] = {
        "resources": {
            "core": core,
            "search": _rate(30, 30, reset),
            "graphql": _rate(5000, 5000, budget.reset),
            "integration_manifest": _rate(5000, 5000, budget.reset),
        }
    }
    if ctx.headers.get("x-github-api-version", "2022-11-28") == "2022-11-28":
        body["rate"] = core
    return Reply(200, body)


_R = r"(?P<owner>[^/]+)/(?P<repo>[^/]+)"

# (method, path regex, handler, needs an App JWT); `owner/repo` routes get ctx.repo.
ROUTES: list[tuple[str, re.Pattern[str], Handler, bool]] = [
    (m, re.compile(p), h, jwt)
    for m, p, h, jwt in [
        ("GET", r"/app", get_app, True),
        ("GET", r"/app/installations/(?P<installation_id>\d+)", get_installation, True),
        ("POST", r"/app/installations/(?P<installation_id>\d+)/access_tokens", mint_token, True),
        ("GET", rf"/repos/{_R}/installation", get_repo_installation, True),
        ("GET", r"/rate_limit", rate_limit, False),
        ("GET", rf"/repos/{_R}", get_repo, False),
        ("GET", rf"/repos/{_R}/actions/runs/(?P<run_id>\d+)", get_workflow_run, False),
        ("GET", rf"/repos/{_R}/actions/runs/(?P<run_id>\d+)/artifacts", list_artifacts, False),
        ("GET", rf"/repos/{_R}/actions/artifacts/(?P<artifact_id>\d+)", get_artifact, False),
        (
            "GET",
            rf"/repos/{_R}/actions/artifacts/(?P<artifact_id>\d+)/(?P<format>[^/]+)",
            download_artifact,
            False,
        ),
        ("GET", rf"/repos/{_R}/issues/(?P<number>\d+)", get_issue, False),
        ("PATCH", rf"/repos/{_R}/issues/(?P<number>\d+)", update_issue, False),
        ("GET", rf"/repos/{_R}/issues/(?P<number>\d+)/comments", list_comments, False),
        ("POST", rf"/repos/{_R}/issues/(?P<number>\d+)/comments", create_comment, False),
        ("GET", rf"/repos/{_R}/issues/comments/(?P<comment_id>\d+)", get_comment, False),
        ("PATCH", rf"/repos/{_R}/issues/comments/(?P<comment_id>\d+)", update_comment, False),
        ("DELETE", rf"/repos/{_R}/issues/comments/(?P<comment_id>\d+)", delete_comment, False),
        (
            "POST",
            rf"/repos/{_R}/issues/comments/(?P<comment_id>\d+)/reactions",
            create_reaction,
            False,
        ),
        (
            "GET",
            rf"/repos/{_R}/collaborators/(?P<username>[^/]+)/permission",
            get_permission,
            False,
        ),
        ("GET", rf"/repos/{_R}/contents/(?P<path>.+)", get_content, False),
        ("POST", rf"/repos/{_R}/check-runs", create_check_run, False),
        ("PATCH", rf"/repos/{_R}/check-runs/(?P<check_run_id>\d+)", update_check_run, False),
    ]
]


def route(method: str, path: str) -> tuple[Handler, dict[str, str], bool] | None:
    """The handler for a request, its path parameters, and whether it needs the App JWT."""
    for m, pattern, handler, jwt in ROUTES:
        match = pattern.fullmatch(path)
        if match and m == method:
            return handler, match.groupdict(), jwt
    return None


def since_cutoff(now: datetime, seconds: float) -> datetime:
    """`now` minus some seconds (for rolling windows)."""
    return now - timedelta(seconds=seconds)
