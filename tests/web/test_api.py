"""The upload API for other CI, tokens, and offline mode (what the bot would write)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from bot.config import Settings
from bot.core import checklist, summary
from bot.store import repositories, tokens
from bot.store.migrate import upgrade
from bot.web.app import create_app
from bot.worker.loop import Worker

from fakes import FakeGitHub, ServedFake
from fakes.bot_server import serve_bot
from fakes.running_bot import WEBHOOK_SECRET, RunningBot, served
from fakes.webhook_sender import payload

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REPO = "acme/agents"


def _token(bot: RunningBot, repo: str = REPO) -> str:
    with Session(bot.engine) as session:
        repository = repositories.upsert_repository(session=session, full_name=repo)
        return tokens.create_token(session=session, repository=repository)


def _files(run: int) -> list[tuple[str, tuple[str, bytes, str]]]:
    paths = sorted((FIXTURES / "seed-story" / f"run{run}").glob("*.xml"))
    return [("files", (p.name, p.read_bytes(), "application/xml")) for p in paths]


def _upload(bot: RunningBot, token: str, run: int, **form: str) -> httpx.Response:
    data = {"run_id": f"ci-{run}", "branch": "main", **form}
    return httpx.post(
        f"{bot.url}/api/v1/runs",
        headers={"Authorization": f"Bearer {token}"},
        data=data,
        files=[*_files(run), ("files", ("broken.xml", b"<testsuite><testcase", "text/xml"))],
        timeout=30,
    )


def _track_seed_issue(bot: RunningBot, github: FakeGitHub, seed_body: str) -> None:
    """The seed issue, labelled on the fake GitHub and known to the bot."""
    github.add_repo(REPO, default_branch="main")
    github.add_issue(REPO, 870, title="Issue #870", body=seed_body, labels=["remediation"])
    label = {
        "issue": {"labels": [{"name": "remediation"}]},
        "repository": {"default_branch": "main"},
    }
    bot.deliver("issues", payload("issues", "opened", repo=REPO, issue_number=870, merge=label))
    bot.work()


def test_upload_stores_the_run_and_reports_bad_files(bot: RunningBot) -> None:
    response = _upload(bot, _token(bot), 1, sha="abc1234")
    assert response.status_code == 202, response.text
    result = response.json()
    assert result["created"] is True
    assert result["totals"] == {"tests": 14, "passed": 6, "failed": 7, "errors": 1, "skipped": 0}
    errors = [f for f in result["files"] if f["error"]]
    assert [f["name"] for f in errors] == ["broken.xml"]
    assert "malformed XML" in errors[0]["error"]
    again = _upload(bot, _token(bot), 1)
    assert again.json()["created"] is False


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer rbt_not-a-token", "Basic abc"])
def test_upload_refuses_missing_or_unknown_tokens(bot: RunningBot, header: str) -> None:
    response = httpx.post(
        f"{bot.url}/api/v1/runs",
        headers={"Authorization": header} if header else {},
        data={"run_id": "1"},
        files=_files(1),
        timeout=30,
    )
    assert response.status_code == 401


def test_tokens_are_stored_hashed(bot: RunningBot) -> None:
    token = _token(bot)
    with bot.engine.connect() as connection:
        stored = [
            row[0] for row in connection.exec_driver_sql("SELECT token_hash FROM upload_tokens")
        ]
    assert token not in stored
    assert stored == [tokens.hash_token(token)]


def test_upload_syncs_tracked_issues_through_the_same_pipeline(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    _track_seed_issue(bot, github, seed_body)
    assert _upload(bot, _token(bot), 2).status_code == 202
    bot.work()
    body = github.repos[REPO].issues[870].body
    assert body is not None
    assert [b.index for b in checklist.find_checkboxes(body) if b.checked] == [0, 2, 3]


@pytest.fixture
def offline_bot(database_url: str) -> Iterator[RunningBot]:
    """The bot with no GitHub credentials at all."""
    upgrade(database_url)
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        github_webhook_secret=WEBHOOK_SECRET,
        worker_enabled=False,
    )
    app = create_app(settings)
    context = app.state.context
    with serve_bot(app) as url:
        yield RunningBot(url=url, settings=settings, worker=Worker(context), engine=context.engine)


def test_offline_mode_keeps_what_it_would_write(offline_bot: RunningBot, seed_body: str) -> None:
    bot = offline_bot
    label = {
        "issue": {"labels": [{"name": "remediation"}]},
        "repository": {"default_branch": "main"},
    }
    opened = payload(
        "issues", "opened", repo=REPO, issue_number=870, issue_body=seed_body, merge=label
    )
    assert bot.deliver("issues", opened).status_code == 202
    bot.work()
    token = _token(bot)
    for run in (1, 2):
        assert _upload(bot, token, run).status_code == 202
        bot.work()
    issues = httpx.get(f"{bot.url}/api/v1/issues", timeout=10).json()
    (issue,) = issues
    assert issue["tracked"] is True
    assert issue["comment_id"] is None  # nothing was sent anywhere
    assert issue["desired_comment"].startswith(summary.MARKER)
    ticked = [b.index for b in checklist.find_checkboxes(issue["desired_body"]) if b.checked]
    assert ticked == [0, 2, 3]


def test_a_retried_upload_queues_the_sync_the_first_try_lost(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    """The run is stored, then the store fails on the sync's job: 503, and the retry queues it."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    _track_seed_issue(bot, github, seed_body)
    failures = []

    def store_fails_once(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.startswith("INSERT INTO jobs") and "uploaded_run" in str(params):
            failures.append(params)
            if len(failures) == 1:
                raise OperationalError(statement, params, Exception("server closed the connection"))

    event.listen(bot.engine, "before_cursor_execute", store_fails_once)
    token = _token(bot)
    first = _upload(bot, token, 2)
    assert first.status_code == 503
    retry = _upload(bot, token, 2)
    assert retry.status_code == 202
    assert retry.json()["created"] is False  # the first try had stored the run
    bot.work()
    body = github.repos[REPO].issues[870].body
    assert body is not None
    assert [b.index for b in checklist.find_checkboxes(body) if b.checked] == [0, 2, 3]


def test_the_upload_token_is_checked_before_the_body_is_read(bot: RunningBot) -> None:
    """A body that is not even multipart: parsed first it would be a 400; it is a 401."""
    response = httpx.post(
        f"{bot.url}/api/v1/runs",
        headers={"Authorization": "Bearer rbt_wrong", "Content-Type": "multipart/form-data"},
        content=b"not a multipart body at all",
        timeout=10,
    )
    assert response.status_code == 401


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


def test_a_chunked_upload_over_max_upload_bytes_is_413(
    bot: RunningBot, served_github: ServedFake
) -> None:
    with served(bot, served_github, max_upload_bytes=256 * 1024) as url:
        boundary = "b0undary"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="files"; filename="a.xml"\r\n'
            "Content-Type: application/xml\r\n\r\n"
        ).encode()

        def body() -> Iterator[bytes]:  # no Content-Length: sent chunked
            yield head
            yield from _chunks(4 * 1024 * 1024)

        response = httpx.post(
            f"{url}/api/v1/runs",
            headers={
                "Authorization": f"Bearer {_token(bot)}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
            content=body(),
            timeout=30,
        )
    assert response.status_code == 413
    assert "MAX_UPLOAD_BYTES" in response.json()["detail"]
