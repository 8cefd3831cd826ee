"""Pure builders of GitHub REST JSON for repositories, Actions, Apps and check runs. No I/O."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from .github_payloads import _user, iso, node_id, stable_id, web_root


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
