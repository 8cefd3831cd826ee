"""The dashboard in a real browser: Playwright driving Debian's Chromium (no downloaded build).

Skipped when Chromium or Playwright is missing, except under CI=true, where that fails the
run (as the PostgreSQL leg does). Screenshots go to artifacts/screenshots/ for CI to keep.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes import FakeGitHub, ServedFake
from fakes.running_bot import DASHBOARD_TOKEN, RunningBot, served
from fakes.seed_story import ISSUE, ISSUE_PAGE, REPO, seed_story
from fakes.sign_in import VAULT, VAULT_ISSUE, query_of, signing_in, two_repositories

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Debian's Chromium as root in a container: no sandbox, nothing phoning home.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    if shutil.which(CHROMIUM) is None:
        _unavailable(f"no Chromium at {CHROMIUM} (make test installs Debian's package)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    # The dashboard works offline: any request off loopback is a bug (a CDN, a font).
    outside: list[str] = []
    opened.on(
        "request",
        lambda r: (
            None if r.url.startswith(("http://127.0.0.1", "data:")) else outside.append(r.url)
        ),
    )
    yield opened
    context.close()
    assert outside == []


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def story(bot: RunningBot, github: FakeGitHub, seed_body: str) -> RunningBot:
    seed_story(bot, github, seed_body)
    return bot


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_overview_issue_chart_and_navigation(story: RunningBot, page: Any) -> None:
    page.goto(story.url + "/dashboard")
    row = page.locator(f'tr.issue-row[data-issue="{ISSUE}"]')
    assert row.count() == 1
    assert "3/5" in row.inner_text()
    shot(page, "overview")

    row.locator("a.issue-link").click()
    page.wait_for_url(f"**{ISSUE_PAGE}")
    chart = page.locator("#chart svg")
    chart.wait_for()
    assert page.locator("#chart").get_attribute("data-drawn") == "2"
    assert page.locator("#chart polyline.rate").count() == 1
    statuses = page.locator("tr.item").evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert statuses == ["met", "unmet", "met", "met", "unmet"]
    assert page.locator("#summary article.markdown table").count() >= 1
    shot(page, "issue")

    page.locator("#changes a").first.click()
    page.wait_for_url(lambda url: "/tests?id=" in url)
    page.locator("#chart svg circle").first.wait_for()
    assert page.locator("#chart circle.dot").count() == 2
    shot(page, "test")

    page.locator("nav a[data-nav=operations]").click()
    page.wait_for_url("**/dashboard/operations")
    assert "done" in page.locator("p.counts").inner_text()
    shot(page, "operations")
    page.locator("nav a[data-nav=overview]").click()
    page.wait_for_url("**/dashboard")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_unauthorised_request_is_refused_then_login_opens_the_page(
    story: RunningBot, served_github: ServedFake, page: Any
) -> None:
    with served(story, served_github, dashboard_token=DASHBOARD_TOKEN) as url:
        response = page.request.get(url + f"/api/v1/repos/{REPO}/issues/{ISSUE}")
        assert response.status == 401
        page.goto(url + ISSUE_PAGE)
        page.wait_for_url(lambda url: "/login?next=" in url)
        page.fill("input[name=token]", "wrong")
        page.click("button[type=submit]")
        assert page.locator("p.error").is_visible()
        shot(page, "login-refused")
        page.fill("input[name=token]", DASHBOARD_TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url(f"**{ISSUE_PAGE}")
        page.locator("#chart svg").wait_for()
        shot(page, "issue-after-login")


# -- Sign in with GitHub --------------------------------------------------------------------


@pytest.fixture
def alice(bot: RunningBot, github: FakeGitHub) -> RunningBot:
    """Two repositories known to the bot; alice, who signs in next, may read one of them."""
    two_repositories(bot, github)
    github.set_permission(REPO, "alice", "read")
    github.oauth.sign_in_as = "alice"
    return bot


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sign_in_with_github_shows_only_the_readable_repository_of_two(
    alice: RunningBot, served_github: ServedFake, github: FakeGitHub, page: Any
) -> None:
    with signing_in(alice, served_github, token=True) as url:
        page.goto(url + "/dashboard")
        page.wait_for_url(lambda u: "/login?next=" in u)
        assert page.locator("input[name=token]").is_visible()  # the token form stays
        shot(page, "login-with-github")
        page.click("a.sign-in-github")
        page.wait_for_url(url + "/dashboard")
        shown = page.locator("section.repository").evaluate_all(
            "sections => sections.map(s => s.dataset.repository)"
        )
        assert shown == [REPO]
        assert page.locator("header .who").inner_text() == "Signed in as alice"
        assert page.locator("nav a[data-nav=operations]").count() == 0
        shot(page, "signed-in-overview")

        hidden = page.goto(url + f"/dashboard/{VAULT}/issues/{VAULT_ISSUE}")
        assert hidden is not None
        assert hidden.status == 404
        api = page.request.get(url + f"/api/v1/repos/{VAULT}/issues/{VAULT_ISSUE}")
        assert api.status == 404
        assert page.request.get(url + f"/api/v1/repos/{REPO}/issues/{ISSUE}").status == 200

        page.goto(url + "/dashboard")
        cookies = [c["value"] for c in page.context.cookies()]
        for token in github.oauth.issued:
            assert not any(token in value for value in cookies)
            assert token not in page.content()
        page.click("form.logout button")
        page.wait_for_url("**/login")
        assert page.request.get(url + "/api/v1/overview").status == 401


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_forged_or_replayed_state_is_refused_in_the_browser(
    alice: RunningBot, served_github: ServedFake, page: Any
) -> None:
    with signing_in(alice, served_github) as url:
        page.goto(url + "/login")
        assert page.locator("input[name=token]").count() == 0  # no token login configured
        back = _callback_url(page, url)
        signed = page.goto(back)
        assert signed is not None
        page.wait_for_url(url + "/dashboard")

        replayed = page.goto(back)
        assert replayed is not None
        assert replayed.status == 400
        assert "already used" in page.locator("p.error").inner_text()

        again = _callback_url(page, url)
        state = query_of(again)["state"]
        forged = page.goto(again.replace(f"state={state}", "state=" + "f" * len(state)))
        assert forged is not None
        assert forged.status == 400
        assert "unknown, expired or was already used" in page.locator("p.error").inner_text()
        shot(page, "sign-in-forged-state")


def _callback_url(page: Any, url: str) -> str:
    """GitHub's redirect back, taken by hand with the browser's own cookies (not followed)."""
    begun = page.request.get(url + "/login/github", max_redirects=0)
    assert begun.status == 303
    authorized = page.request.get(begun.headers["location"], max_redirects=0)
    assert authorized.status == 302
    return str(authorized.headers["location"])
