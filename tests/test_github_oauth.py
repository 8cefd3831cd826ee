"""The App's user authorization client against the fake GitHub, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from bot.config import Settings
from bot.core.visibility import Grant
from bot.errors import AuthorizationRefused, GitHubUnavailable
from bot.github.oauth import UserAuthorization, pkce_challenge, pkce_pair

from fakes import FakeGitHub, ServedFake, serve
from fakes.github_oauth import CLIENT_ID, CLIENT_SECRET, revoke_user
from fakes.sign_in import query_of

REDIRECT = "http://127.0.0.1:9/login/github/callback"


@pytest.fixture
def oauth(served_github: ServedFake, github: FakeGitHub) -> UserAuthorization:
    settings = Settings(
        _env_file=None,
        github_api_url=served_github.api_url,
        github_client_id=CLIENT_ID,
        github_client_secret=CLIENT_SECRET,
        github_timeout_seconds=5.0,
    )
    return UserAuthorization(settings)


def _code(oauth: UserAuthorization, challenge: str) -> str:
    url = oauth.authorize_url(redirect_uri=REDIRECT, state="st", code_challenge=challenge)
    answered = httpx.get(url, follow_redirects=False, timeout=5)
    assert answered.status_code == 302
    back = query_of(answered.headers["location"])
    assert back["state"] == "st"
    return back["code"]


def test_pkce_challenge_is_rfc_7636_s256() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    made, challenge = pkce_pair()
    assert 43 <= len(made) <= 128
    assert challenge == pkce_challenge(made)


def test_a_code_with_its_verifier_gives_expiring_tokens_and_the_user(
    oauth: UserAuthorization, github: FakeGitHub
) -> None:
    github.oauth.sign_in_as = "alice"
    verifier, challenge = pkce_pair()
    tokens = oauth.exchange(code=_code(oauth, challenge), redirect_uri=REDIRECT, verifier=verifier)
    assert tokens.access_token.startswith("ghu_")
    assert tokens.refresh_token is not None
    assert tokens.expires_at is not None
    assert tokens.refresh_expires_at is not None
    assert "ghu_" not in repr(tokens)  # never in a log line by accident
    assert oauth.user(tokens.access_token).login == "alice"
    renewed = oauth.refresh(refresh_token=tokens.refresh_token)
    assert renewed.access_token != tokens.access_token
    with pytest.raises(AuthorizationRefused, match="bad_refresh_token"):
        oauth.refresh(refresh_token=tokens.refresh_token)  # GitHub retires a used one


def test_a_wrong_verifier_or_a_used_code_is_refused(oauth: UserAuthorization) -> None:
    verifier, challenge = pkce_pair()
    code = _code(oauth, challenge)
    with pytest.raises(AuthorizationRefused, match="bad_verification_code"):
        oauth.exchange(code=code, redirect_uri=REDIRECT, verifier="x" * 64)
    with pytest.raises(AuthorizationRefused, match="bad_verification_code"):
        oauth.exchange(code=code, redirect_uri=REDIRECT, verifier=verifier)


def test_the_token_endpoint_down_is_unavailable_not_refused(
    oauth: UserAuthorization, github: FakeGitHub
) -> None:
    github.oauth.down = 1
    verifier, challenge = pkce_pair()
    with pytest.raises(GitHubUnavailable):
        oauth.exchange(code=_code(oauth, challenge), redirect_uri=REDIRECT, verifier=verifier)


def test_grants_cover_every_installation_and_every_page(
    oauth: UserAuthorization, github: FakeGitHub
) -> None:
    for n in range(130):  # two pages of 100
        github.add_repo(f"big/r{n:03}", installation_id=77)
        github.set_permission(f"big/r{n:03}", "alice", "read")
    github.add_repo("other/admin", installation_id=78)
    github.set_permission("other/admin", "alice", "admin")
    github.add_repo("other/hidden", installation_id=78)  # alice has no role here
    github.oauth.sign_in_as = "alice"
    verifier, challenge = pkce_pair()
    token = oauth.exchange(
        code=_code(oauth, challenge), redirect_uri=REDIRECT, verifier=verifier
    ).access_token
    grants = oauth.grants(token)
    assert len(grants) == 131
    assert Grant("other/admin", admin=True) in grants
    assert all(g.full_name != "other/hidden" for g in grants)
    assert len(github.requests_to("GET", r"^/user/installations/77/repositories$")) == 2
    revoke_user(github, "alice")
    with pytest.raises(AuthorizationRefused):
        oauth.grants(token)


def test_on_enterprise_server_the_flow_is_at_the_root_and_the_api_under_api_v3() -> None:
    ghes = FakeGitHub(api_prefix="api/v3")
    with serve(ghes) as served:
        assert served.api_url.endswith("/api/v3/")
        settings = Settings(
            _env_file=None,
            github_api_url=served.api_url,
            github_client_id=CLIENT_ID,
            github_client_secret=CLIENT_SECRET,
        )
        oauth = UserAuthorization(settings)
        assert oauth.authorize_url(redirect_uri=REDIRECT, state="s", code_challenge="c").startswith(
            served.api_url.removesuffix("api/v3/") + "login/oauth/authorize?"
        )
        ghes.add_repo("corp/app", installation_id=5)
        ghes.set_permission("corp/app", "octocat", "maintain")
        verifier, challenge = pkce_pair()
        token = oauth.exchange(
            code=_code(oauth, challenge), redirect_uri=REDIRECT, verifier=verifier
        ).access_token
        assert oauth.grants(token) == [Grant("corp/app", admin=False)]
