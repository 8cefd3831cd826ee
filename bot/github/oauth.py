"""The App's user authorization (OAuth web flow) and what a signed-in user can reach.

The authorize and token endpoints live on GitHub's web host (github.com, or an Enterprise
Server's root), not under the API. The token endpoint answers its errors with 200 and an
`error` field, so the status alone says nothing. Plain httpx: these are a handful of calls
outside githubkit's installation auth. No token reaches a log line or an exception message
from here: errors carry GitHub's error code or the HTTP status only.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from bot import __version__
from bot.config import Settings
from bot.core.visibility import Grant, expiry, grants_of
from bot.errors import AuthorizationRefused, ConfigurationError, GitHubUnavailable
from bot.github.urls import web_url

API_VERSION = "2022-11-28"  # every Enterprise Server that has these endpoints knows it
MAX_PAGES = 50  # per listing: 5,000 installations or repositories, far beyond a real user


@dataclass(frozen=True, slots=True)
class UserTokens:
    """A user-to-server token and, when the App issues expiring tokens, its refresh token."""

    access_token: str = field(repr=False)
    expires_at: datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GitHubUser:
    """Who signed in."""

    login: str
    id: int


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636; GitHub accepts only S256)."""
    verifier = secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43..128
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class UserAuthorization:
    """GitHub's OAuth endpoints and the user's installations, for one App's client id."""

    def __init__(self, settings: Settings) -> None:
        if not settings.oauth_configured:
            raise ConfigurationError("set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET")
        assert settings.github_client_id is not None
        assert settings.github_client_secret is not None
        self.client_id = settings.github_client_id
        self._secret = settings.github_client_secret
        self.web_root = web_url(settings.github_api_url)
        self._api = settings.github_api_url.rstrip("/") + "/"
        self._timeout = httpx.Timeout(settings.github_timeout_seconds, connect=5.0)

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        """Where the browser goes to authorize the App (GitHub Apps take no scopes)."""
        query = urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.web_root}login/oauth/authorize?{query}"

    def exchange(self, *, code: str, redirect_uri: str, verifier: str) -> UserTokens:
        """The tokens for an authorization code; AuthorizationRefused or GitHubUnavailable."""
        return self._token_call(
            {"code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
        )

    def refresh(self, *, refresh_token: str) -> UserTokens:
        """New tokens for a refresh token (which GitHub then retires)."""
        return self._token_call({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def user(self, token: str) -> GitHubUser:
        """The user a token acts for (`GET /user`)."""
        with self._client(token) as client:
            body = _json(self._get(client, self._api + "user"))
        if not isinstance(body.get("login"), str) or not isinstance(body.get("id"), int):
            raise GitHubUnavailable("GET /user answered without a login", status=200)
        return GitHubUser(login=body["login"], id=body["id"])

    def grants(self, token: str) -> list[Grant]:
        """Every repository of the App's installations the user can access, with admin rights."""
        found: list[Grant] = []
        with self._client(token) as client:
            installations = self._listing(client, self._api + "user/installations", "installations")
            for installation in installations:
                ident = installation.get("id")
                if not isinstance(ident, int):
                    continue
                url = f"{self._api}user/installations/{ident}/repositories"
                found.extend(grants_of(self._listing(client, url, "repositories")))
        return found

    def revoke(self, token: str) -> None:
        """Revoke one user token at GitHub (`DELETE /applications/{client_id}/token`).

        Only that token: the user's authorization of the App stays, so signing in again
        needs no new consent. Raises GitHubUnavailable when GitHub does not confirm.
        """
        try:
            with httpx.Client(timeout=self._timeout, headers=_headers()) as client:
                response = client.request(
                    "DELETE",
                    f"{self._api}applications/{self.client_id}/token",
                    auth=(self.client_id, self._secret.get_secret_value()),
                    json={"access_token": token},
                )
        except httpx.HTTPError as exc:
            raise GitHubUnavailable(f"revoking failed: {type(exc).__name__}") from None
        # 404: GitHub no longer knows the token (already revoked or expired).
        if response.status_code not in (204, 404):
            raise GitHubUnavailable(
                f"revoking answered {response.status_code}", status=response.status_code
            )

    # ------------------------------------------------------------------ the wire

    def _token_call(self, fields: dict[str, str]) -> UserTokens:
        data = {
            "client_id": self.client_id,
            "client_secret": self._secret.get_secret_value(),
            **fields,
        }
        now = datetime.now(UTC)
        try:
            with httpx.Client(timeout=self._timeout, headers=_headers()) as client:
                response = client.post(f"{self.web_root}login/oauth/access_token", data=data)
        except httpx.HTTPError as exc:
            raise GitHubUnavailable(f"the token endpoint failed: {type(exc).__name__}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise GitHubUnavailable(
                f"the token endpoint answered {response.status_code}", status=response.status_code
            )
        body = _json(response)
        error = body.get("error")
        if error or response.status_code >= 400 or not isinstance(body.get("access_token"), str):
            # GitHub's codes: bad_verification_code, bad_refresh_token, redirect_uri_mismatch,
            # incorrect_client_credentials, unverified_user_email...
            raise AuthorizationRefused(
                f"GitHub refused the sign-in: {error or response.status_code}",
                status=response.status_code,
            )
        refresh = body.get("refresh_token")
        return UserTokens(
            access_token=body["access_token"],
            expires_at=expiry(now, body.get("expires_in")),
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            refresh_expires_at=expiry(now, body.get("refresh_token_expires_in")),
        )

    def _client(self, token: str) -> httpx.Client:
        return httpx.Client(
            timeout=self._timeout,
            headers={
                **_headers(),
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
            },
            follow_redirects=False,
        )

    def _get(self, client: httpx.Client, url: str, **params: Any) -> httpx.Response:
        try:
            response = client.get(url, params=params or None)
        except httpx.HTTPError as exc:
            raise GitHubUnavailable(f"GitHub failed: {type(exc).__name__}") from None
        if response.status_code == 401:
            raise AuthorizationRefused("GitHub answered 401: the authorization is gone", status=401)
        if response.status_code >= 400:
            raise GitHubUnavailable(
                f"GitHub answered {response.status_code}", status=response.status_code
            )
        return response

    def _listing(self, client: httpx.Client, url: str, key: str) -> list[dict[str, Any]]:
        """Every page of a `{total_count, <key>: [...]}` listing, following `Link: next`."""
        items: list[dict[str, Any]] = []
        response = self._get(client, url, per_page=100)
        for _ in range(MAX_PAGES):
            page = _json(response).get(key)
            if isinstance(page, list):
                items.extend(i for i in page if isinstance(i, dict))
            following = response.links.get("next", {}).get("url")
            if not following:
                break
            response = self._get(client, following)
        return items


def _headers() -> dict[str, str]:
    return {
        "Accept": "application/json",
        "User-Agent": f"remediation-bot/{__version__}",
        "X-GitHub-Api-Version": API_VERSION,
    }


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise GitHubUnavailable(
            f"GitHub answered {response.status_code} without JSON", status=response.status_code
        ) from None
    if not isinstance(body, dict):
        raise GitHubUnavailable("GitHub answered JSON that is not an object", status=200)
    return body
