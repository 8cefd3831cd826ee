"""The fake GitHub's HTTP edge: one Starlette app for the API, one for the artifact blob host.

Per request, in GitHub's order: prefix, API version, faults, routing, auth, secondary limits,
primary budget, handler, then ETag/304 and the headers GitHub sends on every response.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .github_context import Ctx, Reply
from .github_oauth import oauth_routes
from .github_payloads import _error
from .github_routes import blob_signature, route
from .github_state import Fault, RecordedRequest, Token

if TYPE_CHECKING:
    from .github import FakeGitHub

METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"]
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)
SECONDARY_DOCS = (
    "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)
COMMON_HEADERS = {
    "cache-control": "private, max-age=60, s-maxage=60",
    "vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
    "x-github-media-type": "github.v3; format=json",
    "x-content-type-options": "nosniff",
}


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _version_error(fake: FakeGitHub, version: str) -> dict[str, Any]:
    # Text from GitHub's answer quoted in expipiplus1/update-nix-fetchgit#79.
    supported = sorted(fake.versions)
    listed = ", ".join(f'"{v}"' for v in supported[:-1])
    listed = (listed + ", " if listed else "") + f'"{supported[-1]}" (most recent)'
    return _error(
        f'The version you specified in the "X-GitHub-Api-Version" request header, "{version}", '
        f"is not a supported version. The following versions are currently supported: {listed}.",
        "https://docs.github.com/rest/overview/api-versions",
    )


def _verify_jwt(fake: FakeGitHub, headers: dict[str, str]) -> str | None:
    """None if the Authorization header carries a valid App JWT, else the 401 message."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        return "A JSON web token could not be decoded"
    try:
        claims = jwt.decode(
            value,
            fake.public_key,
            algorithms=["RS256"],
            options={"require": ["iat", "exp", "iss"], "verify_iss": False},
            leeway=30,
        )
    except jwt.ExpiredSignatureError:
        return (
            "'Expiration time' claim ('exp') must be a numeric value representing the future"
            " time at which the assertion expires"
        )
    except jwt.PyJWTError:
        return "A JSON web token could not be decoded"
    if str(claims["iss"]) != str(fake.app_id):
        return "'Issuer' claim ('iss') must be an Integer"
    if int(claims["exp"]) - int(claims["iat"]) > 600:
        return "'Expiration time' claim ('exp') is too far in the future"
    return None


def _token(fake: FakeGitHub, headers: dict[str, str]) -> Token | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() not in {"token", "bearer"}:
        return None
    token = fake.tokens.get(value.strip())
    if token is None or token.revoked or token.expires_at <= time.time():
        return None
    return token


def _fault_reply(fake: FakeGitHub, fault: Fault, token: Token | None, request_id: str) -> Reply:
    headers = dict(fault.headers)
    body = fault.json
    if fault.kind == "primary":
        who = (
            f"installation ID {token.installation_id}"
            if token and token.installation_id is not None
            else f"user ID {fake.user_id(token.login if token else 'anonymous')}"
        )
        budget = fake.budget_for(token)
        headers |= {
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": str(budget.limit),
            "x-ratelimit-reset": str(int(time.time()) + fault.reset_in),
        }
        body = body or _error(
            f"API rate limit exceeded for {who}.",
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        )
    elif fault.kind == "secondary":
        body = body or _error(SECONDARY_MESSAGE.format(request_id=request_id), SECONDARY_DOCS)
    elif body is None and fault.status >= 500:
        body = {"message": "Server Error"}
    return Reply(fault.status, body, headers)


def build_app(fake: FakeGitHub) -> Starlette:
    """The REST API of the fake as an ASGI app."""

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        full_path = request.url.path
        path = full_path.removeprefix(fake.api_prefix) if fake.api_prefix else full_path
        path = path.rstrip("/") or "/"
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = RecordedRequest(request.method, path, dict(request.query_params), headers, body)
        with fake.lock:
            fake.requests.append(record)
            fake.in_flight += 1
            fake.peak_concurrency = max(fake.peak_concurrency, fake.in_flight)
        request_id = fake.request_id()
        try:
            reply, token, counted = await _handle(fake, request, record, raw, request_id)
        finally:
            with fake.lock:
                fake.in_flight -= 1
        return _finish(fake, record, reply, token, counted, request_id)

    # The OAuth web endpoints sit at the root, outside the API prefix (as on GHES).
    return Starlette(routes=[*oauth_routes(fake), Route("/{path:path}", endpoint, methods=METHODS)])


async def _handle(
    fake: FakeGitHub, request: Request, record: RecordedRequest, raw: bytes, request_id: str
) -> tuple[Reply, Token | None, bool]:
    """The reply, the caller's token, and whether the request counts against the budget."""
    headers, path, method = record.headers, record.path, record.method
    token = _token(fake, headers)
    record.token = token.value if token else None
    if fake.api_prefix and not request.url.path.startswith(fake.api_prefix):
        return Reply(404, _error("Not Found")), token, False
    version = headers.get("x-github-api-version")
    if version is not None and version not in fake.versions:
        return Reply(400, _version_error(fake, version)), token, True
    if raw and record.json is None:
        return Reply(400, _error("Problems parsing JSON")), token, True

    with fake.lock:
        fault = next((f for f in fake.faults if f.matches(method, path)), None)
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                fake.faults.remove(fault)
    if fault is not None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status:
            return _fault_reply(fake, fault, token, request_id), token, fault.kind != "primary"

    if fake.concurrency_limit is not None and fake.in_flight > fake.concurrency_limit:
        # GitHub allows at most 100 concurrent requests before a secondary limit.
        secondary = Fault(403, 1, kind="secondary")
        return _fault_reply(fake, secondary, token, request_id), token, True

    found = route(method, path)
    if found is None:
        return Reply(404, _error("Not Found")), token, True
    handler, params, needs_jwt = found
    base = f"{request.url.scheme}://{headers.get('host', request.url.netloc)}{fake.api_prefix}/"
    ctx = Ctx(fake, method, path, params, dict(request.query_params), record.json, headers, base)

    with fake.lock:
        if needs_jwt:
            problem = _verify_jwt(fake, headers)
            if problem is not None:
                return Reply(401, _error(problem)), None, True
        elif token is None:
            return Reply(401, _error("Bad credentials")), None, True
        else:
            ctx.token = token
        if "owner" in params:
            full_name = f"{params['owner']}/{params['repo']}"
            repo = fake.repos.get(full_name)
            visible = repo is not None and (
                needs_jwt
                or token is None
                or token.installation_id is None
                or not repo.private
                or repo.installation_id == token.installation_id
            )
            if repo is None or not visible:
                return Reply(404, _error("Not Found")), token, True
            ctx.repo = repo
            if (
                record.is_write
                and token is not None
                and token.installation_id is not None
                and repo.installation_id != token.installation_id
            ):
                return (
                    Reply(
                        403,
                        _error("Resource not accessible by integration"),
                        {"x-accepted-github-permissions": "issues=write; pull_requests=write"},
                    ),
                    token,
                    True,
                )
        limited = record.is_write and fake.content_limit_per_minute is not None
        if limited and not fake.note_write(token):
            return (
                Reply(
                    403,
                    _error(SECONDARY_MESSAGE.format(request_id=request_id), SECONDARY_DOCS),
                    {"retry-after": "60"},
                ),
                token,
                True,
            )
        budget = fake.budget_for(token)
        if budget.remaining <= 0 and path != "/rate_limit":
            fault = Fault(403, 1, kind="primary", reset_in=max(budget.reset - int(time.time()), 0))
            return _fault_reply(fake, fault, token, request_id), token, False
        reply = handler(ctx)
    return reply, token, path != "/rate_limit"


def _finish(
    fake: FakeGitHub,
    record: RecordedRequest,
    reply: Reply,
    token: Token | None,
    counted: bool,
    request_id: str,
) -> Response:
    content = (
        reply.raw
        if reply.raw is not None
        else (_json_bytes(reply.body) if reply.body is not None else b"")
    )
    headers = {**COMMON_HEADERS, "x-github-request-id": request_id}
    if version := record.headers.get("x-github-api-version"):
        headers["x-github-api-version-selected"] = version
    status = reply.status
    if record.method == "GET" and status == 200:
        etag = f'W/"{hashlib.sha256(content).hexdigest()[:40]}"'
        headers["etag"] = etag
        wanted = {t.strip() for t in record.headers.get("if-none-match", "").split(",")}
        if etag in wanted or etag.removeprefix("W/") in wanted:
            # A 304 does not count against the primary rate limit.
            status, content, counted = 304, b"", False
    with fake.lock:
        budget = fake.budget_for(token)
        if counted and budget.remaining > 0:
            budget.remaining -= 1
        headers |= {
            "x-ratelimit-limit": str(budget.limit),
            "x-ratelimit-remaining": str(budget.remaining),
            "x-ratelimit-used": str(budget.limit - budget.remaining),
            "x-ratelimit-reset": str(budget.reset),
            "x-ratelimit-resource": budget.resource,
        }
        record.status = status
    headers |= reply.headers
    media = "application/json; charset=utf-8" if content and reply.raw is None else None
    return Response(content, status_code=status, headers=headers, media_type=media)


def build_blob_app(fake: FakeGitHub) -> Starlette:
    """The artifact blob host: a signed URL valid until `se`, no Authorization allowed."""

    async def blob(request: Request) -> Response:
        fake.blob_requests.append(
            RecordedRequest(
                "GET",
                request.url.path,
                dict(request.query_params),
                {k.lower(): v for k, v in request.headers.items()},
                None,
            )
        )
        if fake.blob_delay:
            await asyncio.sleep(fake.blob_delay)
        if "authorization" in request.headers:
            # Azure blob storage refuses a second auth mechanism next to the SAS signature.
            return _azure_error(
                400,
                "InvalidAuthenticationInfo",
                "Authentication information is not given in the correct format.",
            )
        try:
            artifact_id = int(request.path_params["name"].removesuffix(".zip"))
            expiry = int(request.query_params["se"])
            sig = request.query_params["sig"]
        except (KeyError, ValueError):
            return _azure_error(403, "AuthenticationFailed", "Signature fields not well formed.")
        if sig != blob_signature(fake.blob_secret, artifact_id, expiry):
            return _azure_error(403, "AuthenticationFailed", "Signature did not match.")
        if expiry < time.time():
            return _azure_error(403, "AuthenticationFailed", "Signed expiry time has passed.")
        data = fake.artifact_bytes(artifact_id)
        if data is None:
            return _azure_error(404, "BlobNotFound", "The specified blob does not exist.")
        return Response(
            data, media_type="application/zip", headers={"content-length": str(len(data))}
        )

    return Starlette(routes=[Route("/blob/{name}", blob, methods=["GET"])])


def _azure_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><Error>'
        f"<Code>{code}</Code><Message>{message}\nRequestId:{uuid.uuid4()}</Message></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")
