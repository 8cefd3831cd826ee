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


def _repo(full_name: str, *, base: str, private: bool, default_branch: str) -> dict[str, Any]:
    """A FullRepository (GET /repos/{o}/{r}); also valid as a MinimalRepository."""
    owner, name = full_name.split("/", 1)
    ident = stable_id("repo", full_name)
    api = f"{base}repos/{full_name}"
    html = f"{web_root(base)}{full_name}"
    stamp = "2024-01-01T00:00:00Z"
    templated = {
        "archive_url": "{archive_format}{/ref}",
        "assignees_url": "assignees{/user}",
        "blobs_url": "git/blobs{/sha}",
        "branches_url": "branches{/branch}",
        "collaborators_url": "collaborators{/collaborator}",
        "comments_url": "comments{/number}",
        "commits_url": "commits{/sha}",
        "compare_url": "compare/{base}...{head}",
        "contents_url": "contents/{+path}",
        "contributors_url": "contributors",
        "deployments_url": "deployments",
        "downloads_url": "downloads",
        "events_url": "events",
        "forks_url": "forks",
        "git_commits_url": "git/commits{/sha}",
        "git_refs_url": "git/refs{/sha}",
        "git_tags_url": "git/tags{/sha}",
        "hooks_url": "hooks",
        "issue_comment_url": "issues/comments{/number}",
        "issue_events_url": "issues/events{/number}",
        "issues_url": "issues{/number}",
        "keys_url": "keys{/key_id}",
        "labels_url": "labels{/name}",
        "languages_url": "languages",
        "merges_url": "merges",
        "milestones_url": "milestones{/number}",
        "notifications_url": "notifications{?since,all,participating}",
        "pulls_url": "pulls{/number}",
        "releases_url": "releases{/id}",
        "stargazers_url": "stargazers",
        "statuses_url": "statuses/{sha}",
        "subscribers_url": "subscribers",
        "subscription_url": "subscription",
        "tags_url": "tags",
        "teams_url": "teams",
        "trees_url": "git/trees{/sha}",
    }
    repo: dict[str, Any] = {
        "id": ident,
        "node_id": node_id("R", ident),
        "name": name,
        "full_name": full_name,
        "owner": _user(owner, "Organization", base=base),
        "private": private,
        "visibility": "private" if private else "public",
        "html_url": html,
        "description": None,
        "fork": False,
        "url": api,
        **{key: f"{api}/{suffix}" for key, suffix in templated.items()},
        "git_url": f"git://{html.split('://', 1)[1]}.git",
        "ssh_url": f"git@{html.split('://', 1)[1].split('/', 1)[0]}:{full_name}.git",
        "clone_url": f"{html}.git",
        "svn_url": html,
        "mirror_url": None,
        "homepage": None,
        "language": "Python",
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "size": 1,
        "default_branch": default_branch,
        "open_issues_count": 0,
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "pushed_at": stamp,
        "created_at": stamp,
        "updated_at": stamp,
        "subscribers_count": 0,
        "network_count": 0,
        "license": None,
        "forks": 0,
        "open_issues": 0,
        "watchers": 0,
    }
    return repo


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


def _artifact(
    full_name: str,
    *,
    base: str,
    ident: int,
    name: str,
    size: int,
    digest: str,
    expired: bool,
    run_id: int,
    created_at: datetime,
    expires_at: datetime,
) -> dict[str, Any]:
    """An Artifact (10 required fields) with its workflow_run reference."""
    api = f"{base}repos/{full_name}/actions/artifacts/{ident}"
    return {
        "id": ident,
        "node_id": node_id("MDg6QXJ0aWZhY3Q", ident),
        "name": name,
        "size_in_bytes": size,
        "url": api,
        "archive_download_url": f"{api}/zip",
        "expired": expired,
        "created_at": iso(created_at),
        "expires_at": iso(expires_at),
        "updated_at": iso(created_at),
        "digest": f"sha256:{digest}",
        "workflow_run": {
            "id": run_id,
            "repository_id": stable_id("repo", full_name),
            "head_repository_id": stable_id("repo", full_name),
            "head_branch": "main",
            "head_sha": hashlib.sha1(str(run_id).encode()).hexdigest(),  # noqa: S324 - an id
        },
    }


def _workflow_run(full_name: str, *, base: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A WorkflowRun; `fields` (id, head_sha, head_branch, event, status, conclusion, ...) win."""
    run_id = int(fields["id"])
    api = f"{base}repos/{full_name}/actions/runs/{run_id}"
    head_sha = fields.get("head_sha") or hashlib.sha1(str(run_id).encode()).hexdigest()  # noqa: S324
    head_repo = fields.get("head_repository_full_name", full_name)
    repo = _repo(full_name, base=base, private=False, default_branch="main")
    stamp = "2024-01-01T00:00:00Z"
    run: dict[str, Any] = {"workflow_id": stable_id("workflow", full_name)}
    run |= {
        "id": run_id,
        "name": "CI",
        "node_id": node_id("WFR", run_id),
        "check_suite_id": stable_id("suite", run_id),
        "check_suite_node_id": node_id("CS", stable_id("suite", run_id)),
        "head_branch": "main",
        "head_sha": head_sha,
        "path": ".github/workflows/ci.yml",
        "run_number": 1,
        "run_attempt": 1,
        "event": "push",
        "status": "completed",
        "conclusion": "success",
        "url": api,
        "html_url": f"{web_root(base)}{full_name}/actions/runs/{run_id}",
        "pull_requests": [],
        "created_at": stamp,
        "updated_at": stamp,
        "run_started_at": stamp,
        "jobs_url": f"{api}/jobs",
        "logs_url": f"{api}/logs",
        "check_suite_url": f"{base}repos/{full_name}/check-suites/{stable_id('suite', run_id)}",
        "artifacts_url": f"{api}/artifacts",
        "cancel_url": f"{api}/cancel",
        "rerun_url": f"{api}/rerun",
        "previous_attempt_url": None,
        "workflow_url": f"{base}repos/{full_name}/actions/workflows/{run['workflow_id']}",
        "head_commit": {
            "id": head_sha,
            "tree_id": hashlib.sha1(head_sha.encode()).hexdigest(),  # noqa: S324
            "message": "Commit",
            "timestamp": stamp,
            "author": {"name": "Octo Cat", "email": "octocat@example.com"},
            "committer": {"name": "Octo Cat", "email": "octocat@example.com"},
        },
        "repository": repo,
        "head_repository": _repo(head_repo, base=base, private=False, default_branch="main"),
        "display_title": "Commit",
    }
    run.update({k: v for k, v in fields.items() if k != "head_repository_full_name"})
    return run


def _app(*, base: str, app_id: int, slug: str, owner: str = "octo-org") -> dict[str, Any]:
    """An Integration (the App object embedded in check runs)."""
    return {
        "id": app_id,
        "slug": slug,
        "node_id": node_id("A", app_id),
        "client_id": f"Iv1.{stable_id('client', app_id):016x}",
        "owner": _user(owner, "Organization", base=base),
        "name": slug,
        "description": "Keeps remediation issues true.",
        "external_url": f"{web_root(base)}apps/{slug}",
        "html_url": f"{web_root(base)}apps/{slug}",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "permissions": PERMISSIONS,
        "events": ["workflow_run", "issues", "issue_comment", "check_suite", "check_run"],
    }


PERMISSIONS = {"actions": "read", "checks": "write", "issues": "write", "metadata": "read"}


def _installation(*, base: str, ident: int, app_id: int, slug: str, account: str) -> dict[str, Any]:
    """An Installation (17 required fields)."""
    return {
        "id": ident,
        "account": _user(account, "Organization", base=base),
        "repository_selection": "selected",
        "access_tokens_url": f"{base}app/installations/{ident}/access_tokens",
        "repositories_url": f"{base}installation/repositories",
        "html_url": f"{web_root(base)}organizations/{account}/settings/installations/{ident}",
        "app_id": app_id,
        "target_id": stable_id("user", account),
        "target_type": "Organization",
        "permissions": PERMISSIONS,
        "events": ["workflow_run", "issues", "issue_comment", "check_suite", "check_run"],
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "single_file_name": None,
        "app_slug": slug,
        "suspended_by": None,
        "suspended_at": None,
    }


def _check_run(
    full_name: str, *, base: str, ident: int, fields: dict[str, Any], app: dict[str, Any]
) -> dict[str, Any]:
    """A CheckRun (16 required fields) from the stored request fields."""
    api = f"{base}repos/{full_name}/check-runs/{ident}"
    output = fields.get("output") or {}
    return {
        "id": ident,
        "head_sha": fields["head_sha"],
        "node_id": node_id("CR", ident),
        "external_id": fields.get("external_id", ""),
        "url": api,
        "html_url": f"{web_root(base)}{full_name}/runs/{ident}",
        "details_url": fields.get("details_url"),
        "status": fields.get("status", "queued"),
        "conclusion": fields.get("conclusion"),
        "started_at": fields.get("started_at"),
        "completed_at": fields.get("completed_at"),
        "output": {
            "title": output.get("title"),
            "summary": output.get("summary"),
            "text": output.get("text"),
            "annotations_count": len(output.get("annotations") or []),
            "annotations_url": f"{api}/annotations",
        },
        "name": fields["name"],
        "check_suite": {"id": stable_id("suite", fields["head_sha"])},
        "app": app,
        "pull_requests": [],
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
