"""Signing in with GitHub and the sessions it opens, kept server-side.

The browser holds two signed cookies, neither with a token in it: during sign-in a nonce
binding the `state` to this browser, afterwards the session's random id. The user's tokens
stay in the store, sealed; what they may read is asked of GitHub again once the cache time
has passed, so a revoked authorization (401) or lost access ends there.
"""

from __future__ import annotations

import logging
import secrets
import threading
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.visibility import access_from, is_fresh, needs_refresh
from bot.errors import AuthorizationRefused, GitHubUnavailable
from bot.github.oauth import GitHubUser, UserAuthorization, UserTokens, pkce_pair
from bot.store import web_sessions as store
from bot.store.models import WebSession, utc_now
from bot.web.sealing import Sealer
from bot.web.viewer import AccessUnavailable, LoginRequired, Viewer

log = logging.getLogger(__name__)

_STRIPES = 64  # refreshes of one session are serialized in this process


class SignInProblem(Exception):
    """The callback cannot finish the sign-in; the message says why, for the login page."""


@dataclass(frozen=True, slots=True)
class Started:
    """A sign-in begun: the nonce for the browser's cookie and where to send the browser."""

    nonce: str = field(repr=False)
    authorize_url: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A finished sign-in: the new session's id (for the cookie), who, and where to go."""

    session_id: str = field(repr=False)
    user: GitHubUser
    next_path: str


class UserSessions:
    """Sign-in, sessions and their access cache, over the store and GitHub."""

    def __init__(
        self,
        *,
        engine: Engine,
        authorization: UserAuthorization,
        sealer: Sealer,
        cache_seconds: float,
        lifetime: timedelta,
    ) -> None:
        self._engine = engine
        self._github = authorization
        self._sealer = sealer
        self._ttl = timedelta(seconds=cache_seconds)
        self._lifetime = lifetime
        self._locks = [threading.Lock() for _ in range(_STRIPES)]

    # ------------------------------------------------------------------ signing in

    def begin(self, *, redirect_uri: str, next_path: str) -> Started:
        """Remember a new attempt (state, browser nonce, PKCE verifier) and build the URL."""
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier, challenge = pkce_pair()
        with Session(self._engine) as db:
            store.begin_attempt(
                session=db,
                state=state,
                nonce=nonce,
                verifier_sealed=self._sealer.seal(verifier),
                next_path=next_path,
                now=utc_now(),
            )
        url = self._github.authorize_url(
            redirect_uri=redirect_uri, state=state, code_challenge=challenge
        )
        return Started(nonce=nonce, authorize_url=url)

    def finish(self, *, state: str, nonce: str | None, code: str, redirect_uri: str) -> SignedIn:
        """Check the state against this browser, exchange the code, open a session.

        Raises SignInProblem (forged, replayed, stale or foreign state; code refused) or
        GitHubUnavailable.
        """
        with Session(self._engine) as db:
            attempt = store.take_attempt(session=db, state=state, now=utc_now())
        if attempt is None:
            raise SignInProblem(
                "This sign-in link is unknown, expired or was already used. Sign in again."
            )
        if nonce is None or not store.is_bound_to(attempt, nonce):
            raise SignInProblem("This sign-in was not started in this browser. Sign in again.")
        verifier = self._sealer.open(attempt.verifier_sealed)
        if verifier is None:
            raise SignInProblem("This sign-in link has expired. Sign in again.")
        try:
            tokens = self._github.exchange(code=code, redirect_uri=redirect_uri, verifier=verifier)
            user = self._github.user(tokens.access_token)
            grants = self._github.grants(tokens.access_token)
        except AuthorizationRefused as exc:
            raise SignInProblem(f"{exc}. Sign in again.") from None
        session_id = secrets.token_urlsafe(32)
        access = access_from(grants)
        now = utc_now()
        with Session(self._engine) as db:
            store.create_session(
                session=db,
                session_id=session_id,
                login=user.login,
                user_id=user.id,
                tokens=self._seal(tokens),
                now=now,
                lifetime=self._lifetime,
            )
            store.save_access(
                session=db,
                session_id=session_id,
                readable=sorted(access.repositories),
                operator=access.operator,
                fetched_at=now,
            )
        log.info(
            "user signed in",
            extra={"login": user.login, "readable": len(access.repositories)},
        )
        return SignedIn(session_id=session_id, user=user, next_path=attempt.next_path)

    def end(self, session_id: str) -> None:
        """Sign out: the session leaves the store (its cookie then opens nothing), and its
        token is revoked at GitHub, best effort (the session is gone either way)."""
        with Session(self._engine) as db:
            row = store.get_session(session=db, session_id=session_id, now=utc_now())
            token = self._sealer.open(row.access_token_sealed) if row is not None else None
            store.delete_session(session=db, session_id=session_id)
        if token is None:
            return
        try:
            self._github.revoke(token)
        except GitHubUnavailable as exc:
            log.warning("signed out, but GitHub did not confirm revoking the token: %s", exc)

    # ------------------------------------------------------------------ each request

    def viewer(self, session_id: str) -> Viewer:
        """The signed-in viewer; LoginRequired or AccessUnavailable (blocking: a thread)."""
        now = utc_now()
        row = self._load(session_id, now)
        if row is None:
            raise LoginRequired()
        if is_fresh(row.access_fetched_at, now=now, ttl=self._ttl):
            return _viewer(row)
        with self._locks[zlib.crc32(session_id.encode()) % _STRIPES]:
            return self._recheck(session_id)

    def _load(self, session_id: str, now: datetime) -> WebSession | None:
        # A short session each time: no database connection is held across GitHub calls.
        with Session(self._engine) as db:
            return store.get_session(session=db, session_id=session_id, now=now)

    def _recheck(self, session_id: str) -> Viewer:
        """Ask GitHub again what the user may read (refreshing the token first if due)."""
        now = utc_now()
        row = self._load(session_id, now)
        if row is None:
            raise LoginRequired()
        if is_fresh(row.access_fetched_at, now=now, ttl=self._ttl):
            return _viewer(row)  # another request of this session just did it
        try:
            token = self._usable_token(session_id, row)
            grants = self._github.grants(token)
        except AuthorizationRefused as exc:
            log.info("signed-in user's authorization ended", extra={"login": row.login})
            with Session(self._engine) as db:
                store.delete_session(session=db, session_id=session_id)
            raise LoginRequired(ended=True) from exc
        except GitHubUnavailable as exc:
            log.warning("cannot check a user's access: %s", exc, extra={"login": row.login})
            raise AccessUnavailable() from exc
        access = access_from(grants)
        with Session(self._engine) as db:
            store.save_access(
                session=db,
                session_id=session_id,
                readable=sorted(access.repositories),
                operator=access.operator,
                fetched_at=utc_now(),
            )
        return Viewer(
            kind="user", login=row.login, repositories=access.repositories, operator=access.operator
        )

    def _usable_token(self, session_id: str, row: WebSession) -> str:
        """The access token, refreshed first when it is about to expire."""
        now = utc_now()
        token = self._sealer.open(row.access_token_sealed)
        if token is None:  # sealed under another SESSION_SECRET
            raise AuthorizationRefused("the stored token cannot be opened", status=None)
        if not needs_refresh(row.access_expires_at, now=now):
            return token
        refresh = self._sealer.open(row.refresh_token_sealed) if row.refresh_token_sealed else None
        if refresh is None or (row.refresh_expires_at and row.refresh_expires_at <= now):
            raise AuthorizationRefused("the user token expired", status=None)
        try:
            fresh = self._github.refresh(refresh_token=refresh)
        except AuthorizationRefused:
            return self._refreshed_elsewhere(session_id, row)
        with Session(self._engine) as db:
            store.save_tokens(session=db, session_id=session_id, tokens=self._seal(fresh))
        return fresh.access_token

    def _refreshed_elsewhere(self, session_id: str, row: WebSession) -> str:
        """The token another replica refreshed a moment ago with the same single-use refresh
        token (GitHub then refuses ours); re-raises AuthorizationRefused when none did."""
        current = self._load(session_id, utc_now())
        if current is None or current.refresh_token_sealed == row.refresh_token_sealed:
            raise AuthorizationRefused("GitHub refused the refresh token", status=None)
        token = self._sealer.open(current.access_token_sealed)
        expires = current.access_expires_at
        if token is None or (expires is not None and expires <= utc_now()):
            raise AuthorizationRefused("GitHub refused the refresh token", status=None)
        return token

    def _seal(self, tokens: UserTokens) -> store.SealedTokens:
        return store.SealedTokens(
            access=self._sealer.seal(tokens.access_token),
            access_expires_at=tokens.expires_at,
            refresh=self._sealer.seal(tokens.refresh_token) if tokens.refresh_token else None,
            refresh_expires_at=tokens.refresh_expires_at,
        )


def _viewer(row: WebSession) -> Viewer:
    return Viewer(
        kind="user",
        login=row.login,
        repositories=frozenset(row.readable),
        operator=row.operator,
    )
