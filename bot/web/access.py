"""Who may read the dashboard: loopback clients, a configured access token, a signed cookie.

The rule: with a login configured (`DASHBOARD_TOKEN`, or the App's client id and secret for
Sign in with GitHub), every request must carry the token (`Authorization: Bearer`) or a
cookie the login sets: the token login's, or a GitHub user's session, who then sees only
what GitHub says they may read (bot.web.sessions). Without a login, requests from loopback
clients are served and every other client gets 403 with a message saying how to configure
access, so a dashboard bound to 0.0.0.0 by mistake shows nothing. Only the socket peer says
whether a client is on loopback, and only when no proxy header of any kind is present: a
proxy on the same machine would otherwise make the whole internet look local. Failed logins
are limited per client (the peer, or the client a `TRUSTED_PROXIES` proxy names).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from datetime import timedelta
from urllib.parse import quote

from fastapi import HTTPException, Request, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from bot.config import Settings
from bot.github.oauth import UserAuthorization
from bot.web.sealing import Sealer
from bot.web.sessions import UserSessions
from bot.web.viewer import LoginRequired, Viewer

COOKIE = "rb_dashboard"
COOKIE_SECONDS = 8 * 3600
# Binds a sign-in's `state` to the browser that began it, for as long as GitHub's code lives.
SIGN_IN_COOKIE = "rb_sign_in"
SIGN_IN_SECONDS = 600
SIGN_IN_PATH = "/login/github"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
# Headers by which proxies and CDNs name the client they forward for.
PROXY_HEADERS = (
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "fastly-client-ip",
    "x-cluster-client-ip",
)
LOGIN_FAILURES = 10  # failed logins a client may make per window
LOGIN_WINDOW = 600.0  # seconds
NO_LOGIN_CONFIGURED = (
    "The dashboard is reached from beyond loopback and no login is configured: set "
    "DASHBOARD_TOKEN (then send `Authorization: Bearer <token>` or sign in at /login), "
    "or GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (Sign in with GitHub), or serve on "
    "127.0.0.1."
)

__all__ = ["AccessRule", "LoginRequired", "Signer", "Viewer"]


class Signer:
    """HMAC-SHA256 signed, expiring cookie values (the value is readable, never forgeable)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, data: dict[str, object], *, now: float | None = None) -> str:
        """The payload with an expiry, base64url JSON, a dot, and its signature."""
        stamped = {**data, "exp": int((now or time.time()) + COOKIE_SECONDS)}
        body = base64.urlsafe_b64encode(json.dumps(stamped, sort_keys=True).encode()).decode()
        return f"{body}.{self._mac(body)}"

    def unsign(self, value: str, *, now: float | None = None) -> dict[str, object] | None:
        """The payload if the signature holds and it has not expired, else None."""
        body, _, mac = value.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body.encode()))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("exp"), int):
            return None
        if data["exp"] < (now or time.time()):
            return None
        return data

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()


class AccessRule:
    """The access rule for one app's settings (and its store, for GitHub users' sessions)."""

    def __init__(self, settings: Settings, *, engine: Engine | None = None) -> None:
        self.token = (
            settings.dashboard_token.get_secret_value() if settings.dashboard_token else None
        )
        key = settings.session_secret.get_secret_value() if settings.session_secret else None
        # Without SESSION_SECRET, logins last as long as the process (and one replica).
        secret = (key or secrets.token_hex(32)).encode()
        self.signer = Signer(secret)
        self.logins = LoginLimiter()
        self.users: UserSessions | None = None
        if settings.oauth_configured and engine is not None:
            self.users = UserSessions(
                engine=engine,
                authorization=UserAuthorization(settings),
                sealer=Sealer(secret),
                cache_seconds=settings.github_access_cache_seconds,
                lifetime=timedelta(seconds=COOKIE_SECONDS),
            )

    @property
    def login_configured(self) -> bool:
        """Whether any login is configured (then even loopback clients must log in)."""
        return self.token is not None or self.users is not None

    def token_matches(self, presented: str) -> bool:
        """Constant-time comparison with the configured token."""
        return self.token is not None and hmac.compare_digest(
            presented.encode(), self.token.encode()
        )

    def viewer(self, request: Request) -> Viewer:
        """The viewer of this request (blocking: a GitHub user's session is looked up)."""
        found = self.identify(request)
        if isinstance(found, Viewer):
            return found
        assert self.users is not None
        return self.users.viewer(found)

    def identify(self, request: Request) -> Viewer | str:
        """The viewer of this request, or a GitHub user's session id still to be looked up.

        Raises LoginRequired or a 401/403 HTTPException. Does no I/O.
        """
        if not self.login_configured:
            if is_loopback(request):
                return Viewer(kind="local")
            raise HTTPException(403, NO_LOGIN_CONFIGURED)
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and presented.strip():
            if self.token_matches(presented.strip()):
                return Viewer(kind="token")
            raise HTTPException(401, "invalid dashboard token")
        data = self.session_cookie(request)
        # A token login's cookie counts only while the token login is configured.
        if data is not None and data.get("kind") == "token" and self.token is not None:
            return Viewer(kind="token")
        if data is not None and data.get("kind") == "user" and self.users is not None:
            session_id = data.get("sid")
            if isinstance(session_id, str) and session_id:
                return session_id
        raise LoginRequired()

    def session_cookie(self, request: Request) -> dict[str, object] | None:
        """The login cookie's payload, if it is there, signed by us and not expired."""
        cookie = request.cookies.get(COOKIE)
        return self.signer.unsign(cookie) if cookie else None

    async def resolve(self, request: Request) -> Viewer:
        """The viewer, a GitHub user's looked up in the store (and GitHub) on a thread.

        Raises LoginRequired, AccessUnavailable or an HTTPException.
        """
        found = self.identify(request)
        if isinstance(found, Viewer):
            return found
        assert self.users is not None
        return await run_in_threadpool(self.users.viewer, found)

    async def api_viewer(self, request: Request) -> Viewer:
        """Dependency of JSON routes: the viewer, or 401/403."""
        try:
            return await self.resolve(request)
        except LoginRequired:
            raise HTTPException(
                401,
                "send `Authorization: Bearer <DASHBOARD_TOKEN>`, or sign in at /login",
                {"WWW-Authenticate": "Bearer"},
            ) from None

    async def page_viewer(self, request: Request) -> Viewer:
        """Dependency of pages: the viewer, a redirect to the login form, or 403."""
        try:
            return await self.resolve(request)
        except LoginRequired as required:
            target = quote(safe_next(request.url.path), safe="/")
            why = "&ended=github" if required.ended else ""
            raise HTTPException(
                303, "log in first", {"Location": f"/login?next={target}{why}"}
            ) from None

    def log_in(
        self, response: Response, request: Request, *, session_id: str | None = None
    ) -> None:
        """Set the signed session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS).

        With `session_id`, a GitHub user's session: the cookie holds that random id only.
        """
        data: dict[str, object] = {"kind": "token"}
        if session_id is not None:
            data = {"kind": "user", "sid": session_id}
        response.set_cookie(
            COOKIE,
            self.signer.sign(data),
            max_age=COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )

    def log_out(self, response: Response, request: Request) -> None:
        """End a GitHub user's stored session, if any, and drop the cookie."""
        data = self.session_cookie(request)
        if data is not None and data.get("kind") == "user" and self.users is not None:
            session_id = data.get("sid")
            if isinstance(session_id, str):
                self.users.end(session_id)
        response.delete_cookie(COOKIE, path="/")

    def bind_browser(self, response: Response, request: Request, nonce: str) -> None:
        """The cookie tying a sign-in's `state` to this browser (SameSite=Lax: GitHub's
        redirect back is a top-level GET, which Lax cookies accompany)."""
        response.set_cookie(
            SIGN_IN_COOKIE,
            self.signer.sign({"nonce": nonce}),
            max_age=SIGN_IN_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path=SIGN_IN_PATH,
        )

    def browser_nonce(self, request: Request) -> str | None:
        """The nonce of the sign-in this browser began, if its cookie is valid."""
        cookie = request.cookies.get(SIGN_IN_COOKIE)
        data = self.signer.unsign(cookie) if cookie else None
        nonce = data.get("nonce") if data else None
        return nonce if isinstance(nonce, str) else None

    def unbind_browser(self, response: Response) -> None:
        """Drop the sign-in cookie (each one serves one callback)."""
        response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)


def is_loopback(request: Request) -> bool:
    """The client is on this machine and no proxy forwarded the request."""
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    return client_address(request) in LOOPBACK


def client_address(request: Request) -> str:
    """The socket peer (uvicorn puts the forwarded client here only for TRUSTED_PROXIES)."""
    return request.client.host if request.client else "unknown"


class LoginLimiter:
    """At most LOGIN_FAILURES failed logins per client in LOGIN_WINDOW seconds (in memory)."""

    def __init__(self, *, failures: int = LOGIN_FAILURES, window: float = LOGIN_WINDOW) -> None:
        self._failures = failures
        self._window = window
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def wait(self, client: str, *, now: float | None = None) -> int:
        """Seconds until this client may try again (0: now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if client not in self._seen:
                return 0
            times = self._recent(client, now)
            if len(times) < self._failures:
                return 0
            return max(1, int(times[0] + self._window - now) + 1)

    def failed(self, client: str, *, now: float | None = None) -> None:
        """Count one failed login."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent(client, now).append(now)
            if len(self._seen) > 10_000:  # every client ever: forget the quiet ones
                self._seen = {
                    c: t for c, t in self._seen.items() if t and t[-1] > now - self._window
                }

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._seen.setdefault(client, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        return times


def safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site: no scheme, no `//`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    return target
