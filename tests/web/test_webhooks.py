"""The webhook edge: signatures, sizes, every real payload, and what gets recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from bot.core.events import JobKind, route
from bot.store import queue, reads

from fakes import FakeGitHub
from fakes.running_bot import WEBHOOK_SECRET, RunningBot
from fakes.webhook_sender import delivery_headers, payload, sign

PAYLOADS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "webhooks").glob("*.json"))


def _post(bot: RunningBot, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{bot.url}/webhooks/github", content=body, headers=headers, timeout=10)


@pytest.mark.parametrize("path", PAYLOADS, ids=[p.stem for p in PAYLOADS])
def test_every_real_payload_is_answered_without_a_server_error(
    bot: RunningBot, github: FakeGitHub, path: Path
) -> None:
    event = path.name.split(".")[0]
    response = bot.deliver(event, path.read_bytes())
    assert response.status_code in (200, 202), response.text
    bot.work()
    with Session(bot.engine) as session:
        assert len(reads.recent_deliveries(session=session, limit=10_000)) == 1
        errors = [j.last_error for j in reads.recent_jobs(session=session) if j.last_error]
    # The fake knows none of these repositories: GitHub's 404 is an expected failure, a crash
    # of our own (KeyError, TypeError...) is not.
    assert all(e.startswith(("GitHubNotFound", "GitHubError")) for e in errors), errors


def _counts(bot: RunningBot) -> tuple[int, int]:
    with Session(bot.engine) as session:
        return len(reads.recent_deliveries(session=session, limit=10_000)), sum(
            queue.counts(session=session).values()
        )


def test_forged_and_missing_signatures_are_refused_with_no_side_effect(bot: RunningBot) -> None:
    body = payload("issues", "opened", repo="acme/agents")
    forged = delivery_headers(event="issues", body=body, secret="not-the-secret", delivery_id="f1")
    assert _post(bot, body, forged).status_code == 401
    missing = delivery_headers(event="issues", body=body, secret=None, delivery_id="f2")
    assert _post(bot, body, missing).status_code == 401
    tampered = delivery_headers(event="issues", body=body, secret=WEBHOOK_SECRET, delivery_id="f3")
    assert _post(bot, body + b" ", tampered).status_code == 401
    assert _counts(bot) == (0, 0)


def test_oversized_body_gets_413(bot: RunningBot) -> None:
    body = b'{"pad": "' + b"x" * (bot.settings.webhook_max_bytes + 10) + b'"}'
    headers = delivery_headers(event="issues", body=body, secret=WEBHOOK_SECRET, delivery_id="big")
    assert _post(bot, body, headers).status_code == 413
    assert _counts(bot) == (0, 0)


def test_unknown_events_and_actions_are_recorded_as_ignored(bot: RunningBot) -> None:
    unknown_event = bot.deliver("deployment_status", b'{"action": "created"}')
    unknown_action = bot.deliver("issues", payload("issues", "transferred", repo="acme/agents"))
    assert (unknown_event.status_code, unknown_action.status_code) == (202, 202)
    assert unknown_event.json()["status"] == "ignored"
    with Session(bot.engine) as session:
        outcomes = {d.event: d.outcome for d in reads.recent_deliveries(session=session)}
    assert outcomes == {"deployment_status": "ignored", "issues": "ignored"}
    assert _counts(bot)[1] == 0


def test_a_delivery_the_store_cannot_take_gets_503_and_its_redelivery_is_recorded(
    bot: RunningBot,
) -> None:
    body = payload("issues", "opened", repo="acme/agents")
    with bot.engine.begin() as connection:  # the jobs table is gone: every job insert fails
        connection.exec_driver_sql("ALTER TABLE jobs RENAME TO jobs_away")
    refused = bot.deliver("issues", body, delivery_id="during-outage")
    assert refused.status_code == 503
    assert "redeliver" in refused.json()["message"]
    assert _counts_deliveries(bot) == 0  # the delivery row went with its job: nothing half-kept
    with bot.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE jobs_away RENAME TO jobs")
    redelivered = bot.deliver("issues", body, delivery_id="during-outage")
    assert redelivered.status_code == 202
    assert _counts(bot) == (1, 1)


def _counts_deliveries(bot: RunningBot) -> int:
    with Session(bot.engine) as session:
        return len(reads.recent_deliveries(session=session, limit=10_000))


def test_an_installation_id_beyond_bigint_is_recorded_as_unknown(bot: RunningBot) -> None:
    data = json.loads(payload("issues", "opened", repo="acme/agents"))
    data["installation"] = {"id": 2**70}
    assert bot.deliver("issues", json.dumps(data).encode()).status_code == 202
    with Session(bot.engine) as session:
        (delivery,) = reads.recent_deliveries(session=session)
    assert delivery.installation_id is None


def test_bad_json_and_missing_headers_are_400(bot: RunningBot) -> None:
    body = b"not json"
    headers = {"X-Hub-Signature-256": sign(WEBHOOK_SECRET, body), "X-GitHub-Event": "issues"}
    assert _post(bot, body, headers).status_code == 400
    good = payload("issues", "opened", repo="acme/agents")
    headers = delivery_headers(event="issues", body=good, secret=WEBHOOK_SECRET, delivery_id="x")
    del headers["X-GitHub-Delivery"]
    assert _post(bot, good, headers).status_code == 400


def test_route_reads_only_what_it_needs() -> None:
    data = json.loads(payload("workflow_run", "completed", repo="acme/agents", run_id=42))
    chosen = route("workflow_run", data)
    assert chosen.kind is JobKind.WORKFLOW_RUN
    assert chosen.lock_key == "acme/agents:run:42"
    assert chosen.payload is not None
    assert chosen.payload["run_id"] == 42
    requested = route("workflow_run", {**data, "action": "requested"})
    assert requested.kind is None
    assert requested.reason is not None


def _malformed(event: str, action: str, change: dict[str, object]) -> bytes:
    data = json.loads(payload(event, action, repo="acme/agents"))
    for dotted, value in change.items():
        *path, last = dotted.split(".")
        target: dict[str, object] = data
        for key in path:
            inner = target[key]
            assert isinstance(inner, dict)
            target = inner
        target[last] = value
    return json.dumps(data).encode()


SIGNED_BUT_MALFORMED: dict[str, tuple[str, str, dict[str, object]]] = {
    "action as an object": ("issues", "opened", {"action": {"x": 1}}),
    "repository as a string": ("issues", "opened", {"repository": "acme/agents"}),
    "issue as a list": ("issues", "opened", {"issue": [1, 2]}),
    "installation as an int": ("issues", "opened", {"installation": 7}),
    "comment.user as a string": ("issue_comment", "created", {"comment.user": "mallory"}),
    "issue number as text": ("issues", "opened", {"issue.number": "1; drop"}),
    "installation id of 10^30": ("issues", "opened", {"installation": {"id": 10**30}}),
    "run id beyond BIGINT": ("workflow_run", "completed", {"workflow_run.id": 2**64}),
    "labels as a string": ("issues", "opened", {"issue.labels": "bug"}),
}


@pytest.mark.parametrize("case", SIGNED_BUT_MALFORMED, ids=list(SIGNED_BUT_MALFORMED))
def test_signed_but_malformed_payloads_are_recorded_as_ignored_and_queue_nothing(
    bot: RunningBot, case: str
) -> None:
    event, action, change = SIGNED_BUT_MALFORMED[case]
    response = bot.deliver(event, _malformed(event, action, change))
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "ignored"
    with Session(bot.engine) as session:
        (delivery,) = reads.recent_deliveries(session=session)
    assert delivery.outcome == "ignored"
    assert delivery.reason is not None
    assert _counts(bot)[1] == 0  # no job that would retry until it is dead


def test_json_nested_100000_deep_is_400(bot: RunningBot) -> None:
    body = b'{"a": ' * 100_000 + b"1" + b"}" * 100_000
    response = bot.deliver("issues", body)
    assert response.status_code == 400
    assert "nested" in response.json()["message"]
    assert _counts(bot) == (0, 0)


def test_route_says_which_field_was_wrong() -> None:
    data = json.loads(payload("issues", "opened", repo="acme/agents"))
    chosen = route("issues", {**data, "issue": {**data["issue"], "number": "1; drop"}})
    assert chosen.kind is None
    assert chosen.reason is not None
    assert chosen.reason.startswith("malformed issues payload: issue.number")


def test_a_chunked_body_over_the_limit_is_413_while_it_streams(bot: RunningBot) -> None:
    """No Content-Length to refuse up front: the limit is counted as the chunks arrive."""
    limit = bot.settings.webhook_max_bytes

    def body() -> Iterator[bytes]:
        chunk = b"x" * (1024 * 1024)
        for _ in range(limit // len(chunk) + 8):
            yield chunk

    headers = delivery_headers(event="issues", body=b"", secret=WEBHOOK_SECRET, delivery_id="c1")
    response = httpx.post(f"{bot.url}/webhooks/github", content=body(), headers=headers, timeout=60)
    assert response.status_code == 413
    assert _counts(bot) == (0, 0)
