"""What the fake's endpoint handlers take and return, and GitHub's pagination."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .github_payloads import _error, _user
from .github_state import FakeRepo, Token

if TYPE_CHECKING:
    from .github import FakeGitHub


@dataclass
class Ctx:
    """A request as handlers see it."""

    fake: FakeGitHub
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    base: str  # absolute API root of this request's origin, with the prefix and a trailing "/"
    token: Token | None = None
    repo: FakeRepo | None = None

    @property
    def actor(self) -> dict[str, Any]:
        """The user (or App bot) the token acts as."""
        assert self.token is not None
        if self.token.installation_id is not None:
            return _user(f"{self.fake.app_slug}[bot]", "Bot", base=self.base)
        return _user(self.token.login, "User", base=self.base)


@dataclass
class Reply:
    """What a handler answers: JSON (or raw bytes) plus extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


Handler = Callable[[Ctx], Reply]


def not_found() -> Reply:
    """GitHub's 404 (also what a caller gets for a resource it may not see)."""
    return Reply(404, _error("Not Found"))


def paginate(ctx: Ctx, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """One page of `items` and its Link header (per_page 30 by default, at most 100)."""
    try:
        per_page = min(max(int(ctx.query.get("per_page", 30)), 1), 100)
    except ValueError:
        per_page = 30
    try:
        page = max(int(ctx.query.get("page", 1)), 1)
    except ValueError:
        page = 1
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    url = ctx.base + ctx.path.lstrip("/")
    others = {k: v for k, v in ctx.query.items() if k not in {"page", "per_page"}}

    def link(n: int, rel: str) -> str:
        return f'<{url}?{urlencode({**others, "per_page": per_page, "page": n})}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
        links.append(link(last, "last"))
    if page > 1:
        links.append(link(1, "first"))
    return chunk, ({"link": ", ".join(links)} if links else {})
