"""The fake GitHub behaves like GitHub as githubkit sees it, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from githubkit import AppAuthStrategy, AppInstallationAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.cache import MemCacheStrategy
from githubkit.exception import (
    PrimaryRateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
    SecondaryRateLimitExceeded,
)
from githubkit.webhooks import verify

from fakes import FakeGitHub, ServedFake, async_transport, serve, transport
from fakes.github_routes import blob_signature
from fakes.webhook_sender import DeliveryLog, deliver, load_payload, payload, redeliver, sign

REPO = "octo-org/octo-repo"
OWNER, NAME = REPO.split("/")


def _zip(**files: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _client(served: ServedFake, token: str, *, timeout: float = 5) -> GitHub[TokenAuthStrategy]:
    return GitHub(
        TokenAuthStrategy(token),
        base_url=served.api_url,
        cache_strategy=MemCacheStrategy(),
        timeout=timeout,
        auto_retry=False,
        http_cache=False,
    )


@pytest.fixture(scope="module")
def served() -> Iterator[ServedFake]:
    """One fake served for the whole module; tests reset it."""
    with serve(FakeGitHub()) as served:
        yield served


@pytest.fixture
def fake(served: ServedFake) -> FakeGitHub:
    """The served fake, emptied, with one installed repository and issue #7."""
    fake = served.fake
    fake.reset()
    fake.add_repo(REPO)
    fake.add_issue(REPO, 7, title="Remediation plan", body="- [ ] one\n- [ ] two\n")
    return fake


@pytest.fixture
def gh(served: ServedFake, fake: FakeGitHub) -> Iterator[GitHub[TokenAuthStrategy]]:
    """A githubkit client with an installation token, inside its context."""
    with _client(served, fake.issue_token(installation_id=77)) as client:
        yield client


def test_issue_get_parses_and_carries_github_headers(gh: GitHub[TokenAuthStrategy]) -> None:
    response = gh.rest.issues.get(OWNER, NAME, 7)
    issue = response.parsed_data
    assert (issue.number, issue.title, issue.body) == (
        7,
        "Remediation plan",
        "- [ ] one\n- [ ] two\n",
    )
    for header in (
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-used",
        "x-ratelimit-reset",
        "x-github-request-id",
        "etag",
        "vary",
    ):
        assert header in response.headers
    assert response.headers["x-ratelimit-resource"] == "core"
    assert response.headers["cache-control"] == "private, max-age=60, s-maxage=60"
    assert issue.url.startswith(str(gh.config.base_url))


def test_unknown_and_deleted_issues(gh: GitHub[TokenAuthStrategy], fake: FakeGitHub) -> None:
    with pytest.raises(RequestFailed) as missing:
        gh.rest.issues.get(OWNER, NAME, 404)
    fake.add_issue(REPO, 8, title="t", body="b")
    fake.delete_issue(REPO, 8)
    with pytest.raises(RequestFailed) as gone:
        gh.rest.issues.get(OWNER, NAME, 8)
    assert (missing.value.response.status_code, gone.value.response.status_code) == (404, 410)


def test_issue_update_and_github_body_limit(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub
) -> None:
    updated = gh.rest.issues.update(OWNER, NAME, 7, body="- [x] one\n", labels=["remediation"])
    assert updated.parsed_data.body == "- [x] one\n"
    assert fake.repos[REPO].issues[7].labels == ["remediation"]
    with pytest.raises(RequestFailed) as too_long:
        gh.rest.issues.update(OWNER, NAME, 7, body="x" * 65537)
    assert too_long.value.response.status_code == 422
    error = too_long.value.response.json()["errors"][0]
    assert error["message"] == "body is too long (maximum is 65536 characters)"
    assert fake.repos[REPO].issues[7].body == "- [x] one\n"
    gh.rest.issues.update(OWNER, NAME, 7, body="y" * 65536)


def test_comments_paginate_with_absolute_link_headers(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub, served: ServedFake
) -> None:
    for n in range(5):
        fake.add_comment(REPO, 7, body=f"comment {n}")
    # githubkit_schemas' IssuesClient has a method named `list`, which its annotations then
    # name instead of the builtin: mypy cannot know what the pages hold.
    bodies = [  # type: ignore[var-annotated]
        c.body
        for c in gh.rest.paginate(
            gh.rest.issues.list_comments, owner=OWNER, repo=NAME, issue_number=7, per_page=2
        )
    ]
    assert bodies == [f"comment {n}" for n in range(5)]
    pages = fake.requests_to("GET", r"/comments$")
    assert [r.query.get("page") for r in pages] == [None, "2", "3"]
    first = gh.rest.issues.list_comments(OWNER, NAME, 7, per_page=2)
    link = first.headers["link"]
    assert f'<{served.api_url}repos/{REPO}/issues/7/comments?per_page=2&page=2>; rel="next"' in link
    assert 'page=3>; rel="last"' in link
    last = gh.rest.issues.list_comments(OWNER, NAME, 7, per_page=2, page=3)
    assert 'rel="next"' not in last.headers["link"]
    assert 'rel="prev"' in last.headers["link"]


def test_comments_since_filters_on_update_time(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub
) -> None:
    old = datetime.now(UTC) - timedelta(days=2)
    fake.add_comment(REPO, 7, body="old", created_at=old)
    fake.add_comment(REPO, 7, body="new")
    since = datetime.now(UTC) - timedelta(days=1)
    listed = gh.rest.issues.list_comments(OWNER, NAME, 7, since=since).parsed_data
    # githubkit_schemas' `IssuesClient.list` shadows the builtin in this annotation.
    assert [c.body for c in listed] == ["new"]  # type: ignore[attr-defined]


def test_comment_create_update_get(gh: GitHub[TokenAuthStrategy], fake: FakeGitHub) -> None:
    created = gh.rest.issues.create_comment(OWNER, NAME, 7, body="summary v1")
    assert created.status_code == 201
    comment = created.parsed_data
    assert comment.user is not None
    assert (comment.user.login, comment.user.type) == ("remediation-bot[bot]", "Bot")
    gh.rest.issues.update_comment(OWNER, NAME, comment.id, body="summary v2")
    assert gh.rest.issues.get_comment(OWNER, NAME, comment.id).parsed_data.body == "summary v2"
    assert [c.body for c in fake.repos[REPO].issues[7].comments] == ["summary v2"]
    with pytest.raises(RequestFailed) as missing:
        gh.rest.issues.update_comment(OWNER, NAME, 999999, body="x")
    assert missing.value.response.status_code == 404
    with pytest.raises(RequestFailed) as too_long:
        gh.rest.issues.create_comment(OWNER, NAME, 7, body="x" * 65537)
    assert too_long.value.response.json()["errors"][0]["resource"] == "IssueComment"


def test_reactions_created_then_already_there(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub
) -> None:
    comment = fake.add_comment(REPO, 7, body="/remediation status", user="alice")
    first = gh.rest.reactions.create_for_issue_comment(OWNER, NAME, comment.id, content="eyes")
    again = gh.rest.reactions.create_for_issue_comment(OWNER, NAME, comment.id, content="eyes")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.parsed_data.id == again.parsed_data.id
    assert [r.content for r in comment.reactions] == ["eyes"]
    url = f"/repos/{REPO}/issues/comments/{comment.id}/reactions"
    with pytest.raises(RequestFailed) as bad:
        gh.request("POST", url, json={"content": "party"})
    assert bad.value.response.status_code == 422


def test_artifacts_paginate_with_map_func_and_name_filter(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub
) -> None:
    for n in range(5):
        fake.add_artifact(REPO, 42, name=f"junit-{n}", zip_bytes=_zip(**{"r.xml": "<testsuite/>"}))
    fake.add_artifact(REPO, 43, name="other-run", zip_bytes=b"")
    names = [
        a.name
        for a in gh.rest.paginate(
            gh.rest.actions.list_workflow_run_artifacts,
            map_func=lambda r: r.parsed_data.artifacts,
            owner=OWNER,
            repo=NAME,
            run_id=42,
            per_page=2,
        )
    ]
    assert names == [f"junit-{n}" for n in range(5)]
    only = gh.rest.actions.list_workflow_run_artifacts(OWNER, NAME, 42, name="junit-3").parsed_data
    assert (only.total_count, [a.name for a in only.artifacts]) == (1, ["junit-3"])


def test_artifact_download_redirects_to_blob_host_without_authorization(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub, served: ServedFake
) -> None:
    data = _zip(**{"results.xml": "<testsuite tests='1'/>"})
    artifact = fake.add_artifact(REPO, 42, name="junit", zip_bytes=data)
    assert gh.rest.actions.get_artifact(OWNER, NAME, artifact.id).parsed_data.size_in_bytes == len(
        data
    )
    response = gh.rest.actions.download_artifact(OWNER, NAME, artifact.id, "zip")
    assert response.content == data
    assert str(response.url).startswith(served.blob_url)
    assert "authorization" not in fake.blob_requests[-1].headers
    streamed = gh.rest.actions.download_artifact(OWNER, NAME, artifact.id, "zip", stream=True)
    assert b"".join(streamed.iter_bytes()) == data
    redirect = gh.rest.actions.download_artifact(OWNER, NAME, artifact.id, "zip", stream=False)
    assert redirect.raw_response.history[0].status_code == 302


def test_blob_host_rules(served: ServedFake, fake: FakeGitHub) -> None:
    artifact = fake.add_artifact(REPO, 42, name="junit", zip_bytes=b"PK\x05\x06" + b"\0" * 18)
    token = fake.issue_token(installation_id=77)
    with httpx.Client(base_url=served.api_url, follow_redirects=False) as http:
        found = http.get(
            f"repos/{REPO}/actions/artifacts/{artifact.id}/zip",
            headers={"Authorization": f"token {token}"},
        )
        assert found.status_code == 302
        location = found.headers["location"]
        assert http.get(location).headers["content-type"] == "application/zip"
        assert http.get(location, headers={"Authorization": f"token {token}"}).status_code == 400
        past = int(time.time()) - 1
        sig = blob_signature(fake.blob_secret, artifact.id, past)
        stale = f"{served.blob_url}blob/{artifact.id}.zip?sig={sig}&se={past}"
        assert http.get(stale).status_code == 403


def test_expired_and_unknown_artifacts(gh: GitHub[TokenAuthStrategy], fake: FakeGitHub) -> None:
    expired = fake.add_artifact(REPO, 42, name="old", zip_bytes=b"x", expired=True)
    assert gh.rest.actions.get_artifact(OWNER, NAME, expired.id).parsed_data.expired is True
    with pytest.raises(RequestFailed) as gone:
        gh.rest.actions.download_artifact(OWNER, NAME, expired.id, "zip")
    with pytest.raises(RequestFailed) as unknown:
        gh.rest.actions.download_artifact(OWNER, NAME, 1, "zip")
    assert (gone.value.response.status_code, unknown.value.response.status_code) == (410, 404)


def test_workflow_run_parses(gh: GitHub[TokenAuthStrategy], fake: FakeGitHub) -> None:
    fake.add_workflow_run(
        REPO,
        42,
        head_sha="a" * 40,
        conclusion="failure",
        run_attempt=2,
        head_repository_full_name="fork/octo-repo",
    )
    run = gh.rest.actions.get_workflow_run(OWNER, NAME, 42).parsed_data
    assert (run.id, run.head_sha, run.conclusion, run.run_attempt) == (42, "a" * 40, "failure", 2)
    assert run.head_repository.full_name == "fork/octo-repo"
    repo = gh.rest.repos.get(OWNER, NAME).parsed_data
    assert (repo.full_name, repo.default_branch, repo.private) == (REPO, "main", False)


@pytest.mark.parametrize(
    ("role", "permission"),
    [
        ("admin", "admin"),
        ("maintain", "write"),
        ("write", "write"),
        ("triage", "read"),
        ("read", "read"),
        ("none", "none"),
    ],
)
def test_permission_levels_report_legacy_permission_and_role(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub, role: str, permission: str
) -> None:
    fake.set_permission(REPO, "alice", role)
    level = gh.rest.repos.get_collaborator_permission_level(OWNER, NAME, "alice").parsed_data
    assert (level.permission, level.role_name) == (permission, role)
    assert level.user is not None
    assert level.user.login == "alice"


def test_permission_of_unknown_user_is_404(gh: GitHub[TokenAuthStrategy]) -> None:
    with pytest.raises(RequestFailed) as missing:
        gh.rest.repos.get_collaborator_permission_level(OWNER, NAME, "stranger")
    assert missing.value.response.status_code == 404


def test_contents(gh: GitHub[TokenAuthStrategy], fake: FakeGitHub) -> None:
    with pytest.raises(RequestFailed) as missing:
        gh.rest.repos.get_content(OWNER, NAME, ".github/remediation.yml")
    assert missing.value.response.status_code == 404
    fake.set_file(REPO, ".github/remediation.yml", "tick: metrics\n")
    content = gh.rest.repos.get_content(OWNER, NAME, ".github/remediation.yml").parsed_data
    assert not isinstance(content, list)  # a directory's listing
    assert content.type == "file"
    assert base64.b64decode(content.content) == b"tick: metrics\n"


def test_check_runs_need_an_installation_token(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub, served: ServedFake
) -> None:
    created = gh.rest.checks.create(OWNER, NAME, name="remediation", head_sha="a" * 40)
    assert created.status_code == 201
    run_id = created.parsed_data.id
    done = gh.rest.checks.update(OWNER, NAME, run_id, status="completed", conclusion="success")
    assert done.parsed_data.conclusion == "success"
    assert fake.repos[REPO].check_runs[run_id].fields["conclusion"] == "success"
    # githubkit refuses this body itself; the server-side check is for raw callers.
    incomplete_run = {"name": "r", "head_sha": "b" * 40, "status": "completed"}
    with pytest.raises(RequestFailed) as incomplete:
        gh.request("POST", f"/repos/{REPO}/check-runs", json=incomplete_run)
    assert incomplete.value.response.status_code == 422
    with _client(served, fake.issue_token()) as pat, pytest.raises(RequestFailed) as refused:
        pat.rest.checks.create(OWNER, NAME, name="r", head_sha="a" * 40)
    assert refused.value.response.status_code == 403


def test_app_installation_auth_mints_a_token(served: ServedFake, fake: FakeGitHub) -> None:
    auth = AppInstallationAuthStrategy(served.app_id, served.private_key_pem, 77)
    with GitHub(
        auth,
        base_url=served.api_url,
        cache_strategy=MemCacheStrategy(),
        http_cache=False,
        timeout=5,
        auto_retry=False,
    ) as gh:
        assert gh.rest.issues.get(OWNER, NAME, 7).parsed_data.number == 7
        gh.rest.issues.get(OWNER, NAME, 7)
    mint, *calls = fake.requests
    assert (mint.method, mint.path, mint.status) == (
        "POST",
        "/app/installations/77/access_tokens",
        201,
    )
    assert mint.headers["authorization"].startswith("Bearer ")
    assert [c.headers["authorization"][:10] for c in calls] == ["token ghs_"] * 2
    assert fake.writes() == []
    app_only = AppAuthStrategy(served.app_id, served.private_key_pem)
    with GitHub(
        app_only,
        base_url=served.api_url,
        cache_strategy=MemCacheStrategy(),
        http_cache=False,
        timeout=5,
    ) as app_gh:
        assert app_gh.rest.apps.get_repo_installation(OWNER, NAME).parsed_data.id == 77


def test_app_auth_rejects_foreign_keys_and_unknown_installations(
    served: ServedFake, fake: FakeGitHub
) -> None:
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_pem = foreign.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    for auth in (
        AppInstallationAuthStrategy(served.app_id, other_pem, 77),
        AppInstallationAuthStrategy(served.app_id, served.private_key_pem, 999),
    ):
        with (
            GitHub(
                auth,
                base_url=served.api_url,
                cache_strategy=MemCacheStrategy(),
                http_cache=False,
                timeout=5,
                auto_retry=False,
            ) as gh,
            pytest.raises(RequestError),
        ):
            gh.rest.issues.get(OWNER, NAME, 7)
    assert [r.status for r in fake.requests] == [401, 404]


def test_bad_and_expired_tokens_get_401(served: ServedFake, fake: FakeGitHub) -> None:
    for token in ("ghp_unknown", fake.issue_token(expires_in=-1)):
        with _client(served, token) as gh, pytest.raises(RequestFailed) as denied:
            gh.rest.issues.get(OWNER, NAME, 7)
        assert denied.value.response.status_code == 401
        assert denied.value.response.json()["message"] == "Bad credentials"


def test_private_repo_of_another_installation_is_404(served: ServedFake, fake: FakeGitHub) -> None:
    fake.add_repo("other/secret", private=True, installation_id=88)
    fake.add_issue("other/secret", 1, title="t", body="b")
    with (
        _client(served, fake.issue_token(installation_id=77)) as gh,
        pytest.raises(RequestFailed) as e,
    ):
        gh.rest.issues.get("other", "secret", 1)
    assert e.value.response.status_code == 404


def test_primary_rate_limit(gh: GitHub[TokenAuthStrategy], fake: FakeGitHub) -> None:
    fake.primary_rate_limit(reset_in=120)
    with pytest.raises(PrimaryRateLimitExceeded) as limited:
        gh.rest.issues.get(OWNER, NAME, 7)
    assert timedelta(seconds=100) < limited.value.retry_after <= timedelta(seconds=120)
    assert (
        limited.value.response.json()["message"]
        == "API rate limit exceeded for installation ID 77."
    )
    assert gh.rest.issues.get(OWNER, NAME, 7).status_code == 200


def test_exhausted_budget_is_a_primary_limit(served: ServedFake, fake: FakeGitHub) -> None:
    fake.rate_limit_per_hour = 2
    with _client(served, fake.issue_token(installation_id=77)) as gh:
        gh.rest.issues.get(OWNER, NAME, 7)
        gh.rest.issues.get(OWNER, NAME, 7)
        with pytest.raises(PrimaryRateLimitExceeded):
            gh.rest.issues.get(OWNER, NAME, 7)
        assert gh.rest.rate_limit.get().parsed_data.resources.core.remaining == 0


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_with_retry_after(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub, status: int
) -> None:
    fake.secondary_rate_limit(retry_after=1, status=status, method="POST")
    with pytest.raises(SecondaryRateLimitExceeded) as limited:
        gh.rest.issues.create_comment(OWNER, NAME, 7, body="x")
    assert limited.value.retry_after == timedelta(seconds=1)
    assert limited.value.response.status_code == status


def test_secondary_limit_without_retry_after_is_a_plain_failure_to_githubkit(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub
) -> None:
    # GITHUB.md §1.5 "Gap": remaining > 0 and no retry-after; the bot's wrapper must notice.
    fake.secondary_rate_limit(retry_after=None)
    with pytest.raises(RequestFailed) as failed:
        gh.rest.issues.get(OWNER, NAME, 7)
    assert not isinstance(failed.value, SecondaryRateLimitExceeded)
    assert "secondary rate limit" in failed.value.response.json()["message"]


def test_automatic_secondary_limit_on_content_creation(
    gh: GitHub[TokenAuthStrategy], fake: FakeGitHub
) -> None:
    fake.content_limit_per_minute = 2
    gh.rest.issues.create_comment(OWNER, NAME, 7, body="1")
    gh.rest.issues.update(OWNER, NAME, 7, body="2")
    with pytest.raises(SecondaryRateLimitExceeded):
        gh.rest.issues.create_comment(OWNER, NAME, 7, body="3")
    assert gh.rest.issues.get(OWNER, NAME, 7).status_code == 200


def test_server_error(gh: GitHub[TokenAuthStrategy], fake: FakeGitHub) -> None:
    fake.server_error(502, times=2, path=r"/issues/7$")
    for _ in range(2):
        with pytest.raises(RequestFailed) as failed:
            gh.rest.issues.get(OWNER, NAME, 7)
        assert failed.value.response.status_code == 502
    assert gh.rest.issues.get(OWNER, NAME, 7).status_code == 200


def test_slow_response_times_out(served: ServedFake, fake: FakeGitHub) -> None:
    fake.slow(1.0)
    with _client(served, fake.issue_token(installation_id=77), timeout=0.3) as gh:
        with pytest.raises(RequestTimeout):
            gh.rest.issues.get(OWNER, NAME, 7)
        assert gh.rest.issues.get(OWNER, NAME, 7).status_code == 200


def test_if_none_match_gives_304_free_of_charge(gh: GitHub[TokenAuthStrategy]) -> None:
    first = gh.rest.issues.get(OWNER, NAME, 7)
    remaining = int(first.headers["x-ratelimit-remaining"])
    again = gh.rest.issues.get(OWNER, NAME, 7, headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert int(again.headers["x-ratelimit-remaining"]) == remaining
    gh.rest.issues.update(OWNER, NAME, 7, body="changed")
    changed = gh.rest.issues.get(OWNER, NAME, 7, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200


def test_request_log_records_everything(gh: GitHub[TokenAuthStrategy], fake: FakeGitHub) -> None:
    gh.rest.issues.get(OWNER, NAME, 7)
    gh.rest.issues.create_comment(OWNER, NAME, 7, body="hello")
    gh.rest.issues.list_comments(OWNER, NAME, 7, per_page=5)
    get, post, listing = fake.requests
    assert (get.method, get.path, get.status, get.json) == (
        "GET",
        f"/repos/{REPO}/issues/7",
        200,
        None,
    )
    assert (post.method, post.status, post.json) == ("POST", 201, {"body": "hello"})
    assert listing.query == {"per_page": "5"}
    assert get.headers["x-github-api-version"] == "2026-03-10"
    assert get.headers["authorization"].startswith("token ghs_")
    assert fake.writes() == [post]


def test_unsupported_api_version_is_400(gh: GitHub[TokenAuthStrategy]) -> None:
    with pytest.raises(RequestFailed) as refused:
        gh.rest.issues.get(OWNER, NAME, 7, headers={"X-GitHub-Api-Version": "2021-01-01"})
    assert refused.value.response.status_code == 400
    assert "is not a supported version" in refused.value.response.json()["message"]


def test_rate_limit_endpoint_is_free(gh: GitHub[TokenAuthStrategy]) -> None:
    before = gh.rest.rate_limit.get().parsed_data.resources.core.remaining
    assert gh.rest.rate_limit.get().parsed_data.resources.core.remaining == before


def test_ghes_prefix_and_version() -> None:
    fake = FakeGitHub(api_prefix="/api/v3", versions=("2022-11-28",))
    fake.add_repo(REPO)
    fake.add_issue(REPO, 7, title="t", body="b")
    for n in range(3):
        fake.add_comment(REPO, 7, body=f"c{n}")
    artifact = fake.add_artifact(REPO, 42, name="junit", zip_bytes=b"zip")
    with serve(fake) as served:
        assert served.api_url.endswith("/api/v3/")
        auth = AppInstallationAuthStrategy(served.app_id, served.private_key_pem, 77)
        with GitHub(
            auth,
            base_url=served.api_url,
            cache_strategy=MemCacheStrategy(),
            http_cache=False,
            timeout=5,
            auto_retry=False,
        ) as gh:
            # An older GHES does not know githubkit's default version.
            with pytest.raises(RequestFailed) as refused:
                gh.rest.issues.get(OWNER, NAME, 7)
            assert refused.value.response.status_code == 400
            old = {"X-GitHub-Api-Version": "2022-11-28"}
            assert gh.rest.issues.get(OWNER, NAME, 7, headers=old).parsed_data.number == 7
            comments = list(
                gh.rest.paginate(
                    gh.rest.issues.list_comments,
                    owner=OWNER,
                    repo=NAME,
                    issue_number=7,
                    per_page=2,
                    headers=old,
                )
            )
            assert [c.body for c in comments] == ["c0", "c1", "c2"]
            download = gh.rest.actions.download_artifact(
                OWNER, NAME, artifact.id, "zip", headers=old
            )
            assert download.content == b"zip"
    assert all(r.path.startswith(("/app/", "/repos/")) for r in fake.requests)
    assert [r.query.get("page") for r in fake.requests_to("GET", "comments$")] == [None, "2"]


def test_webhook_sender_signs_exact_bytes_and_sends_github_headers() -> None:
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    body = load_payload("workflow_run.completed.1")
    log = DeliveryLog()
    with httpx.Client(transport=httpx.MockTransport(receiver), base_url="http://bot") as client:
        assert (
            deliver(client, event="workflow_run", body=body, secret="s3cret", log=log).status_code
            == 202
        )
        redeliver(client, log.last(), secret="s3cret")
        deliver(client, event="ping", body=load_payload("ping.none.1"), secret=None)
    first, second, unsigned = seen
    assert first.url.path == "/webhooks/github"
    assert first.content == body
    assert verify("s3cret", body, first.headers["X-Hub-Signature-256"])
    assert sign("s3cret", body) == first.headers["X-Hub-Signature-256"]
    assert first.headers["X-GitHub-Event"] == "workflow_run"
    assert first.headers["User-Agent"].startswith("GitHub-Hookshot/")
    assert second.headers["X-GitHub-Delivery"] == first.headers["X-GitHub-Delivery"]
    assert "X-Hub-Signature-256" not in unsigned.headers
    assert log.last().status == 202
    assert not log.last().too_slow


@pytest.mark.parametrize(
    ("event", "action", "overrides"),
    [
        ("issues", "opened", {"issue_number": 5, "issue_body": "- [ ] x"}),
        ("issues", "edited", {}),
        ("issue_comment", "created", {"comment_body": "/remediation status", "user": "alice"}),
        ("workflow_run", "completed", {"run_id": 9, "conclusion": "failure", "pull_requests": [3]}),
        ("installation", "created", {"installation_id": 77}),
    ],
)
def test_built_payloads_parse_with_githubkit(
    event: str, action: str, overrides: dict[str, object]
) -> None:
    from githubkit.webhooks import parse

    body = payload(event, action, repo="acme/widgets", **overrides)
    parsed = parse(event, body)
    data = json.loads(body)
    assert data["action"] == action
    assert getattr(parsed, "installation", None) is not None
    for key, value in overrides.items():
        if key == "issue_number":
            assert data["issue"]["number"] == value
        if key == "run_id":
            assert data["workflow_run"]["id"] == value
    if event != "installation":
        assert data["repository"]["full_name"] == "acme/widgets"


def test_payload_without_installation_is_pat_mode() -> None:
    data = json.loads(payload("issue_comment", "created", installation_id=None))
    assert "installation" not in data


def test_in_process_transports_for_unit_tests() -> None:
    fake = FakeGitHub()
    fake.add_repo(REPO)
    fake.add_issue(REPO, 7, title="t", body="b")
    artifact = fake.add_artifact(REPO, 42, name="junit", zip_bytes=b"zip")
    token = fake.issue_token(installation_id=77)
    base_url = "https://fake-github.test/"
    with GitHub(
        token, base_url=base_url, transport=transport(fake), http_cache=False, auto_retry=False
    ) as gh:
        assert gh.rest.issues.get(OWNER, NAME, 7).parsed_data.number == 7
        assert gh.rest.actions.download_artifact(OWNER, NAME, artifact.id, "zip").content == b"zip"
    assert "authorization" not in fake.blob_requests[-1].headers

    async def run() -> str:
        client = GitHub(
            token,
            base_url=base_url,
            async_transport=async_transport(fake),
            http_cache=False,
            auto_retry=False,
        )
        async with client:  # githubkit's __aenter__ returns the client, untyped
            issue = await client.rest.issues.async_get(OWNER, NAME, 7)
            return issue.parsed_data.title

    assert asyncio.run(run()) == "t"


def test_revoked_tokens_get_401(gh: GitHub[TokenAuthStrategy], fake: FakeGitHub) -> None:
    gh.rest.issues.get(OWNER, NAME, 7)
    fake.revoke_tokens(installation_id=77)
    with pytest.raises(RequestFailed) as denied:
        gh.rest.issues.get(OWNER, NAME, 7)
    assert denied.value.response.status_code == 401


def test_concurrency_over_the_limit_trips_a_secondary_limit(
    served: ServedFake, fake: FakeGitHub
) -> None:
    fake.concurrency_limit = 1
    fake.slow(0.5, path=r"/issues/7$")
    token = fake.issue_token(installation_id=77)
    headers = {"Authorization": f"token {token}"}
    url = f"{served.api_url}repos/{REPO}/issues/7"
    with httpx.Client(headers=headers, timeout=5) as http, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(http.get, url)
        time.sleep(0.2)
        second = http.get(f"{served.api_url}repos/{REPO}")
        assert slow.result().status_code == 200
    assert second.status_code == 403
    assert "secondary rate limit" in second.json()["message"]
    assert fake.peak_concurrency == 2


def test_closed_issue_payload_is_closed() -> None:
    issue = json.loads(payload("issues", "closed"))["issue"]
    assert issue["state"] == "closed"
    assert issue["closed_at"] is not None
