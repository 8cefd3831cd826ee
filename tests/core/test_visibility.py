"""Who may see what, decided from GitHub's answers without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.visibility import (
    NO_ACCESS,
    Access,
    Grant,
    access_from,
    expiry,
    grants_of,
    is_fresh,
    needs_refresh,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _repo(name: str, **permissions: bool) -> dict[str, Any]:
    return {"full_name": name, "private": True, "permissions": permissions}


def test_each_listed_repository_grants_reading_and_admin_says_so() -> None:
    listed = [
        _repo("acme/agents", admin=False, push=True, pull=True),
        _repo("acme/vault", admin=True, pull=True),
    ]
    assert grants_of(listed) == [
        Grant("acme/agents", admin=False),
        Grant("acme/vault", admin=True),
    ]


@pytest.mark.parametrize(
    "entry",
    [
        {"permissions": {"pull": True}},  # no name
        {"full_name": 42},
        {"full_name": "no-slash"},
        _repo("acme/none", pull=False, admin=False),  # listed, but not readable
    ],
)
def test_entries_that_grant_nothing_are_skipped(entry: dict[str, Any]) -> None:
    assert grants_of([entry]) == []


def test_a_repository_without_permissions_is_read_but_not_administered() -> None:
    assert grants_of([{"full_name": "acme/agents"}]) == [Grant("acme/agents", admin=False)]


def test_operations_need_admin_on_at_least_one_repository() -> None:
    readers = access_from([Grant("a/x", admin=False), Grant("a/y", admin=False)])
    assert readers == Access(repositories=frozenset({"a/x", "a/y"}), operator=False)
    assert access_from([Grant("a/x", admin=False), Grant("a/y", admin=True)]).operator
    assert access_from([]) == NO_ACCESS


def test_access_is_trusted_for_the_cache_time_only() -> None:
    ttl = timedelta(minutes=5)
    assert is_fresh(NOW - timedelta(minutes=4), now=NOW, ttl=ttl)
    assert not is_fresh(NOW - timedelta(minutes=5), now=NOW, ttl=ttl)
    assert not is_fresh(None, now=NOW, ttl=ttl)
    # A time from the future (a clock set back) is not trusted either.
    assert not is_fresh(NOW + timedelta(minutes=1), now=NOW, ttl=ttl)


def test_expiring_tokens_are_refreshed_shortly_before_they_expire() -> None:
    assert not needs_refresh(None, now=NOW)  # a token that does not expire
    assert not needs_refresh(NOW + timedelta(hours=1), now=NOW)
    assert needs_refresh(NOW + timedelta(minutes=1), now=NOW)
    assert needs_refresh(NOW - timedelta(seconds=1), now=NOW)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (28800, NOW + timedelta(hours=8)),
        (None, None),
        (0, None),
        (-5, None),
        ("28800", None),
        (True, None),
    ],
)
def test_expiry_reads_githubs_lifetimes(seconds: object, expected: datetime | None) -> None:
    assert expiry(NOW, seconds) == expected
