"""Who may read the dashboard, decided on bare requests: loopback, the token, the signed cookie."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.config import Settings
from bot.web.access import (
    COOKIE,
    COOKIE_SECONDS,
    NO_LOGIN_CONFIGURED,
    AccessRule,
    LoginRequired,
    Signer,
    Viewer,
    is_loopback,
)

TOKEN = "dashboard-token-for-tests"
SECRET = "session-secret-for-tests"


def _request(
    host: str | None = "127.0.0.1",
    headers: dict[str, str] | None = None,
    path: str = "/dashboard",
    scheme: str = "http",
) -> Request:
    """A bare ASGI request from this client address."""
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": (host, 50000) if host is not None else None,
        "server": ("testserver", 80),
    }
    return Request(scope)


def _rule(**settings: Any) -> AccessRule:
    return AccessRule(Settings(_env_file=None, database_url="sqlite://", **settings))


def _cookie(value: str) -> dict[str, str]:
    return {"cookie": f"{COOKIE}={value}"}


# -- loopback -------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_clients_are_local(host: str) -> None:
    assert is_loopback(_request(host))


@pytest.mark.parametrize(
    ("host", "headers"),
    [
        ("203.0.113.9", {}),
        (None, {}),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}),
    ],
)
def test_remote_or_proxied_clients_are_not_local(host: str | None, headers: dict[str, str]) -> None:
    assert not is_loopback(_request(host, headers))


def test_without_a_token_loopback_reads_everything_and_others_are_refused() -> None:
    rule = _rule()
    assert not rule.login_configured
    viewer = rule.viewer(_request())
    assert viewer == Viewer(kind="local")
    assert viewer.may_read("any/repository")
    with pytest.raises(HTTPException) as refused:
        rule.viewer(_request("203.0.113.9"))
    assert (refused.value.status_code, refused.value.detail) == (403, NO_LOGIN_CONFIGURED)


# -- the token ------------------------------------------------------------------------------


def test_with_a_token_even_loopback_must_log_in() -> None:
    with pytest.raises(LoginRequired):
        _rule(dashboard_token=TOKEN).viewer(_request())


def test_the_bearer_token_admits_from_anywhere() -> None:
    rule = _rule(dashboard_token=TOKEN)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert rule.viewer(_request("203.0.113.9", bearer)) == Viewer(kind="token")
    assert rule.viewer(_request(headers=bearer | {"X-Forwarded-For": "1.2.3.4"})).kind == "token"


def test_a_wrong_bearer_token_is_401_not_a_login_form() -> None:
    with pytest.raises(HTTPException) as refused:
        _rule(dashboard_token=TOKEN).viewer(_request(headers={"Authorization": "Bearer nope"}))
    assert refused.value.status_code == 401


def test_token_matches_only_the_configured_token() -> None:
    assert _rule(dashboard_token=TOKEN).token_matches(TOKEN)
    assert not _rule(dashboard_token=TOKEN).token_matches(TOKEN + "x")
    assert not _rule().token_matches(TOKEN)  # no token configured: nothing matches


def test_json_routes_answer_401_and_pages_redirect_to_the_login_form() -> None:
    rule = _rule(dashboard_token=TOKEN)
    with pytest.raises(HTTPException) as api:
        asyncio.run(rule.api_viewer(_request(path="/api/v1/overview")))
    assert api.value.status_code == 401
    assert api.value.headers == {"WWW-Authenticate": "Bearer"}
    with pytest.raises(HTTPException) as page:
        asyncio.run(rule.page_viewer(_request(path="/dashboard/o/r/issues/7")))
    assert page.value.status_code == 303
    assert page.value.headers == {"Location": "/login?next=/dashboard/o/r/issues/7"}


# -- the signed cookie ----------------------------------------------------------------------


def _logged_in_cookie(rule: AccessRule, scheme: str = "http") -> str:
    response = Response()
    rule.log_in(response, _request(scheme=scheme))
    return response.headers["set-cookie"]


def test_log_in_sets_an_httponly_lax_cookie_secure_only_over_https() -> None:
    rule = _rule(dashboard_token=TOKEN)
    plain = _logged_in_cookie(rule)
    assert plain.startswith(f"{COOKIE}=")
    assert "HttpOnly" in plain
    assert "SameSite=lax" in plain
    assert f"Max-Age={COOKIE_SECONDS}" in plain
    assert "Secure" not in plain
    assert "Secure" in _logged_in_cookie(rule, scheme="https")


def test_the_cookie_it_signed_admits_the_viewer() -> None:
    rule = _rule(dashboard_token=TOKEN)
    value = rule.signer.sign({"kind": "token"})
    assert rule.viewer(_request("203.0.113.9", _cookie(value))) == Viewer(kind="token")


def test_a_tampered_or_foreign_cookie_means_logging_in_again() -> None:
    rule = _rule(dashboard_token=TOKEN)
    value = rule.signer.sign({"kind": "token"})
    tampered = value[:-1] + ("A" if value[-1] != "A" else "B")
    foreign = Signer(b"another key").sign({"kind": "token"})
    wrong_kind = rule.signer.sign({"kind": "local"})
    for cookie in (tampered, foreign, wrong_kind, "garbage"):
        with pytest.raises(LoginRequired):
            rule.viewer(_request(headers=_cookie(cookie)))


def test_an_expired_cookie_means_logging_in_again() -> None:
    rule = _rule(dashboard_token=TOKEN)
    old = rule.signer.sign({"kind": "token"}, now=1000.0)
    with pytest.raises(LoginRequired):
        rule.viewer(_request(headers=_cookie(old)))


def test_replicas_sharing_session_secret_accept_each_others_cookies() -> None:
    first = _rule(dashboard_token=TOKEN, session_secret=SECRET)
    value = first.signer.sign({"kind": "token"})
    second = _rule(dashboard_token=TOKEN, session_secret=SECRET)
    assert second.viewer(_request(headers=_cookie(value))).kind == "token"
    # Without SESSION_SECRET each process signs with its own random key.
    alone = _rule(dashboard_token=TOKEN).signer.sign({"kind": "token"})
    with pytest.raises(LoginRequired):
        _rule(dashboard_token=TOKEN).viewer(_request(headers=_cookie(alone)))


def test_a_viewer_limited_to_repositories_reads_only_those() -> None:
    viewer = Viewer(kind="token", repositories=frozenset({"o/r"}))
    assert viewer.may_read("o/r")
    assert not viewer.may_read("o/other")


# -- Sign in with GitHub ----------------------------------------------------------------------

GITHUB: dict[str, Any] = {
    "github_client_id": "Iv23liTestClientId",
    "github_client_secret": "client-secret-x1",
}


def test_sign_in_with_github_alone_is_a_login_even_for_loopback() -> None:
    rule = AccessRule(Settings(_env_file=None, database_url="sqlite://", **GITHUB), engine=None)
    assert not rule.login_configured  # no store: no user sessions, nothing to sign in to
    with_store = _github_rule()
    assert with_store.login_configured
    with pytest.raises(LoginRequired):
        with_store.identify(_request())


def _github_rule(**settings: Any) -> AccessRule:
    from sqlalchemy import create_engine

    config = Settings(_env_file=None, database_url="sqlite://", session_secret=SECRET, **GITHUB)
    return AccessRule(config.model_copy(update=settings), engine=create_engine("sqlite://"))


def test_a_users_cookie_names_only_a_session_to_look_up() -> None:
    rule = _github_rule()
    value = rule.signer.sign({"kind": "user", "sid": "some-session-id"})
    assert rule.identify(_request(headers=_cookie(value))) == "some-session-id"
    payloads: list[dict[str, object]] = [
        {"kind": "user"},
        {"kind": "user", "sid": ""},
        {"kind": "user", "sid": 7},
    ]
    for payload in payloads:
        with pytest.raises(LoginRequired):
            rule.identify(_request(headers=_cookie(rule.signer.sign(payload))))


def test_a_token_cookie_opens_nothing_once_the_token_login_is_gone() -> None:
    rule = _github_rule()  # same SESSION_SECRET, no DASHBOARD_TOKEN
    with pytest.raises(LoginRequired):
        rule.identify(_request(headers=_cookie(rule.signer.sign({"kind": "token"}))))


def test_a_users_cookie_means_nothing_without_sign_in_with_github() -> None:
    rule = _rule(dashboard_token=TOKEN, session_secret=SECRET)
    with pytest.raises(LoginRequired):
        rule.identify(_request(headers=_cookie(rule.signer.sign({"kind": "user", "sid": "x"}))))


def test_only_operators_and_readers_of_everything_see_operations() -> None:
    assert Viewer(kind="local").may_operate
    assert Viewer(kind="token").may_operate
    assert not Viewer(kind="user", repositories=frozenset({"o/r"})).may_operate
    assert Viewer(kind="user", repositories=frozenset({"o/r"}), operator=True).may_operate
