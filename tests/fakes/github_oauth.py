"""The fake GitHub's user authorization: the OAuth web flow and the user's installations.

Web host (outside any API prefix, as on an Enterprise Server): `GET /login/oauth/authorize`
answers at once with a redirect back carrying `code` and `state` (the user "clicks
Authorize"; `deny` makes it `error=access_denied`), and `POST /login/oauth/access_token`
exchanges a code (checking the client, the redirect URI and the PKCE verifier, once) or a
refresh token, answering errors with 200 and an `error` field as GitHub does. API: `GET /user`,
`/user/installations` and `/user/installations/{id}/repositories` for user tokens (`ghu_`),
and `DELETE /applications/{client_id}/token` (Basic auth as the App's client) to revoke one.

Who can read what is the collaborator role set with `FakeGitHub.set_permission`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from .github_context import Ctx, Reply, not_found, paginate
from .github_payloads import _error, _user
from .github_payloads_repo import _repo
from .github_state import Token

if TYPE_CHECKING:
    from .github import FakeGitHub

CLIENT_ID = "Iv23liFakeClientId0001"
CLIENT_SECRET = "fake-client-secret-for-tests-0001"
CODE_SECONDS = 600  # GitHub's authorization codes expire after 10 minutes
# Role -> the `permissions` object GitHub puts on each repository of a user's installation.
ROLE_PERMISSIONS = {
    "admin": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
    "maintain": {"admin": False, "maintain": True, "push": True, "triage": True, "pull": True},
    "write": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
    "triage": {"admin": False, "maintain": False, "push": False, "triage": True, "pull": True},
    "read": {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True},
}
DOCS = (
    "https://docs.github.com/apps/oauth-apps/maintaining-oauth-apps/"
    "troubleshooting-oauth-app-access-token-request-errors"
)


@dataclass
class FakeCode:
    """An authorization code handed to the callback, usable once."""

    login: str
    redirect_uri: str | None
    challenge: str | None
    expires_at: float
    used: bool = False


@dataclass
class FakeOAuth:
    """The App's OAuth side: its client, who signs in next, and what was issued."""

    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    sign_in_as: str = "octocat"  # the user who "clicks Authorize"
    deny: bool = False  # the user clicks Cancel: error=access_denied
    expiring: bool = True  # the App opts into expiring user tokens (GitHub's default)
    token_seconds: int = 28800
    refresh_seconds: int = 15897600
    down: int = 0  # the next N token (or revocation) requests answer 502
    slow: float = 0.0  # the next token request waits this long before it is answered
    codes: dict[str, FakeCode] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> login
    issued: list[str] = field(default_factory=list)  # every access and refresh token
    exchanges: list[dict[str, str]] = field(default_factory=list)  # token requests, secrets cut
    revoked: list[str] = field(default_factory=list)  # tokens revoked by the App


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def revoke_user(fake: FakeGitHub, login: str) -> None:
    """The user revokes the App's authorization: their tokens answer 401 from now on."""
    with fake.lock:
        for token in fake.tokens.values():
            if token.login == login and token.value.startswith("ghu_"):
                token.revoked = True
        oauth = fake.oauth
        oauth.refresh_tokens = {t: u for t, u in oauth.refresh_tokens.items() if u != login}


def oauth_routes(fake: FakeGitHub) -> list[Route]:
    """The web host's two OAuth endpoints and the token revocation, before the catch-all."""

    async def authorize(request: Request) -> Response:
        q = request.query_params
        oauth = fake.oauth
        if q.get("client_id") != oauth.client_id:
            return PlainTextResponse("404: this application does not exist", 404)
        method = q.get("code_challenge_method")
        if q.get("code_challenge") and method not in (None, "S256"):
            return PlainTextResponse("code_challenge_method must be S256", 400)
        target = q.get("redirect_uri")
        if not target:
            return PlainTextResponse("no redirect_uri (the fake needs one)", 400)
        state = {"state": q["state"]} if "state" in q else {}
        if oauth.deny:
            query = {
                "error": "access_denied",
                "error_description": "The user has denied your application access.",
                "error_uri": DOCS,
                **state,
            }
            return RedirectResponse(f"{target}?{urlencode(query)}", 302)
        code = secrets.token_hex(10)
        with fake.lock:
            oauth.codes[code] = FakeCode(
                oauth.sign_in_as, target, q.get("code_challenge"), time.time() + CODE_SECONDS
            )
        return RedirectResponse(f"{target}?{urlencode({'code': code, **state})}", 302)

    async def access_token(request: Request) -> Response:
        fields = await _fields(request)
        wants_json = "json" in request.headers.get("accept", "")
        delay, fake.oauth.slow = fake.oauth.slow, 0.0
        if delay:
            await asyncio.sleep(delay)
        with fake.lock:
            fake.oauth.exchanges.append(
                {k: v for k, v in fields.items() if k not in {"client_secret", "refresh_token"}}
            )
            if fake.oauth.down > 0:
                fake.oauth.down -= 1
                return PlainTextResponse("Bad Gateway", 502)
            body = _exchange(fake, fields)
        if wants_json:
            return Response(json.dumps(body), media_type="application/json")
        return Response(urlencode(body), media_type="application/x-www-form-urlencoded")

    return [
        Route("/login/oauth/authorize", authorize, methods=["GET"]),
        Route("/login/oauth/access_token", access_token, methods=["POST"]),
        _revocation_route(fake),
    ]


def _revocation_route(fake: FakeGitHub) -> Route:
    """The API's `DELETE /applications/{client_id}/token` (under the prefix, Basic auth)."""

    async def delete_token(request: Request) -> Response:
        # DELETE /applications/{client_id}/token: Basic auth with the App's client id and
        # secret, the token in the body; 204, or 404 for a token GitHub does not know.
        oauth = fake.oauth
        expected = base64.b64encode(f"{oauth.client_id}:{oauth.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}" or (
            request.path_params["client_id"] != oauth.client_id
        ):
            return Response(json.dumps(_error("Not Found")), 404, media_type="application/json")
        value = str(json.loads(await request.body() or b"{}").get("access_token", ""))
        with fake.lock:
            if oauth.down > 0:
                oauth.down -= 1
                return PlainTextResponse("Bad Gateway", 502)
            token = fake.tokens.get(value)
            if token is None or token.revoked or not value.startswith("ghu_"):
                return Response(json.dumps(_error("Not Found")), 404, media_type="application/json")
            token.revoked = True
            oauth.revoked.append(value)
        return Response(status_code=204)

    return Route(
        f"{fake.api_prefix}/applications/{{client_id}}/token", delete_token, methods=["DELETE"]
    )


async def _fields(request: Request) -> dict[str, str]:
    """The token request's fields: a form (what GitHub documents) or JSON (also accepted)."""
    raw = (await request.body()).decode()
    if request.headers.get("content-type", "").startswith("application/json"):
        return {k: str(v) for k, v in json.loads(raw or "{}").items()}
    return dict(parse_qsl(raw))


def _refused(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description, "error_uri": DOCS}


def _exchange(fake: FakeGitHub, fields: dict[str, str]) -> dict[str, Any]:
    """The token endpoint's answer (always 200, as GitHub's is)."""
    oauth = fake.oauth
    if fields.get("client_id") != oauth.client_id or (
        fields.get("client_secret") != oauth.client_secret
    ):
        return _refused(
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        )
    if fields.get("grant_type") == "refresh_token":
        login = oauth.refresh_tokens.pop(fields.get("refresh_token", ""), None)
        if login is None:
            return _refused("bad_refresh_token", "The refresh token is incorrect or expired.")
        return _issue(fake, login)
    found = oauth.codes.get(fields.get("code", ""))
    if found is None or found.used or found.expires_at < time.time():
        return _refused("bad_verification_code", "The code passed is incorrect or expired.")
    found.used = True
    if fields.get("redirect_uri") and fields["redirect_uri"] != found.redirect_uri:
        return _refused(
            "redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL."
        )
    if found.challenge is not None and _challenge(fields.get("code_verifier", "")) != (
        found.challenge
    ):
        return _refused("bad_verification_code", "The code_verifier does not match.")
    return _issue(fake, found.login)


def _issue(fake: FakeGitHub, login: str) -> dict[str, Any]:
    oauth = fake.oauth
    access = "ghu_" + secrets.token_urlsafe(27)[:36]
    lifetime = oauth.token_seconds if oauth.expiring else 10 * 365 * 86400
    fake.tokens[access] = Token(access, None, login, time.time() + lifetime)
    oauth.issued.append(access)
    body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "scope": ""}
    if oauth.expiring:
        refresh = "ghr_" + secrets.token_urlsafe(60)[:76]
        oauth.refresh_tokens[refresh] = login
        oauth.issued.append(refresh)
        body |= {
            "expires_in": oauth.token_seconds,
            "refresh_token": refresh,
            "refresh_token_expires_in": oauth.refresh_seconds,
        }
    return body


# ---------------------------------------------------------------------- the API side


def _role(fake: FakeGitHub, full_name: str, login: str) -> str | None:
    role = fake.repos[full_name].permissions.get(login)
    if role is None or role == "none":
        return None
    return role if role in ROLE_PERMISSIONS else "read"  # a custom role reads at least


def _user_only(ctx: Ctx) -> Reply | None:
    if ctx.token is None or not ctx.token.value.startswith("ghu_"):
        return Reply(
            403,
            _error(
                "You must authenticate with an access token authorized to a GitHub App in "
                "order to list installations"
            ),
        )
    return None


def _reachable(ctx: Ctx, installation_id: int) -> list[str]:
    assert ctx.token is not None
    return sorted(
        name
        for name, repo in ctx.fake.repos.items()
        if repo.installation_id == installation_id and _role(ctx.fake, name, ctx.token.login)
    )


def get_user(ctx: Ctx) -> Reply:
    """GET /user: the user a token acts for."""
    assert ctx.token is not None
    return Reply(200, {**_user(ctx.token.login, "User", base=ctx.base), "name": ctx.token.login})


def list_user_installations(ctx: Ctx) -> Reply:
    """GET /user/installations: the App's installations the user can reach a repository of."""
    from .github_routes import installation_json

    refused = _user_only(ctx)
    if refused:
        return refused
    found = [i for i in sorted(ctx.fake.installations) if _reachable(ctx, i)]
    page, headers = paginate(ctx, found)
    body = {"total_count": len(found), "installations": [installation_json(ctx, i) for i in page]}
    return Reply(200, body, headers)


def list_user_installation_repos(ctx: Ctx) -> Reply:
    """GET /user/installations/{id}/repositories, each with the user's `permissions`."""
    refused = _user_only(ctx)
    if refused:
        return refused
    assert ctx.token is not None
    names = _reachable(ctx, int(ctx.params["installation_id"]))
    if not names:
        return not_found()
    page, headers = paginate(ctx, names)
    repositories = []
    for name in page:
        repo = ctx.fake.repos[name]
        body = _repo(name, base=ctx.base, private=repo.private, default_branch=repo.default_branch)
        role = _role(ctx.fake, name, ctx.token.login)
        assert role is not None
        repositories.append({**body, "permissions": ROLE_PERMISSIONS[role]})
    listing = {
        "total_count": len(names),
        "repository_selection": "selected",
        "repositories": repositories,
    }
    return Reply(200, listing, headers)
