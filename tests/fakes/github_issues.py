"""Endpoint handlers for issues, comments, reactions, collaborators and contents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .github_context import Ctx, Reply, not_found, paginate
from .github_payloads import _comment, _content, _error, _issue, _reaction, _too_long, _user
from .github_state import LEGACY_PERMISSION, REACTIONS, FakeComment, FakeIssue, FakeReaction

# GitHub rejects issue and comment bodies past this many characters (GITHUB.md §2).
BODY_LIMIT = 65536
DOC_ISSUES = "https://docs.github.com/rest/issues/issues#update-an-issue"
DOC_COMMENTS = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"


def issue_json(ctx: Ctx, issue: FakeIssue) -> dict[str, Any]:
    """The Issue payload for a stored issue."""
    assert ctx.repo is not None
    return _issue(
        ctx.repo.full_name,
        base=ctx.base,
        ident=issue.id,
        number=issue.number,
        title=issue.title,
        body=issue.body,
        state=issue.state,
        state_reason=issue.state_reason,
        labels=issue.labels,
        user=_user(issue.user, base=ctx.base),
        comments=len(issue.comments),
        created_at=issue.created_at,
        updated_at=issue.updated_at,
        closed_at=issue.closed_at,
    )


def comment_json(ctx: Ctx, comment: FakeComment) -> dict[str, Any]:
    """The IssueComment payload for a stored comment."""
    assert ctx.repo is not None
    return _comment(
        ctx.repo.full_name,
        base=ctx.base,
        ident=comment.id,
        issue_number=comment.issue_number,
        body=comment.body,
        user=_user(comment.user, comment.user_type, base=ctx.base),
        created_at=comment.created_at,
        updated_at=comment.updated_at,
    )


def _find_issue(ctx: Ctx) -> FakeIssue | Reply:
    assert ctx.repo is not None
    number = int(ctx.params["number"])
    if number in ctx.repo.deleted_issues:
        return Reply(410, _error("This issue was deleted"))
    issue = ctx.repo.issues.get(number)
    return issue if issue is not None else not_found()


def get_issue(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/issues/{n}."""
    issue = _find_issue(ctx)
    return issue if isinstance(issue, Reply) else Reply(200, issue_json(ctx, issue))


def list_issues(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/issues: `state` (default open), `labels` (all must match), paginated."""
    assert ctx.repo is not None
    state = ctx.query.get("state", "open")
    wanted = [name for name in ctx.query.get("labels", "").split(",") if name]
    chosen = [
        issue
        for _, issue in sorted(ctx.repo.issues.items(), reverse=True)  # newest first
        if state in ("all", issue.state) and all(name in issue.labels for name in wanted)
    ]
    page, headers = paginate(ctx, chosen)
    return Reply(200, [issue_json(ctx, issue) for issue in page], headers)


def update_issue(ctx: Ctx) -> Reply:
    """PATCH /repos/{o}/{r}/issues/{n}: title, body, state, state_reason, labels."""
    issue = _find_issue(ctx)
    if isinstance(issue, Reply):
        return issue
    data = ctx.json if isinstance(ctx.json, dict) else {}
    body = data.get("body", issue.body)
    if body is not None and len(body) > BODY_LIMIT:
        return Reply(422, _too_long("Issue", DOC_ISSUES))
    state = data.get("state", issue.state)
    if state not in {"open", "closed"}:
        return Reply(
            422,
            _error(
                "Validation Failed",
                DOC_ISSUES,
                errors=[{"resource": "Issue", "code": "invalid", "field": "state"}],
                status="422",
            ),
        )
    now = ctx.fake.now()
    issue.body = body
    issue.title = data.get("title", issue.title)
    if "labels" in data:
        issue.labels = [x if isinstance(x, str) else x["name"] for x in data["labels"]]
    if state != issue.state:
        issue.closed_at = now if state == "closed" else None
        issue.state_reason = data.get("state_reason") or (
            "completed" if state == "closed" else "reopened"
        )
    issue.state = state
    issue.updated_at = now
    return Reply(200, issue_json(ctx, issue))


def list_comments(ctx: Ctx) -> Reply:
    """GET .../issues/{n}/comments, paginated, `since=` on updated_at."""
    issue = _find_issue(ctx)
    if isinstance(issue, Reply):
        return issue
    comments = issue.comments
    if "since" in ctx.query:
        try:
            since = datetime.fromisoformat(ctx.query["since"])
        except ValueError:
            return Reply(422, _error("Invalid value for `since`"))
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        comments = [c for c in comments if c.updated_at >= since]
    page, headers = paginate(ctx, comments)
    return Reply(200, [comment_json(ctx, c) for c in page], headers)


def create_issue(ctx: Ctx) -> Reply:
    """POST /repos/{o}/{r}/issues -> 201; assignees must be able to be assigned (422)."""
    assert ctx.repo is not None
    data = ctx.json if isinstance(ctx.json, dict) else {}
    title, body = data.get("title"), data.get("body") or ""
    if not isinstance(title, str) or not title.strip():
        return Reply(422, _error('Invalid request.\n\n"title" wasn\'t supplied.', DOC_ISSUES))
    if len(body) > BODY_LIMIT:
        return Reply(422, _too_long("Issue", DOC_ISSUES))
    assignees = [str(a) for a in data.get("assignees") or []]
    if any(ctx.repo.permissions.get(a, "none") in ("none", "read") for a in assignees):
        invalid = {"resource": "Issue", "code": "invalid", "field": "assignees"}
        return Reply(422, _error("Validation Failed", DOC_ISSUES, errors=[invalid], status="422"))
    with ctx.fake.lock:
        number = max([*ctx.repo.issues, *ctx.repo.deleted_issues, 0]) + 1
        issue = ctx.fake.add_issue(
            ctx.repo.full_name,
            number,
            title=title,
            body=body,
            labels=[x if isinstance(x, str) else x["name"] for x in data.get("labels") or []],
            user=ctx.actor["login"],
        )
        issue.assignees = assignees
    return Reply(201, issue_json(ctx, issue))


def create_comment(ctx: Ctx) -> Reply:
    """POST .../issues/{n}/comments -> 201."""
    issue = _find_issue(ctx)
    if isinstance(issue, Reply):
        return issue
    body = (ctx.json or {}).get("body")
    if not isinstance(body, str):
        return Reply(422, _error('Invalid request.\n\n"body" wasn\'t supplied.', DOC_COMMENTS))
    if len(body) > BODY_LIMIT:
        return Reply(422, _too_long("IssueComment", DOC_COMMENTS))
    actor = ctx.actor
    comment = ctx.fake.new_comment(issue, body=body, user=actor["login"], user_type=actor["type"])
    return Reply(201, comment_json(ctx, comment), {"location": comment_json(ctx, comment)["url"]})


def _find_comment(ctx: Ctx) -> FakeComment | Reply:
    assert ctx.repo is not None
    comment = ctx.repo.comment(int(ctx.params["comment_id"]))
    return comment if comment is not None else not_found()


def get_comment(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/issues/comments/{id}."""
    comment = _find_comment(ctx)
    return comment if isinstance(comment, Reply) else Reply(200, comment_json(ctx, comment))


def update_comment(ctx: Ctx) -> Reply:
    """PATCH /repos/{o}/{r}/issues/comments/{id}."""
    comment = _find_comment(ctx)
    if isinstance(comment, Reply):
        return comment
    body = (ctx.json or {}).get("body")
    if not isinstance(body, str):
        return Reply(422, _error('Invalid request.\n\n"body" wasn\'t supplied.', DOC_COMMENTS))
    if len(body) > BODY_LIMIT:
        return Reply(422, _too_long("IssueComment", DOC_COMMENTS))
    comment.body = body
    comment.updated_at = ctx.fake.now()
    return Reply(200, comment_json(ctx, comment))


def delete_comment(ctx: Ctx) -> Reply:
    """DELETE /repos/{o}/{r}/issues/comments/{id} -> 204."""
    comment = _find_comment(ctx)
    if isinstance(comment, Reply):
        return comment
    assert ctx.repo is not None
    issue = ctx.repo.issues[comment.issue_number]
    issue.comments.remove(comment)
    return Reply(204)


def create_reaction(ctx: Ctx) -> Reply:
    """POST .../issues/comments/{id}/reactions: 201 new, 200 when that user already reacted so."""
    comment = _find_comment(ctx)
    if isinstance(comment, Reply):
        return comment
    content = (ctx.json or {}).get("content")
    if content not in REACTIONS:
        return Reply(
            422,
            _error(
                "Validation Failed",
                "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment",
                errors=[{"resource": "Reaction", "code": "invalid", "field": "content"}],
                status="422",
            ),
        )
    actor = ctx.actor
    for reaction in comment.reactions:
        if reaction.user == actor["login"] and reaction.content == content:
            return Reply(
                200,
                _reaction(
                    ident=reaction.id, user=actor, content=content, created_at=reaction.created_at
                ),
            )
    reaction = FakeReaction(
        ctx.fake.next_id(), actor["login"], actor["type"], content, ctx.fake.now()
    )
    comment.reactions.append(reaction)
    return Reply(
        201,
        _reaction(ident=reaction.id, user=actor, content=content, created_at=reaction.created_at),
    )


def get_permission(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/collaborators/{u}/permission."""
    assert ctx.repo is not None
    login = ctx.params["username"]
    role = ctx.repo.permissions.get(login)
    if role is None:
        return Reply(404, _error(f"{login} is not a user"))
    user = _user(login, base=ctx.base, role_name=role)
    return Reply(
        200, {"permission": LEGACY_PERMISSION.get(role, "read"), "role_name": role, "user": user}
    )


def get_content(ctx: Ctx) -> Reply:
    """GET /repos/{o}/{r}/contents/{path} (files only)."""
    assert ctx.repo is not None
    path = ctx.params["path"].strip("/")
    text = ctx.repo.files.get(path)
    if text is None:
        return not_found()
    ref = ctx.query.get("ref", ctx.repo.default_branch)
    return Reply(200, _content(ctx.repo.full_name, path, text, base=ctx.base, ref=ref))
