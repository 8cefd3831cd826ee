"""Pure builders of GitHub REST JSON: schema-complete, so githubkit's `.parsed_data` validates.

Every builder takes `base`, the fake's own API root with a trailing slash (origin + prefix), so
the URLs in a payload point back at the fake. No I/O.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

DOCS = "https://docs.github.com/rest"

_LABEL_COLORS = ("d73a4a", "0075ca", "a2eeef", "7057ff", "008672", "e4e669")


def iso(moment: datetime | None) -> str | None:
    """GitHub's timestamp format: `YYYY-MM-DDTHH:MM:SSZ`, UTC, whole seconds."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_id(*parts: object, modulo: int = 10**8) -> int:
    """A deterministic positive id for a login or name (GitHub ids are opaque integers)."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:12], 16) % modulo + 1


def node_id(kind: str, ident: int) -> str:
    """An opaque node id in GitHub's base64 style."""
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode().rstrip("=")


def web_root(base: str) -> str:
    """The web origin for html_url: the API root without the GHES `/api/v3/` part."""
    return base.removesuffix("/").removesuffix("/api/v3") + "/"


def _user(
    login: str, type: str = "User", *, base: str, role_name: str | None = None
) -> dict[str, Any]:
    """A SimpleUser (18 required fields); `role_name` makes it a Collaborator."""
    ident = stable_id("user", login)
    api = f"{base}users/{login}"
    user: dict[str, Any] = {
        "login": login,
        "id": ident,
        "node_id": node_id("U", ident),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{ident}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{web_root(base)}{login.removesuffix('[bot]')}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": type,
        "site_admin": False,
        "user_view_type": "public",
    }
    if role_name is not None:
        user["role_name"] = role_name
    return user


def _label(full_name: str, name: str, *, base: str) -> dict[str, Any]:
    """A Label as embedded in an issue."""
    # The 2026-03-10 Label model requires archived_at/archived_by; without them parsing fails.
    ident = stable_id("label", full_name, name)
    return {
        "id": ident,
        "node_id": node_id("LA", ident),
        "url": f"{base}repos/{full_name}/labels/{name}",
        "name": name,
        "description": None,
        "color": _LABEL_COLORS[ident % len(_LABEL_COLORS)],
        "default": False,
        "archived_at": None,
        "archived_by": None,
    }


def _issue(
    full_name: str,
    *,
    base: str,
    ident: int,
    number: int,
    title: str,
    body: str | None,
    state: str,
    state_reason: str | None,
    labels: list[str],
    user: dict[str, Any],
    comments: int,
    created_at: datetime,
    updated_at: datetime,
    closed_at: datetime | None,
) -> dict[str, Any]:
    """An Issue (19 required fields)."""
    api = f"{base}repos/{full_name}/issues/{number}"
    return {
        "id": ident,
        "node_id": node_id("I", ident),
        "url": api,
        "repository_url": f"{base}repos/{full_name}",
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": f"{web_root(base)}{full_name}/issues/{number}",
        "number": number,
        "state": state,
        "state_reason": state_reason,
        "title": title,
        "body": body,
        "user": user,
        "labels": [_label(full_name, name, base=base) for name in labels],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": comments,
        "closed_at": iso(closed_at),
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
        "author_association": "OWNER",
    }


def _comment(
    full_name: str,
    *,
    base: str,
    ident: int,
    issue_number: int,
    body: str,
    user: dict[str, Any],
    created_at: datetime,
    updated_at: datetime,
) -> dict[str, Any]:
    """An IssueComment (8 required fields)."""
    return {
        "id": ident,
        "node_id": node_id("IC", ident),
        "url": f"{base}repos/{full_name}/issues/comments/{ident}",
        "html_url": f"{web_root(base)}{full_name}/issues/{issue_number}#issuecomment-{ident}",
        "body": body,
        "user": user,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
        "issue_url": f"{base}repos/{full_name}/issues/{issue_number}",
        "author_association": "NONE" if user["type"] == "Bot" else "OWNER",
        "performed_via_github_app": None,
    }


def _reaction(
    *, ident: int, user: dict[str, Any], content: str, created_at: datetime
) -> dict[str, Any]:
    """A Reaction (5 required fields)."""
    return {
        "id": ident,
        "node_id": node_id("REA", ident),
        "user": user,
        "content": content,
        "created_at": iso(created_at),
    }


def _content(full_name: str, path: str, text: str, *, base: str, ref: str) -> dict[str, Any]:
    """A ContentFile: base64 wrapped at 60 columns like GitHub, `sha` the git blob id."""
    raw = text.encode()
    sha = hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()  # noqa: S324 - git's blob id
    encoded = base64.b64encode(raw).decode()
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    api = f"{base}repos/{full_name}/contents/{path}?ref={ref}"
    html = f"{web_root(base)}{full_name}/blob/{ref}/{path}"
    git = f"{base}repos/{full_name}/git/blobs/{sha}"
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(raw),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": wrapped,
        "sha": sha,
        "url": api,
        "git_url": git,
        "html_url": html,
        "download_url": f"{web_root(base)}raw/{full_name}/{ref}/{path}",
        "_links": {"self": api, "git": git, "html": html},
    }


def _rate(limit: int, remaining: int, reset: int) -> dict[str, int]:
    """One rate-limit resource entry."""
    return {"limit": limit, "remaining": remaining, "reset": reset, "used": limit - remaining}


def _error(message: str, documentation_url: str = DOCS, **extra: Any) -> dict[str, Any]:
    """A BasicError body."""
    return {"message": message, "documentation_url": documentation_url, **extra}


def _too_long(resource: str, documentation_url: str) -> dict[str, Any]:
    """GitHub's 422 for a body over 65 536 characters."""
    return _error(
        "Validation Failed",
        documentation_url,
        errors=[
            {
                "resource": resource,
                "code": "custom",
                "field": "body",
                "message": "body is too long (maximum is 65536 characters)",
            }
        ],
        status="422",
    )
