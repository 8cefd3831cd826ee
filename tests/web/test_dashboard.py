"""The dashboard and its JSON API over the seed story, served on loopback; the access rule."""

from __future__ import annotations

import re

import httpx
import pytest
from markupsafe import Markup

from bot.core import summary
from bot.web.access import COOKIE, Signer, safe_next
from bot.web.dashboard.pages import render_comment

from fakes import FakeGitHub, ServedFake
from fakes.running_bot import DASHBOARD_TOKEN, RunningBot, served
from fakes.seed_story import (
    ISSUE,
    ISSUE_PAGE,
    REPO,
    complete_run,
    open_seed_issue,
    seed_story,
    story_zip,
)

ISSUE_API = f"/api/v1/repos/{REPO}/issues/{ISSUE}"


@pytest.fixture
def story(bot: RunningBot, github: FakeGitHub, seed_body: str) -> RunningBot:
    seed_story(bot, github, seed_body)
    return bot


def test_overview_lists_the_issue_with_progress(story: RunningBot) -> None:
    data = httpx.get(story.url + "/api/v1/overview").json()
    (repo,) = data["repositories"]
    (issue,) = repo["issues"]
    assert (repo["full_name"], issue["number"], issue["tracked"]) == (REPO, ISSUE, True)
    assert (issue["items_done"], issue["items_total"]) == (3, 5)
    assert issue["trend"] == "up"
    assert issue["last_run"]["run_id"] == "102"
    page = httpx.get(story.url + "/dashboard")
    assert page.status_code == 200
    assert f'href="/dashboard/{REPO}/issues/{ISSUE}"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_issue_api_has_metrics_phases_failures_and_history(story: RunningBot) -> None:
    detail = httpx.get(story.url + ISSUE_API).json()
    statuses = [item["status"] for item in detail["items"]]
    assert statuses == ["met", "unmet", "met", "met", "unmet"]
    assert [p["number"] for p in detail["phases"]] == [1, 2, 3]
    failing = [t for p in detail["phases"] for t in p["failing"]] + [
        t for g in detail["unplanned"] for t in g["tests"]
    ]
    assert failing
    assert all(g["signature"] for p in detail["phases"] for g in p["groups"])
    assert [r["run_id"] for r in detail["runs"]] == ["101", "102"]
    assert detail["newly_fixed"]
    assert detail["summary_comment"].startswith(summary.MARKER)
    assert detail["evaluated_run"]["run_id"] == "102"
    assert detail["flaky"] == []  # fixed once is not flaky: that takes flipping back


def test_issue_page_shows_chart_data_metrics_and_rendered_comment(story: RunningBot) -> None:
    page = httpx.get(story.url + ISSUE_PAGE)
    assert page.status_code == 200
    assert 'id="chart"' in page.text
    assert 'id="chart-data"' in page.text
    assert page.text.count('class="status met"') >= 3
    assert 'class="status unmet"' in page.text
    assert "<table>" in page.text  # the comment's Markdown tables, rendered
    assert summary.MARKER not in page.text


def test_test_page_and_operations(story: RunningBot) -> None:
    detail = httpx.get(story.url + ISSUE_API).json()
    test_id = detail["newly_fixed"][0]
    history = httpx.get(story.url + f"/api/v1/repos/{REPO}/tests", params={"id": test_id}).json()
    assert [p["outcome"] for p in history["points"]] == ["failed", "passed"]
    page = httpx.get(story.url + f"/dashboard/{REPO}/tests", params={"id": test_id})
    assert page.status_code == 200
    assert 'data-kind="test"' in page.text
    ops = httpx.get(story.url + "/api/v1/operations").json()
    assert ops["job_counts"]["done"] >= 3
    assert {d["event"] for d in ops["deliveries"]} >= {"issues", "workflow_run"}
    assert httpx.get(story.url + "/dashboard/operations").status_code == 200


def test_unknown_repository_issue_and_bad_names_are_404_or_422(story: RunningBot) -> None:
    assert httpx.get(story.url + f"/api/v1/repos/{REPO}/issues/999").status_code == 404
    assert httpx.get(story.url + "/api/v1/repos/no/such/issues/1").status_code == 404
    assert httpx.get(story.url + "/dashboard/no/such/issues/1").status_code == 404
    assert (
        httpx.get(story.url + "/api/v1/repos/a/b/tests", params={"id": "x\x00"}).status_code == 422
    )
    assert httpx.get(story.url + f"/api/v1/repos/{REPO}/issues/99999999999").status_code == 422


def test_static_files_ship_with_the_package(bot: RunningBot) -> None:
    for name in ("dashboard.css", "chart.js"):
        response = httpx.get(f"{bot.url}/static/{name}")
        assert response.status_code == 200
        assert "http" not in response.text.replace("http://www.w3.org/2000/svg", "")


# -- access ---------------------------------------------------------------------------------


def test_beyond_loopback_without_login_configured_is_refused(bot: RunningBot) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    for path in ("/dashboard", "/api/v1/overview", ISSUE_API):
        response = httpx.get(bot.url + path, headers=forwarded)
        assert response.status_code == 403
        assert "DASHBOARD_TOKEN" in response.text


def test_token_is_required_once_configured_even_on_loopback(
    story: RunningBot, served_github: ServedFake
) -> None:
    with served(story, served_github, dashboard_token=DASHBOARD_TOKEN) as url:
        assert httpx.get(url + "/api/v1/overview").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(url + "/api/v1/overview", headers=wrong).status_code == 401
        good = {"Authorization": f"Bearer {DASHBOARD_TOKEN}"}
        assert httpx.get(url + ISSUE_API, headers=good).status_code == 200
        assert httpx.get(url + ISSUE_API, headers=good | {"X-Forwarded-For": "1.2.3.4"}).is_success
        redirect = httpx.get(url + ISSUE_PAGE)
        assert redirect.status_code == 303
        assert redirect.headers["location"] == f"/login?next={ISSUE_PAGE}"


def test_login_form_sets_a_signed_httponly_cookie(
    story: RunningBot, served_github: ServedFake
) -> None:
    with (
        served(story, served_github, dashboard_token=DASHBOARD_TOKEN) as url,
        httpx.Client(base_url=url) as client,
    ):
        refused = client.post("/login", data={"token": "wrong", "next": ISSUE_PAGE})
        assert refused.status_code == 401
        assert COOKIE not in client.cookies
        response = client.post("/login", data={"token": DASHBOARD_TOKEN, "next": ISSUE_PAGE})
        assert response.status_code == 303
        assert response.headers["location"] == ISSUE_PAGE
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert client.get(ISSUE_PAGE).status_code == 200
        assert client.get("/api/v1/overview").status_code == 200
        signed = client.cookies[COOKIE]
        tampered = signed[:-1] + ("A" if signed[-1] != "A" else "B")  # always a change
        client.cookies.set(COOKIE, tampered)
        assert client.get("/api/v1/overview").status_code == 401


def test_login_never_redirects_to_another_site() -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil", "", None):
        assert safe_next(target) == "/dashboard"
    assert safe_next("/dashboard/a/b/issues/1") == "/dashboard/a/b/issues/1"


def test_signed_values_expire_and_resist_tampering() -> None:
    signer = Signer(b"k")
    value = signer.sign({"kind": "token"}, now=1000.0)
    assert signer.unsign(value, now=1000.0) == {"kind": "token", "exp": 1000 + 8 * 3600}
    assert signer.unsign(value, now=1000.0 + 9 * 3600) is None
    assert Signer(b"other").unsign(value, now=1000.0) is None
    assert signer.unsign("garbage", now=1000.0) is None


# -- rendering ------------------------------------------------------------------------------


def test_comment_markdown_is_rendered_without_raw_html() -> None:
    html = render_comment(
        f"{summary.MARKER}\n## Title\n\n<script>alert(1)</script> [x](javascript:alert(1))\n\n"
        "<details><summary>3 tests</summary>\n\n- `a`\n\n</details>\n"
    )
    assert isinstance(html, Markup)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert "<em>3 tests:</em>" in html
    assert "details" not in html


def test_untrusted_titles_are_escaped_on_pages(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    seed_story(bot, github, seed_body, runs=1)
    from sqlmodel import Session

    from bot.store import repositories

    with Session(bot.engine) as session:
        repository = repositories.get_repository(session=session, full_name=REPO)
        assert repository is not None
        repositories.upsert_issue(
            session=session, repository=repository, number=ISSUE, title="<img src=x onerror=1>"
        )
    for path in ("/dashboard", ISSUE_PAGE):
        text = httpx.get(bot.url + path).text
        assert "<img src=x" not in text
        assert "&lt;img src=x onerror=1&gt;" in text


def _comment_statuses(comment: str) -> dict[int, str]:
    """Each success metric's status as the summary comment states it."""
    found = re.findall(r"^- `#(\d+)` \S+ \*\*(\w+)\*\*", comment, flags=re.MULTILINE)
    return {int(index): status for index, status in found}


def test_the_dashboard_reads_the_newest_run_as_the_summary_comment_does(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    """Tests that keep flipping are flaky by their history: their passes prove nothing, in both."""
    open_seed_issue(bot, github, seed_body)
    bot.work()
    for number, story in enumerate([1, 2, 1, 2, 1, 2], start=1):
        assert complete_run(bot, github, 200 + number, story_zip(story)).status_code == 202
        bot.work()
    detail = httpx.get(bot.url + ISSUE_API).json()
    stated = _comment_statuses(detail["summary_comment"])
    assert "🎲 Flaky" in detail["summary_comment"]
    assert "unknown" in stated.values()  # a metric proven only by flaky passes
    assert {item["index"]: item["status"] for item in detail["items"]} == stated
    flaky_evidence = [i["evidence"] for i in detail["items"] if i["status"] == "unknown"]
    assert all("flaky" in evidence for evidence in flaky_evidence)


def test_the_issue_page_shows_how_the_checklist_is_read_escaped(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    hostile = "<b onclick=x>Test suite</b> reaches 95%"
    body = seed_body.replace("- [ ] Zero user", f"- [ ] {hostile}\n- [ ] Zero user")
    seed_story(bot, github, body)
    readings = httpx.get(bot.url + ISSUE_API).json()["readings"]
    assert [r["index"] for r in readings] == [0, 1, 2, 3, 4, 5]
    assert readings[2]["reading"] == "peak memory ≤ 250 MB (read from the text)"
    assert readings[4]["text"] == hostile
    assert readings[4]["reading"].startswith("manual: its words are no metric")
    assert readings[4]["suggested_rule"] == "pass-rate >= 95%"
    assert readings[0]["suggested_rule"] is None
    page = httpx.get(bot.url + ISSUE_PAGE).text
    assert "<summary>How the checklist is read</summary>" in page
    assert "<code>/remediation rule #4 pass-rate &gt;= 95%</code>" in page
    assert "&lt;b onclick=x&gt;Test suite&lt;/b&gt; reaches 95%" in page
    assert "<b onclick" not in page


def test_per_phase_criteria_show_under_their_phase(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    body = seed_body + "\n### Phase 2 Success Criteria\n\n- [ ] <i>Memory</i> isolation fixed\n"
    seed_story(bot, github, body)
    items = httpx.get(bot.url + ISSUE_API).json()["items"]
    assert [i["phase"] for i in items][-1] == 2
    page = httpx.get(bot.url + ISSUE_PAGE).text
    phase_two = page[page.index('data-phase="2"') : page.index('data-phase="3"')]
    assert '<ul class="criteria">' in phase_two
    assert "&lt;i&gt;Memory&lt;/i&gt; isolation fixed" in phase_two
