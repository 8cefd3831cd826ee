"""Who may read the dashboard: loopback clients, a configured access token, a signed cookie.

The rule: with `DASHBOARD_TOKEN` set, every request must carry it (`Authorization: Bearer`)
or the cookie the login form sets. Without it, requests from loopback clients are served
and every other client gets 403 with a message saying how to configure access, so a
dashboard bound to 0.0.0.0 by mistake shows nothing. Only the socket peer says whether a
client is on loopback, and only when no proxy header of any kind is present: a proxy on the
same machine would otherwise make the whole internet look local. Failed logins are limited
per client (the peer, or the client a `TRUSTED_PROXIES` proxy names).
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
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import HTTPException, Request, Response

from bot.config import Settings

COOKIE = "rb_dashboard"
COOKIE_SECONDS = 8 * 3600
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
    "or serve on 127.0.0.1."
)


class LoginRequired(Exception):
    """The request carries no valid credentials; pages redirect to the login form."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is reading, and which repositories they may see (None: all of them)."""

    kind: str  # local | token
    repositories: frozenset[str] | None = None

    def may_read(self, full_name: str) -> bool:
        """Whether this viewer may see the repository."""
        return self.repositories is None or full_name in self.repositories


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
    """The access rule for one app's settings."""

    def __init__(self, settings: Settings) -> None:
        self.token = (
            settings.dashboard_token.get_secret_value() if settings.dashboard_token else None
        )
        key = settings.session_secret.get_secret_value() if settings.session_secret else None
        # Without SESSION_SECRET, logins last as long as the process (and one replica).
        self.signer = Signer((key or secrets.token_hex(32)).encode())
        self.logins = LoginLimiter()

    @property
    def login_configured(self) -> bool:
        """Whether any login is configured (then even loopback clients must log in)."""
        return self.token is not None

    def token_matches(self, presented: str) -> bool:
        """Constant-time comparison with the configured token."""
        return self.token is not None and hmac.compare_digest(
            presented.encode(), self.token.encode()
        )

    def viewer(self, request: Request) -> Viewer:
        """The viewer of this request; raises LoginRequired or a 403 HTTPException."""
        if not self.login_configured:
            if is_loopback(request):
                return Viewer(kind="local")
            raise HTTPException(403, NO_LOGIN_CONFIGURED)
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and presented.strip():
            if self.token_matches(presented.strip()):
                return Viewer(kind="token")
            raise HTTPException(401, "invalid dashboard token")
        cookie = request.cookies.get(COOKIE)
        data = self.signer.unsign(cookie) if cookie else None
        if data is not None and data.get("kind") == "token":
            return Viewer(kind="token")
        raise LoginRequired()

    def api_viewer(self, request: Request) -> Viewer:
        """Dependency of JSON routes: the viewer, or 401/403."""
        try:
            return self.viewer(request)
        except LoginRequired:
            raise HTTPException(
                401,
                "send `Authorization: Bearer <DASHBOARD_TOKEN>`",
                {"WWW-Authenticate": "Bearer"},
            ) from None

    def page_viewer(self, request: Request) -> Viewer:
        """Dependency of pages: the viewer, a redirect to the login form, or 403."""
        try:
            return self.viewer(request)
        except LoginRequired:
            target = quote(safe_next(request.url.path), safe="/")
            raise HTTPException(
                303, "log in first", {"Location": f"/login?next={target}"}
            ) from None

    def log_in(self, response: Response, request: Request) -> None:
        """Set the signed session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS)."""
        response.set_cookie(
            COOKIE,
            self.signer.sign({"kind": "token"}),
            max_age=COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )


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
