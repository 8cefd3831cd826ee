"""Every route is behind the access rule, except the few that are public on purpose."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from bot.web.app import create_app

from fakes import ServedFake
from fakes.running_bot import DASHBOARD_TOKEN, RunningBot, bot_settings, served

# (method, path) public on purpose; everything else must refuse a caller without credentials.
PUBLIC = {
    ("GET", "/openapi.json"),  # the schema describes the API; it holds no data
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/webhooks/github"),  # the signature is its credential
    ("POST", "/api/v1/runs"),  # the upload token is its credential (401 without)
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/github"),  # begins Sign in with GitHub: sends the browser to GitHub
    ("GET", "/login/github/callback"),  # GitHub's redirect back: the state is its credential
    ("POST", "/logout"),
    ("GET", "/"),  # a redirect to /dashboard
    ("GET", "/static"),
}
PARAMS = {"owner": "acme", "name": "widgets", "number": "1", "path": "dashboard.css"}
REFUSED = {401, 403, 303}  # 303: a page redirects to the login form


def _routes() -> list[tuple[str, str]]:
    """Every (method, path) the app serves, OpenAPI schema or not, static files included."""
    app = create_app(bot_settings("sqlite://", _OFFLINE))
    found = sorted(set(_walk(app.routes, "")))
    schema = set(app.openapi()["paths"])
    assert schema <= {path for _, path in found}, "the walk missed a route of the schema"
    return found


def _walk(routes: Sequence[BaseRoute], prefix: str) -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI 0.16x includes lazily
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        elif isinstance(route, Mount):
            yield "GET", prefix + route.path
        elif isinstance(route, Route) and route.methods:
            yield from ((m, prefix + route.path) for m in route.methods - {"HEAD"})


class _Offline:
    """Enough of a served fake GitHub to build settings (no call is made)."""

    app_id = 1
    private_key_pem = "unused"
    api_url = "http://127.0.0.1:9/"


_OFFLINE: ServedFake = _Offline()  # type: ignore[assignment]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PARAMS.get(m.group(1), "x"), path)


def _call(base: str, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    url = base + _url(path) + ("/dashboard.css" if path == "/static" else "")
    query = {"id": "tests/test_x.py::t"} if path.endswith("/tests") else {}
    return httpx.request(
        method, url, params=query, headers=headers, follow_redirects=False, timeout=10
    )


ROUTES = _routes()


def test_the_walk_covers_the_dashboard_the_api_and_the_issue_list() -> None:
    paths = {path for _, path in ROUTES}
    assert {"/api/v1/issues", "/api/v1/overview", "/dashboard", "/metrics"} <= paths
    assert {(m, p) for m, p in PUBLIC if p != "/static"} <= set(ROUTES)


@pytest.fixture
def with_token(bot: RunningBot, served_github: ServedFake) -> Iterator[str]:
    with served(bot, served_github, dashboard_token=DASHBOARD_TOKEN) as url:
        yield url


def _answered(base: str, headers: dict[str, str]) -> dict[str, int]:
    """Each non-public route's status for this caller, as `METHOD path`."""
    return {
        f"{method} {path}": _call(base, method, path, headers).status_code
        for method, path in ROUTES
        if (method, path) not in PUBLIC
    }


def test_with_a_token_set_no_route_returns_data_without_credentials(with_token: str) -> None:
    answered = _answered(with_token, {})
    assert {route: s for route, s in answered.items() if s not in REFUSED} == {}


@pytest.mark.parametrize(
    "proxy", ["X-Forwarded-For", "X-Real-IP", "Forwarded", "CF-Connecting-IP", "True-Client-IP"]
)
def test_without_a_token_no_route_returns_data_to_a_proxied_client(
    bot: RunningBot, proxy: str
) -> None:
    value = "for=203.0.113.9" if proxy == "Forwarded" else "203.0.113.9"
    answered = _answered(bot.url, {proxy: value})
    assert {route: s for route, s in answered.items() if s not in REFUSED} == {}


def test_the_issue_list_answers_a_loopback_client_and_a_bearer_token(
    bot: RunningBot, with_token: str
) -> None:
    assert httpx.get(f"{bot.url}/api/v1/issues", timeout=10).status_code == 200
    bearer = {"Authorization": f"Bearer {DASHBOARD_TOKEN}"}
    assert httpx.get(f"{with_token}/api/v1/issues", headers=bearer, timeout=10).status_code == 200


def test_pages_never_reflect_the_host_header(bot: RunningBot) -> None:
    page = httpx.get(f"{bot.url}/dashboard", headers={"Host": "evil.example"}, timeout=10)
    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert 'href="/static/dashboard.css"' in page.text


def test_failed_logins_are_limited_per_client(with_token: str) -> None:
    for _ in range(10):
        wrong = httpx.post(f"{with_token}/login", data={"token": "wrong"}, timeout=10)
        assert wrong.status_code == 401
    limited = httpx.post(f"{with_token}/login", data={"token": DASHBOARD_TOKEN}, timeout=10)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
