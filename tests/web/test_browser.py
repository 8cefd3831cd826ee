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
