"""Logs and metrics: JSON lines carrying the job's fields, no secret in any line, /metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import REGISTRY

from bot import telemetry
from bot.config import LogFormat, Settings
from bot.store.engine import make_engine
from bot.store.migrate import upgrade
from bot.telemetry import JsonFormatter, Redactor, TextFormatter

from fakes import FakeGitHub, ServedFake
from fakes.running_bot import WEBHOOK_SECRET, RunningBot, bot_settings
from fakes.seed_story import REPO, complete_run, open_seed_issue, run_payload, story_zip

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAxyz\nabc123==\n-----END RSA PRIVATE KEY-----"
)
INSTALLATION_TOKEN = "ghs_" + "A1b2C3d4" * 5
UPLOAD_TOKEN = "rbt_" + "z9Y8x7W6" * 5
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiI0MjQyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("bot.worker", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def sample(name: str, **labels: str) -> float:
    """A metric's current value in this process (0 when never set)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_json_line_carries_the_extra_fields() -> None:
    record = _record(
        "job done",
        delivery_id="d-1",
        job_id=7,
        repository="acme/agents",
        issue=870,
        kind="sync_issue",
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "job done"
    assert line["level"] == "INFO"
    assert line["logger"] == "bot.worker"
    assert {k: line[k] for k in ("delivery_id", "job_id", "repository", "issue", "kind")} == {
        "delivery_id": "d-1",
        "job_id": 7,
        "repository": "acme/agents",
        "issue": 870,
        "kind": "sync_issue",
    }
    assert line["time"].endswith("+00:00")


def test_json_line_keeps_the_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "bot", logging.ERROR, __file__, 1, "failed", None, exc_info=__import__("sys").exc_info()
        )
    line = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in line["exception"]


@pytest.mark.parametrize("formatter_class", [JsonFormatter, TextFormatter])
def test_no_secret_reaches_a_log_line(
    formatter_class: type[JsonFormatter | TextFormatter],
) -> None:
    configured = "the-configured-webhook-secret"
    formatter = formatter_class(Redactor([configured]))
    records = [
        _record("signature checked with %s", configured),
        _record("minted %s for installation 77", INSTALLATION_TOKEN),
        _record("Authorization: token %s", "abcdefghijklmnopqrstuvwx"),
        _record("key is %s", PEM),
        _record("app jwt %s", JWT),
        _record("upload with %s", UPLOAD_TOKEN),
        _record("extra fields", token="plain-value-1234", webhook_secret="x" * 20, note=PEM),
        _record("a truncated key: %s", PEM[:40]),
    ]
    text = "\n".join(formatter.format(record) for record in records)
    for secret in (
        configured,
        INSTALLATION_TOKEN,
        "abcdefghijklmnopqrstuvwx",
        "MIIEpAIBAAKCAQEAxyz",
        JWT,
        UPLOAD_TOKEN,
        "plain-value-1234",
        "x" * 20,
    ):
        assert secret not in text
    assert text.count("[redacted]") >= len(records)


def test_secret_values_are_every_secret_setting(served_github: ServedFake) -> None:
    settings = bot_settings("sqlite://", served_github, github_token="a-personal-token-1234")
    values = telemetry.secret_values(settings)
    assert WEBHOOK_SECRET in values
    assert served_github.private_key_pem in values
    assert "a-personal-token-1234" in values
    assert settings.database_url not in values


@pytest.fixture
def json_log(served_github: ServedFake) -> Iterator[io.StringIO]:
    """Every log line of the test as the container writes it (JSON), collected in memory."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    settings = bot_settings("sqlite://", served_github)
    handler.setFormatter(JsonFormatter(Redactor(telemetry.secret_values(settings))))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_seed_story_logs_are_json_with_ids_and_no_secret(
    bot: RunningBot, github: FakeGitHub, seed_body: str, json_log: io.StringIO
) -> None:
    open_seed_issue(bot, github, seed_body)
    bot.work()
    complete_run(bot, github, 101, story_zip(1))
    bot.work()
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    done = [line for line in lines if line["message"] == "job done"]
    assert {line["kind"] for line in done} >= {"issue", "workflow_run", "sync_issue"}
    for line in done:
        assert line["job_id"] > 0
        # Follow-up jobs (syncs, the gate, PR feedback) come from runs, not from deliveries.
        assert line["delivery_id"] or line["kind"] in {"sync_issue", "gate", "pr_feedback"}
        assert line["repository"] == REPO
    assert any(line.get("issue") == 870 for line in done)
    assert any(line["message"] == "delivery recorded" and line["delivery_id"] for line in lines)
    text = json_log.getvalue()
    secrets = [WEBHOOK_SECRET, github.private_key_pem, *github.tokens]
    assert github.tokens  # the App did mint installation tokens during the story
    assert [s for s in secrets if s in text] == []


def test_metrics_count_deliveries_jobs_and_github_calls(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    queued = sample("remediation_deliveries_total", event="workflow_run", outcome="queued")
    duplicate = sample("remediation_deliveries_total", event="workflow_run", outcome="duplicate")
    rejected = sample("remediation_deliveries_total", event="unverified", outcome="rejected")
    gets = sample("remediation_github_requests_total", method="GET", status="200")
    syncs = sample("remediation_job_seconds_count", kind="sync_issue", outcome="done")
    first_tries = sample("remediation_job_attempts_bucket", kind="workflow_run", le="1.0")

    open_seed_issue(bot, github, seed_body)
    bot.work()
    github.add_artifact(REPO, 101, name="junit-results", zip_bytes=story_zip(1))
    body = run_payload(101)
    bot.deliver("workflow_run", body, delivery_id="m-1")
    bot.deliver("workflow_run", body, delivery_id="m-1")
    forged = httpx.post(
        f"{bot.url}/webhooks/github",
        content=body,
        headers={"X-GitHub-Event": "workflow_run", "X-Hub-Signature-256": "sha256=00"},
    )
    assert forged.status_code == 401
    with httpx.Client(base_url=bot.url) as client:
        before = client.get("/metrics").text
        assert 'remediation_jobs{status="queued"} 1.0' in before  # the run (its sync comes next)
        bot.work()
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'remediation_jobs{status="queued"} 0.0' in response.text
    assert 'remediation_jobs{status="done"}' in response.text

    assert sample("remediation_deliveries_total", event="workflow_run", outcome="queued") == (
        queued + 1
    )
    assert sample("remediation_deliveries_total", event="workflow_run", outcome="duplicate") == (
        duplicate + 1
    )
    assert sample("remediation_deliveries_total", event="unverified", outcome="rejected") == (
        rejected + 1
    )
    assert sample("remediation_github_requests_total", method="GET", status="200") > gets
    assert sample("remediation_job_seconds_count", kind="sync_issue", outcome="done") > syncs
    assert (
        sample("remediation_job_attempts_bucket", kind="workflow_run", le="1.0") == first_tries + 1
    )
    remaining = sample("remediation_github_ratelimit_remaining", resource="core")
    assert 0 < remaining < 5000  # the fake's budget, as its x-ratelimit-remaining says


def test_unknown_event_names_are_one_label() -> None:
    before = sample("remediation_deliveries_total", event="other", outcome="ignored")
    telemetry.count_delivery("made_up_event_name", "ignored")
    assert sample("remediation_deliveries_total", event="other", outcome="ignored") == before + 1
    assert (
        sample("remediation_deliveries_total", event="made_up_event_name", outcome="ignored") == 0
    )


def test_queue_depth_survives_an_unreachable_database() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    try:
        telemetry.refresh_queue_depth(engine)  # logs, does not raise
    finally:
        engine.dispose()


def test_worker_endpoints_answer_health_and_metrics(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    server = telemetry.serve_worker_endpoints(0, engine, host="127.0.0.1")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with httpx.Client(base_url=base, timeout=5) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            assert 'remediation_jobs{status="queued"} 0.0' in client.get("/metrics").text
            assert client.get("/other").status_code == 404
    finally:
        server.shutdown()
        server.server_close()
        engine.dispose()


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the root and library loggers back as they were after configure_logging."""
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", *telemetry.QUIET_LOGGERS]
    saved = {
        name: (lg.handlers[:], lg.level, lg.propagate)
        for name in names
        for lg in [logging.getLogger(name)]
    }
    try:
        yield
    finally:
        for name, (handlers, level, propagate) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate


@pytest.mark.usefixtures("restored_logging")
def test_configure_logging_installs_one_handler_and_quiets_httpx(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(_env_file=None, log_format="json", log_level="warning")
    telemetry.configure_logging(settings)
    handler = telemetry.configure_logging(settings)  # again: replaced, not doubled
    root = logging.getLogger()
    assert [h for h in root.handlers if isinstance(h, type(handler))] == [handler]
    assert root.level == logging.WARNING
    # httpx logs every request URL at INFO, signed artifact URLs included.
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("uvicorn.access").handlers == []
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(__import__("sys").stderr)
    logging.getLogger("bot.test").warning("hello", extra={"job_id": 3})
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["message"], line["job_id"]) == ("hello", 3)


def test_log_settings_are_checked() -> None:
    settings = Settings(_env_file=None, log_level="debug")
    assert (settings.log_level, settings.log_format) == ("DEBUG", LogFormat.TEXT)
    with pytest.raises(ValueError, match="log_level"):
        Settings(_env_file=None, log_level="chatty")
    with pytest.raises(ValueError, match="log_format"):
        Settings(_env_file=None, log_format="xml")
