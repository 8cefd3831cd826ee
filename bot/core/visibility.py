"""Who may see what on the dashboard, from what GitHub says a user can reach: no I/O.

A signed-in user reads a repository only when GitHub lists it among the App's installation
repositories the user can access (`GET /user/installations/{id}/repositories`); operations
data spans repositories, so it needs admin on at least one of them. These rules are plain
functions over the decoded JSON, so they are tested without a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Refresh a user token this long before GitHub says it expires (clocks drift, calls take time).
REFRESH_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Grant:
    """One repository a user can reach through the App, and whether they administer it."""

    full_name: str
    admin: bool


@dataclass(frozen=True, slots=True)
class Access:
    """What a signed-in user may see: repositories by full name, and the operations pages."""

    repositories: frozenset[str]  # as GitHub spells them, as the store keeps them
    operator: bool


NO_ACCESS = Access(repositories=frozenset(), operator=False)


def grants_of(repositories: Iterable[Mapping[str, Any]]) -> list[Grant]:
    """Grants from repository objects of GitHub's answer; entries without a name are skipped.

    A repository the user cannot pull (`permissions.pull` false) grants nothing, even when
    GitHub lists it.
    """
    found = []
    for repository in repositories:
        name = repository.get("full_name")
        if not isinstance(name, str) or "/" not in name:
            continue
        permissions = repository.get("permissions")
        permissions = permissions if isinstance(permissions, Mapping) else {}
        if permissions.get("pull") is False:
            continue
        found.append(Grant(full_name=name, admin=permissions.get("admin") is True))
    return found


def access_from(grants: Iterable[Grant]) -> Access:
    """The user's access: every granted repository; operations with admin on any one."""
    listed = list(grants)
    return Access(
        repositories=frozenset(g.full_name for g in listed),
        operator=any(g.admin for g in listed),
    )


def is_fresh(fetched_at: datetime | None, *, now: datetime, ttl: timedelta) -> bool:
    """Whether access fetched at `fetched_at` may still be trusted at `now`."""
    return fetched_at is not None and fetched_at <= now < fetched_at + ttl


def needs_refresh(
    expires_at: datetime | None, *, now: datetime, margin: timedelta = REFRESH_MARGIN
) -> bool:
    """Whether an expiring user token should be refreshed before use (never: no expiry)."""
    return expires_at is not None and now >= expires_at - margin


def expiry(now: datetime, seconds: object) -> datetime | None:
    """When a token GitHub issued `seconds` ago expires (None: GitHub gave no lifetime)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        return None
    return now + timedelta(seconds=float(seconds))
