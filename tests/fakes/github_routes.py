"""Endpoint handlers for repositories, Apps, Actions, checks and rate limits; the route table.

Handlers run under the fake's lock, after auth, version and fault checks (github_app.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Any
from urllib.parse import urlencode

from . import github_issues as issues
from . import github_oauth as oauth
from .github_context import Ctx, Handler, Reply, not_found, paginate
from .github_payloads import _error, _rate
from .github_payloads_repo import (
    PERMISSIONS,
    _app,
    _artifact,
    _check_run,
    _installation,
    _repo,
    _workflow_run,
)
from .github_state import FakeCheckRun


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


def commit_pulls(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/commits/{sha}/pulls: open pull requests whose head is the commit."""
    assert ctx.repo is not None
    sha = ctx.params["sha"]
    found = [
        {
            "number": number,
            "state": "open",
            "html_url": f"https://github.com/{ctx.repo.full_name}/pull/{number}",
            "head": {"sha": head["sha"], "ref": head["ref"], "repo": {"full_name": head["repo"]}},
        }
        for number, head in sorted(ctx.repo.pulls.items())
        if head["sha"] == sha
    ]
    return Reply(200, found)


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
        ("GET", r"/user", oauth.get_user, False),
        ("GET", r"/user/installations", oauth.list_user_installations, False),
        (
            "GET",
            r"/user/installations/(?P<installation_id>\d+)/repositories",
            oauth.list_user_installation_repos,
            False,
        ),
        ("GET", rf"/repos/{_R}", get_repo, False),
        ("GET", rf"/repos/{_R}/actions/runs/(?P<run_id>\d+)", get_workflow_run, False),
        ("GET", rf"/repos/{_R}/commits/(?P<sha>[0-9a-f]+)/pulls", commit_pulls, False),
        ("GET", rf"/repos/{_R}/actions/runs/(?P<run_id>\d+)/artifacts", list_artifacts, False),
        ("GET", rf"/repos/{_R}/actions/artifacts/(?P<artifact_id>\d+)", get_artifact, False),
        (
            "GET",
            rf"/repos/{_R}/actions/artifacts/(?P<artifact_id>\d+)/(?P<format>[^/]+)",
            download_artifact,
            False,
        ),
        ("GET", rf"/repos/{_R}/issues", issues.list_issues, False),
        ("POST", rf"/repos/{_R}/issues", issues.create_issue, False),
        ("GET", rf"/repos/{_R}/issues/(?P<number>\d+)", issues.get_issue, False),
        ("PATCH", rf"/repos/{_R}/issues/(?P<number>\d+)", issues.update_issue, False),
        ("GET", rf"/repos/{_R}/issues/(?P<number>\d+)/comments", issues.list_comments, False),
        ("POST", rf"/repos/{_R}/issues/(?P<number>\d+)/comments", issues.create_comment, False),
        ("GET", rf"/repos/{_R}/issues/comments/(?P<comment_id>\d+)", issues.get_comment, False),
        (
            "PATCH",
            rf"/repos/{_R}/issues/comments/(?P<comment_id>\d+)",
            issues.update_comment,
            False,
        ),
        (
            "DELETE",
            rf"/repos/{_R}/issues/comments/(?P<comment_id>\d+)",
            issues.delete_comment,
            False,
        ),
        (
            "POST",
            rf"/repos/{_R}/issues/comments/(?P<comment_id>\d+)/reactions",
            issues.create_reaction,
            False,
        ),
        (
            "GET",
            rf"/repos/{_R}/collaborators/(?P<username>[^/]+)/permission",
            issues.get_permission,
            False,
        ),
        ("GET", rf"/repos/{_R}/contents/(?P<path>.+)", issues.get_content, False),
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
