"""Stored sign-ins and sessions: only hashes of their secrets, each attempt used once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session

from bot.store import web_sessions as store
from bot.store.models import utc_now
from bot.web.sealing import Sealer

SEALED = store.SealedTokens(
    access="sealed-access", access_expires_at=None, refresh=None, refresh_expires_at=None
)


def test_an_attempt_is_taken_once_and_only_by_its_state(session: Session) -> None:
    now = utc_now()
    store.begin_attempt(
        session=session, state="s1", nonce="n1", verifier_sealed="v", next_path="/x", now=now
    )
    assert store.take_attempt(session=session, state="forged", now=now) is None
    taken = store.take_attempt(session=session, state="s1", now=now)
    assert taken is not None
    assert taken.next_path == "/x"
    assert store.is_bound_to(taken, "n1")
    assert not store.is_bound_to(taken, "another browser")
    assert store.take_attempt(session=session, state="s1", now=now) is None  # replayed


def test_a_stale_attempt_is_refused_and_pruned(session: Session) -> None:
    then = utc_now() - timedelta(seconds=store.ATTEMPT_SECONDS + 1)
    store.begin_attempt(
        session=session, state="old", nonce="n", verifier_sealed="v", next_path="/", now=then
    )
    assert store.take_attempt(session=session, state="old", now=utc_now()) is None
    store.begin_attempt(
        session=session, state="s2", nonce="n", verifier_sealed="v", next_path="/", now=then
    )
    store.begin_attempt(
        session=session, state="s3", nonce="n", verifier_sealed="v", next_path="/", now=utc_now()
    )
    count = session.execute(text("SELECT count(*) FROM oauth_attempts")).scalar_one()
    assert count == 1  # s2 was pruned when s3 began


def test_the_store_keeps_hashes_of_ids_states_and_nonces(session: Session) -> None:
    now = utc_now()
    store.begin_attempt(
        session=session,
        state="the-state",
        nonce="the-nonce",
        verifier_sealed="v",
        next_path="/",
        now=now,
    )
    store.create_session(
        session=session,
        session_id="the-session-id",
        login="alice",
        user_id=1,
        tokens=SEALED,
        now=now,
        lifetime=timedelta(hours=8),
    )
    rows = [
        *session.execute(text("SELECT * FROM oauth_attempts")),
        *session.execute(text("SELECT * FROM web_sessions")),
    ]
    dumped = repr(rows)
    for secret in ("the-state", "the-nonce", "the-session-id"):
        assert secret not in dumped


def test_sessions_expire_and_are_deleted(session: Session) -> None:
    now = utc_now()
    store.create_session(
        session=session,
        session_id="sid",
        login="alice",
        user_id=1,
        tokens=SEALED,
        now=now,
        lifetime=timedelta(hours=8),
    )
    found = store.get_session(session=session, session_id="sid", now=now)
    assert found is not None
    assert found.login == "alice"
    later = now + timedelta(hours=9)
    assert store.get_session(session=session, session_id="sid", now=later) is None
    store.save_access(
        session=session, session_id="sid", readable=["b/y", "a/x"], operator=True, fetched_at=now
    )
    session.expire_all()
    again = store.get_session(session=session, session_id="sid", now=now)
    assert again is not None
    assert (again.readable, again.operator) == (["a/x", "b/y"], True)
    store.delete_session(session=session, session_id="sid")
    assert store.get_session(session=session, session_id="sid", now=now) is None
    assert store.count_sessions(session=session) == 0


def test_sealed_values_open_only_with_the_same_secret() -> None:
    sealed = Sealer(b"one secret").seal("ghu_example")
    assert "ghu_example" not in sealed
    assert Sealer(b"one secret").open(sealed) == "ghu_example"
    assert Sealer(b"another secret").open(sealed) is None
    assert Sealer(b"one secret").open(sealed[:-2] + "xx") is None
    assert Sealer(b"one secret").open("not fernet at all") is None
