"""Signed-in users' sessions and pending sign-ins, stored by the hashes of their secrets.

Callers pass the raw session id, `state` and browser nonce; only their SHA-256 reaches the
database, so a copy of it can neither resume a session nor finish a sign-in. Tokens arrive
already sealed (bot.web.sealing): the store never sees one in the clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete, update
from sqlmodel import Session, col, select

from bot.store.models import OAuthAttempt, WebSession
from bot.store.tokens import hash_token

ATTEMPT_SECONDS = 600  # GitHub's authorization codes live 10 minutes; a sign-in no longer


@dataclass(frozen=True, slots=True)
class SealedTokens:
    """A user's tokens, sealed, with GitHub's expiry times."""

    access: str
    access_expires_at: datetime | None
    refresh: str | None
    refresh_expires_at: datetime | None


def begin_attempt(
    *, session: Session, state: str, nonce: str, verifier_sealed: str, next_path: str, now: datetime
) -> None:
    """Remember a sign-in begun in the browser holding `nonce`; forget stale ones."""
    _prune_attempts(session, now)
    session.add(
        OAuthAttempt(
            state_hash=hash_token(state),
            browser_hash=hash_token(nonce),
            verifier_sealed=verifier_sealed,
            next_path=next_path,
            created_at=now,
        )
    )
    session.commit()


def take_attempt(*, session: Session, state: str, now: datetime) -> OAuthAttempt | None:
    """The attempt for `state`, removed so it is used once; None if unknown, used or stale.

    Two callbacks racing with one state: the DELETE succeeds for one of them only.
    """
    found = session.get(OAuthAttempt, hash_token(state))
    if found is None:
        return None
    session.expunge(found)
    result = session.execute(
        delete(OAuthAttempt).where(col(OAuthAttempt.state_hash) == found.state_hash)
    )
    session.commit()
    assert isinstance(result, CursorResult)
    if result.rowcount != 1 or found.created_at < now - timedelta(seconds=ATTEMPT_SECONDS):
        return None
    return found


def is_bound_to(attempt: OAuthAttempt, nonce: str) -> bool:
    """Whether the attempt was begun in the browser holding this nonce."""
    return attempt.browser_hash == hash_token(nonce)


def create_session(
    *,
    session: Session,
    session_id: str,
    login: str,
    user_id: int,
    tokens: SealedTokens,
    now: datetime,
    lifetime: timedelta,
) -> None:
    """Store a new signed-in session; drop expired ones."""
    session.execute(delete(WebSession).where(col(WebSession.expires_at) < now))
    session.add(
        WebSession(
            id_hash=hash_token(session_id),
            login=login,
            user_id=user_id,
            access_token_sealed=tokens.access,
            access_expires_at=tokens.access_expires_at,
            refresh_token_sealed=tokens.refresh,
            refresh_expires_at=tokens.refresh_expires_at,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.commit()


def get_session(*, session: Session, session_id: str, now: datetime) -> WebSession | None:
    """The live session with this id, or None (unknown, signed out or expired)."""
    found = session.get(WebSession, hash_token(session_id))
    if found is None or found.expires_at <= now:
        return None
    return found


def save_tokens(*, session: Session, session_id: str, tokens: SealedTokens) -> None:
    """Keep the tokens a refresh returned."""
    session.execute(
        update(WebSession)
        .where(col(WebSession.id_hash) == hash_token(session_id))
        .values(
            access_token_sealed=tokens.access,
            access_expires_at=tokens.access_expires_at,
            refresh_token_sealed=tokens.refresh,
            refresh_expires_at=tokens.refresh_expires_at,
        )
    )
    session.commit()


def save_access(
    *,
    session: Session,
    session_id: str,
    readable: list[str],
    operator: bool,
    fetched_at: datetime,
) -> None:
    """Keep what GitHub said the user may read, and when."""
    session.execute(
        update(WebSession)
        .where(col(WebSession.id_hash) == hash_token(session_id))
        .values(readable=sorted(readable), operator=operator, access_fetched_at=fetched_at)
    )
    session.commit()


def delete_session(*, session: Session, session_id: str) -> None:
    """Forget a session (sign-out, or GitHub no longer honours its token)."""
    session.execute(delete(WebSession).where(col(WebSession.id_hash) == hash_token(session_id)))
    session.commit()


def count_sessions(*, session: Session) -> int:
    """How many sessions are stored (expired ones included until the next sign-in)."""
    return len(session.exec(select(WebSession.id_hash)).all())


def _prune_attempts(session: Session, now: datetime) -> None:
    cutoff = now - timedelta(seconds=ATTEMPT_SECONDS)
    session.execute(delete(OAuthAttempt).where(col(OAuthAttempt.created_at) < cutoff))
