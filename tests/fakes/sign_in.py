"""Sign in with GitHub, told to the bot: two repositories, users with roles, a signed-in client.

`acme/agents` (the seed issue) and `acme/vault` (private) are both installed and known to
the bot; who may read which is set with `FakeGitHub.set_permission`. `sign_in` walks the
OAuth web flow with a plain httpx client, redirect by redirect, as a browser would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from .github import FakeGitHub
from .github_oauth import CLIENT_ID, CLIENT_SECRET
from .github_server import ServedFake
from .running_bot import DASHBOARD_TOKEN, RunningBot, served
from .seed_story import ISSUE, REPO, issue_payload
from .webhook_sender import payload

VAULT = "acme/vault"
VAULT_ISSUE = 5
SESSION_SECRET = "session-secret-for-sign-in-tests"
SIGN_IN = {
    "github_client_id": CLIENT_ID,
    "github_client_secret": CLIENT_SECRET,
    "session_secret": SESSION_SECRET,
}
BODY = "## Plan\n\n- [ ] Fix `tests/test_vault.py`\n"


def two_repositories(bot: RunningBot, github: FakeGitHub) -> None:
    """acme/agents #870 and the private acme/vault #5, both opened through webhooks."""
    github.add_repo(REPO)
    github.add_issue(REPO, ISSUE, title="Issue #870", body=BODY, labels=["remediation"])
    assert bot.deliver("issues", issue_payload("opened", BODY)).status_code == 202
    github.add_repo(VAULT, private=True)
    github.add_issue(VAULT, VAULT_ISSUE, title="Vault", body=BODY, labels=["remediation"])
    label = {"issue": {"labels": [{"name": "remediation", "color": "d73a4a"}]}}
    vault = payload(
        "issues", "opened", repo=VAULT, issue_number=VAULT_ISSUE, issue_body=BODY, merge=label
    )
    assert bot.deliver("issues", vault).status_code == 202
    bot.work()


@contextmanager
def signing_in(
    bot: RunningBot, served_github: ServedFake, *, token: bool = False, **overrides: Any
) -> Iterator[str]:
    """The bot on the same store with Sign in with GitHub configured (and the token login)."""
    extra: dict[str, Any] = {**SIGN_IN, **overrides}
    if token:
        extra["dashboard_token"] = DASHBOARD_TOKEN
    with served(bot, served_github, **extra) as url:
        yield url


def start(client: httpx.Client, base: str, next_path: str = "/dashboard") -> httpx.Response:
    """GET /login/github: the bot's 303 to GitHub's authorize page."""
    begun = client.get(f"{base}/login/github", params={"next": next_path})
    assert begun.status_code == 303, begun.text
    return begun


def authorize(client: httpx.Client, begun: httpx.Response) -> str:
    """GitHub's authorize page: its redirect back to the callback (code and state)."""
    answered = client.get(begun.headers["location"])
    assert answered.status_code == 302, answered.text
    return answered.headers["location"]


def sign_in(client: httpx.Client, base: str, next_path: str = "/dashboard") -> httpx.Response:
    """The whole flow; the callback's answer (303 to `next_path` when it worked)."""
    return client.get(authorize(client, start(client, base, next_path)))


def query_of(url: str) -> dict[str, str]:
    """A URL's query, one value per name."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def browser() -> httpx.Client:
    """A client that keeps cookies and follows no redirect by itself."""
    return httpx.Client(follow_redirects=False, timeout=10)
