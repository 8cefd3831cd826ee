"""Who is reading the dashboard (a Viewer), and why a request has none yet."""

from __future__ import annotations

from dataclasses import dataclass


class LoginRequired(Exception):
    """The request carries no valid credentials; pages redirect to the login form.

    `ended` is set when GitHub no longer honours a user's sign-in (revoked, expired), so
    the login page can say why the user is there again.
    """

    def __init__(self, *, ended: bool = False) -> None:
        super().__init__("log in first")
        self.ended = ended


class AccessUnavailable(Exception):
    """A signed-in user's access is due to be checked and GitHub cannot be reached.

    Failing closed: what the user may read is never trusted past the cache time.
    """


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is reading, and which repositories they may see (None: all of them).

    `kind` is local (loopback, no login configured), token (the dashboard token) or user
    (signed in with GitHub; `login` says who). `operator` marks a user who administers at
    least one installed repository: they see operations too.
    """

    kind: str
    repositories: frozenset[str] | None = None
    login: str | None = None
    operator: bool = False

    def may_read(self, full_name: str) -> bool:
        """Whether this viewer may see the repository."""
        return self.repositories is None or full_name in self.repositories

    @property
    def may_operate(self) -> bool:
        """Whether this viewer may see deliveries, jobs and metrics (they span repositories)."""
        return self.repositories is None or self.operator
