"""Sign in with GitHub over real HTTP: the bot and the fake GitHub both served on loopback."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import inspect, text

from fakes import FakeGitHub, ServedFake
from fakes.github_oauth import CLIENT_ID, revoke_user
from fakes.running_bot import DASHBOARD_TOKEN, RunningBot
from fakes.seed_story import ISSUE, REPO
from fakes.sign_in import (
    VAULT,
    VAULT_ISSUE,
    authorize,
    browser,
    query_of,
    sign_in,
    signing_in,
    start,
    two_repositories,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def repos(bot: RunningBot, github: FakeGitHub) -> RunningBot:
    two_repositories(bot, github)
    github.set_permission(REPO, "alice", "read")
    github.oauth.sign_in_as = "alice"
    return bot


@pytest.fixture
def url(repos: RunningBot, served_github: ServedFake) -> Iterator[str]:
    with signing_in(repos, served_github, token=True) as base:
        yield base


def _names(client: httpx.Client, base: str) -> list[str]:
    overview = client.get(f"{base}/api/v1/overview")
    assert overview.status_code == 200, overview.text
    return [r["full_name"] for r in overview.json()["repositories"]]


# -- the flow ---------------------------------------------------------------------------------


def test_login_offers_sign_in_with_github_beside_the_token_form(url: str) -> None:
    page = httpx.get(f"{url}/login", timeout=10)
    assert page.status_code == 200
    assert "Sign in with GitHub" in page.text
    assert 'name="token"' in page.text


def test_the_authorize_url_has_client_redirect_state_and_an_s256_challenge(url: str) -> None:
    with browser() as client:
        begun = start(client, url)
    query = query_of(begun.headers["location"])
    assert begun.headers["location"].split("?")[0].endswith("/login/oauth/authorize")
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == f"{url}/login/github/callback"
    assert len(query["state"]) >= 32
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # BASE64URL(SHA-256), no padding
    cookie = begun.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/login/github" in cookie


def test_a_signed_in_user_sees_only_the_repository_they_can_read(url: str) -> None:
    with browser() as client:
        done = sign_in(client, url)
        assert (done.status_code, done.headers["location"]) == (303, "/dashboard")
        assert _names(client, url) == [REPO]
        page = client.get(f"{url}/dashboard")
        assert REPO in page.text
        assert VAULT not in page.text
        assert "Signed in as <strong>alice</strong>" in page.text
        assert client.get(f"{url}/api/v1/repos/{REPO}/issues/{ISSUE}").status_code == 200
        issues = client.get(f"{url}/api/v1/issues").json()
        assert {i["repository"] for i in issues} == {REPO}


def test_a_user_without_access_gets_404_on_pages_and_api_like_a_missing_one(url: str) -> None:
    with browser() as client:
        sign_in(client, url)
        for path in (
            f"/dashboard/{VAULT}/issues/{VAULT_ISSUE}",
            f"/dashboard/{VAULT}/tests?id=tests/test_vault.py::t",
            f"/api/v1/repos/{VAULT}/issues/{VAULT_ISSUE}",
            f"/api/v1/repos/{VAULT}/tests?id=tests/test_vault.py::t",
        ):
            hidden = client.get(url + path)
            missing = client.get(url + path.replace(VAULT, "acme/nothing"))
            assert hidden.status_code == missing.status_code == 404, path
            assert hidden.text == missing.text


def test_operations_need_admin_on_an_installed_repository(url: str, github: FakeGitHub) -> None:
    with browser() as client:
        sign_in(client, url)
        assert client.get(f"{url}/api/v1/operations").status_code == 403
        assert client.get(f"{url}/dashboard/operations").status_code == 403
        assert client.get(f"{url}/metrics").status_code == 403
        assert 'data-nav="operations"' not in client.get(f"{url}/dashboard").text
    github.set_permission(VAULT, "bob", "admin")
    github.oauth.sign_in_as = "bob"
    with browser() as client:
        sign_in(client, url)
        assert _names(client, url) == [VAULT]
        assert client.get(f"{url}/api/v1/operations").status_code == 200
        assert client.get(f"{url}/metrics").status_code == 200
        assert 'data-nav="operations"' in client.get(f"{url}/dashboard").text


def test_the_token_login_still_opens_everything(url: str) -> None:
    with browser() as client:
        logged = client.post(f"{url}/login", data={"token": DASHBOARD_TOKEN, "next": "/"})
        assert logged.status_code == 303
        assert _names(client, url) == [REPO, VAULT]
    bearer = {"Authorization": f"Bearer {DASHBOARD_TOKEN}"}
    assert httpx.get(f"{url}/api/v1/operations", headers=bearer, timeout=10).status_code == 200


# -- refused sign-ins: a clear page, never a 5xx --------------------------------------------


def _refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.text
    assert 'role="alert"' in response.text
    assert "rb_dashboard=" not in response.headers.get("set-cookie", "")


def test_a_forged_state_is_refused(url: str) -> None:
    with browser() as client:
        back = authorize(client, start(client, url))
        forged = back.replace(f"state={query_of(back)['state']}", "state=forged-by-someone")
        _refused(client.get(forged), 400, "unknown, expired or was already used")
        assert client.get(f"{url}/api/v1/overview").status_code == 401


def test_a_replayed_state_is_refused(url: str) -> None:
    with browser() as client:
        back = authorize(client, start(client, url))
        assert client.get(back).status_code == 303
        _refused(client.get(back), 400, "already used")
    with browser() as other:
        _refused(other.get(back), 400, "already used")


def test_a_state_begun_in_another_browser_is_refused(url: str) -> None:
    with browser() as first:
        back = authorize(first, start(first, url))
    with browser() as second:
        _refused(second.get(back), 400, "not started in this browser")
        assert second.get(f"{url}/api/v1/overview").status_code == 401


def test_declining_on_github_says_so(url: str, github: FakeGitHub) -> None:
    github.oauth.deny = True
    with browser() as client:
        back = authorize(client, start(client, url))
        assert query_of(back)["error"] == "access_denied"
        _refused(client.get(back), 400, "You did not authorize the app on GitHub")


def test_github_down_during_sign_in_shows_the_login_page_again(
    url: str, github: FakeGitHub
) -> None:
    github.oauth.down = 1
    with browser() as client:
        _refused(sign_in(client, url), 200, "GitHub could not be reached")
        assert sign_in(client, url).status_code == 303  # and it works once GitHub is back


@pytest.mark.parametrize("query", ["", "?code=abc", "?state=abc", "?error=%3Cscript%3E"])
def test_an_incomplete_or_odd_callback_is_a_clear_400(url: str, query: str) -> None:
    answered = httpx.get(f"{url}/login/github/callback{query}", timeout=10)
    assert answered.status_code == 400
    assert "<script>" not in answered.text
    assert 'role="alert"' in answered.text


# -- afterwards: the cache time, refresh, revocation, sign-out --------------------------------


def test_lost_access_takes_effect_within_the_cache_time(
    repos: RunningBot, served_github: ServedFake, github: FakeGitHub
) -> None:
    with (
        signing_in(repos, served_github, github_access_cache_seconds=0.5) as base,
        browser() as client,
    ):
        sign_in(client, base)
        assert _names(client, base) == [REPO]
        github.set_permission(REPO, "alice", "none")
        github.set_permission(VAULT, "alice", "write")
        time.sleep(0.6)
        assert _names(client, base) == [VAULT]
        assert client.get(f"{base}/api/v1/repos/{REPO}/issues/{ISSUE}").status_code == 404


def test_a_revoked_authorization_ends_the_session_within_the_cache_time(
    repos: RunningBot, served_github: ServedFake, github: FakeGitHub
) -> None:
    with (
        signing_in(repos, served_github, github_access_cache_seconds=0.5) as base,
        browser() as client,
    ):
        sign_in(client, base)
        revoke_user(github, "alice")
        assert _names(client, base) == [REPO]  # within the cache time
        time.sleep(0.6)
        page = client.get(f"{base}/dashboard")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/dashboard&ended=github"
        again = client.get(base + page.headers["location"])
        assert "GitHub no longer honours your sign-in" in again.text
        assert client.get(f"{base}/api/v1/overview").status_code == 401
        assert client.get(f"{base}/dashboard").headers["location"] == "/login?next=/dashboard"


def test_github_down_when_access_is_due_refuses_with_a_clear_503(
    repos: RunningBot, served_github: ServedFake, github: FakeGitHub
) -> None:
    with (
        signing_in(repos, served_github, github_access_cache_seconds=0.3) as base,
        browser() as client,
    ):
        sign_in(client, base)
        time.sleep(0.4)
        github.server_error(502, times=2, path=r"^/user/installations$")
        api = client.get(f"{base}/api/v1/overview")
        assert api.status_code == 503
        assert "GitHub cannot be reached" in api.json()["detail"]
        page = client.get(f"{base}/dashboard")
        assert page.status_code == 503
        assert "GitHub cannot be reached" in page.text
        assert _names(client, base) == [REPO]  # GitHub is back


def test_an_expiring_user_token_is_refreshed_before_use(
    repos: RunningBot, served_github: ServedFake, github: FakeGitHub
) -> None:
    github.oauth.token_seconds = 60  # inside the two-minute refresh margin at once
    with (
        signing_in(repos, served_github, github_access_cache_seconds=0.2) as base,
        browser() as client,
    ):
        sign_in(client, base)
        first_access = github.oauth.issued[0]
        time.sleep(0.3)
        assert _names(client, base) == [REPO]
        grants = [e.get("grant_type") for e in github.oauth.exchanges]
        assert grants == [None, "refresh_token"]
        used = github.requests_to("GET", r"^/user/installations$")[-1]
        assert used.token is not None
        assert used.token != first_access


def test_signing_out_ends_the_session_and_revokes_its_token(
    url: str, repos: RunningBot, github: FakeGitHub
) -> None:
    with browser() as client:
        sign_in(client, url)
        cookie = client.cookies["rb_dashboard"]
        assert _count_sessions(repos) == 1
        out = client.post(f"{url}/logout")
        assert (out.status_code, out.headers["location"]) == (303, "/login")
        assert 'rb_dashboard=""' in out.headers["set-cookie"]
        assert _count_sessions(repos) == 0
        assert github.oauth.revoked == [github.oauth.issued[0]]
    replay = httpx.get(
        f"{url}/api/v1/overview", headers={"Cookie": f"rb_dashboard={cookie}"}, timeout=10
    )
    assert replay.status_code == 401


def test_signing_out_while_github_is_down_still_ends_the_session(
    url: str, repos: RunningBot, github: FakeGitHub
) -> None:
    with browser() as client:
        sign_in(client, url)
        github.oauth.down = 1  # the revocation gets a 502
        out = client.post(f"{url}/logout")
        assert (out.status_code, out.headers["location"]) == (303, "/login")
        assert _count_sessions(repos) == 0
        assert github.oauth.revoked == []


def _count_sessions(bot: RunningBot) -> int:
    with bot.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM web_sessions")).scalar_one())


# -- no token anywhere but GitHub and the sealed store --------------------------------------


def test_no_token_reaches_a_cookie_a_page_a_log_line_or_the_database(
    repos: RunningBot,
    served_github: ServedFake,
    github: FakeGitHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    github.oauth.token_seconds = 60  # a refresh too: both pairs must stay hidden
    seen: list[str] = []
    with (
        signing_in(repos, served_github, github_access_cache_seconds=0.2) as base,
        browser() as client,
    ):
        done = sign_in(client, base)
        seen += [done.text, str(done.headers)]
        time.sleep(0.3)
        for path in ("/dashboard", f"/dashboard/{REPO}/issues/{ISSUE}", "/api/v1/overview"):
            answered = client.get(base + path)
            assert answered.status_code == 200
            seen += [answered.text, str(answered.headers)]
        seen += [f"{c.name}={c.value}" for c in client.cookies.jar]
    tokens = github.oauth.issued
    assert len(tokens) == 4  # access and refresh, twice
    logged = [r.getMessage() for r in caplog.records] + [repr(r.__dict__) for r in caplog.records]
    assert "user signed in" in logged  # the bot's lines were captured, the server's threads too
    stored = _database_text(repos)
    for token in tokens:
        assert not any(token in text for text in seen), "a token reached the browser"
        assert not any(token in line for line in logged), "a token reached a log line"
        assert token not in stored, "a token is in the database in plain text"


def _database_text(bot: RunningBot) -> str:
    """Every row of every table, as text, and the database file's bytes."""
    parts = []
    with bot.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            query = text(f'SELECT * FROM "{table}"')  # noqa: S608 - the schema's own names
            parts += [repr(tuple(row)) for row in connection.execute(query)]
    path = bot.engine.url.database
    if path:
        for suffix in ("", "-wal"):
            try:
                with open(path + suffix, "rb") as handle:
                    parts.append(handle.read().decode("latin-1"))
            except FileNotFoundError:
                pass
    return "\n".join(parts)


def test_a_user_who_can_read_nothing_signs_in_to_an_empty_overview(
    url: str, github: FakeGitHub
) -> None:
    github.oauth.sign_in_as = "mallory"  # no role anywhere
    with browser() as client:
        assert sign_in(client, url).status_code == 303
        assert _names(client, url) == []
        assert "GitHub lists none of the repositories" in client.get(f"{url}/dashboard").text
        for path in (f"/api/v1/repos/{REPO}/issues/{ISSUE}", f"/dashboard/{REPO}/issues/{ISSUE}"):
            assert client.get(url + path).status_code == 404


def test_concurrent_requests_of_one_session_refresh_its_token_once(
    repos: RunningBot, served_github: ServedFake, github: FakeGitHub
) -> None:
    github.oauth.token_seconds = 60  # due for a refresh at the next check
    with signing_in(repos, served_github, github_access_cache_seconds=0.2) as base:
        with browser() as client:
            sign_in(client, base)
            cookie = client.cookies["rb_dashboard"]
        time.sleep(0.3)
        headers = {"Cookie": f"rb_dashboard={cookie}"}
        with ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(
                    lambda _: httpx.get(f"{base}/api/v1/overview", headers=headers, timeout=10),
                    range(8),
                )
            )
    assert [a.status_code for a in answers] == [200] * 8
    # A refresh token is single use: a second refresh would have ended the session.
    assert [e.get("grant_type") for e in github.oauth.exchanges] == [None, "refresh_token"]


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard",
        "/dashboard/operations",
        f"/dashboard/{REPO}/issues/{ISSUE}",
        "/api/v1/overview",
        "/api/v1/issues",
        "/api/v1/operations",
        f"/api/v1/repos/{REPO}/issues/{ISSUE}",
        "/metrics",
    ],
)
def test_with_only_sign_in_with_github_nothing_is_served_without_a_login(
    repos: RunningBot, served_github: ServedFake, path: str
) -> None:
    with signing_in(repos, served_github) as base:
        answered = httpx.get(base + path, timeout=10, follow_redirects=False)
    assert answered.status_code in {401, 303}
    if answered.status_code == 303:
        assert answered.headers["location"].startswith("/login?next=")


def test_two_replicas_refreshing_one_session_at_once_both_keep_it(
    repos: RunningBot, served_github: ServedFake, github: FakeGitHub
) -> None:
    github.oauth.token_seconds = 60  # due for a refresh at the next check
    with (
        signing_in(repos, served_github, github_access_cache_seconds=0.2) as first,
        signing_in(repos, served_github, github_access_cache_seconds=0.2) as second,
    ):
        with browser() as client:
            sign_in(client, first)
            headers = {"Cookie": f"rb_dashboard={client.cookies['rb_dashboard']}"}
        time.sleep(0.3)
        github.oauth.slow = 1.5  # the first replica's refresh reaches GitHub last
        with ThreadPoolExecutor(2) as pool:
            one = pool.submit(httpx.get, f"{first}/api/v1/overview", headers=headers, timeout=10)
            time.sleep(0.3)
            two = pool.submit(httpx.get, f"{second}/api/v1/overview", headers=headers, timeout=10)
            answers = [one.result(), two.result()]
        assert [a.status_code for a in answers] == [200, 200]
        # GitHub refused the first replica's (already used) refresh token; it took the
        # second replica's fresh token from the store instead of ending the session.
        assert [e.get("grant_type") for e in github.oauth.exchanges] == [
            None,
            "refresh_token",
            "refresh_token",
        ]
        assert _count_sessions(repos) == 1
        assert httpx.get(f"{first}/api/v1/overview", headers=headers, timeout=10).status_code == 200
