"""Upload tokens: one per CI that sends results, stored as a hash and shown once."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, col, select

from bot.store.models import Repository, UploadToken, utc_now

TOKEN_PREFIX = "rbt_"


def create_token(*, session: Session, repository: Repository) -> str:
    """A new upload token for the repository; only its hash is stored, shown once."""
    assert repository.id is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        UploadToken(repository_id=repository.id, token_hash=hash_token(token), prefix=token[:10])
    )
    session.commit()
    return token


def hash_token(token: str) -> str:
    """SHA-256 of a token (tokens are long and random: no salt or slow hash needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def repository_for_token(*, session: Session, token: str) -> Repository | None:
    """The repository an upload token belongs to, or None for unknown or revoked tokens."""
    row = session.exec(
        select(UploadToken).where(
            UploadToken.token_hash == hash_token(token), col(UploadToken.revoked_at).is_(None)
        )
    ).first()
    if row is None:
        return None
    row.last_used_at = utc_now()
    session.add(row)
    session.commit()
    return session.get(Repository, row.repository_id)
