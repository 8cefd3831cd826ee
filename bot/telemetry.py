"""Observability: JSON logs with the job's fields, secrets redacted; Prometheus metrics.

Metrics are process-wide prometheus-client objects, cheap to bump (no I/O, no database):
the webhook path only increments a counter. Queue depth is read from the store when
`/metrics` is scraped. Under `serve --workers N` each process counts alone unless
`PROMETHEUS_MULTIPROC_DIR` names a shared empty directory (prometheus-client's multiprocess
mode), which `/metrics` then aggregates.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session

from bot.store import queue

if TYPE_CHECKING:
    import httpx

    from bot.config import Settings

log = logging.getLogger(__name__)

# -- metrics ------------------------------------------------------------------------------

DELIVERIES = Counter(
    "remediation_deliveries",
    "Webhook deliveries received, by event and outcome (queued, ignored, duplicate, rejected).",
    ["event", "outcome"],
)
JOB_SECONDS = Histogram(
    "remediation_job_seconds",
    "Time a worker spent on one job, by kind and outcome (done, retry, dead, deferred, lost).",
    ["kind", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
JOB_ATTEMPTS = Histogram(
    "remediation_job_attempts",
    "The attempt number a job finished on (1: first try), by kind.",
    ["kind"],
    buckets=(1, 2, 3, 4, 6, 10),
)
QUEUE_DEPTH = Gauge(
    "remediation_jobs",
    "Jobs in the store by status, read when /metrics is scraped.",
    ["status"],
    multiprocess_mode="mostrecent",
)
GITHUB_CALLS = Counter(
    "remediation_github_requests",
    "GitHub REST API requests, by method and status code (or 'error' without an answer).",
    ["method", "status"],
)
GITHUB_RATELIMIT_REMAINING = Gauge(
    "remediation_github_ratelimit_remaining",
    "x-ratelimit-remaining of the latest GitHub answer, by x-ratelimit-resource.",
    ["resource"],
    multiprocess_mode="mostrecent",
)

# A label per event GitHub may send an App like this one; anything else (a forged header
# cannot get here: the signature is checked first) is counted as "other".
KNOWN_EVENTS = frozenset(
    {
        "ping",
        "installation",
        "installation_repositories",
        "issues",
        "issue_comment",
        "workflow_run",
        "workflow_job",
        "check_run",
        "check_suite",
        "github_app_authorization",
        "installation_target",
        "repository",
        "meta",
        "unverified",  # a delivery whose signature failed: its event header is not trusted
    }
)


def count_delivery(event: str, outcome: str) -> None:
    """One delivery answered with this outcome."""
    DELIVERIES.labels(event if event in KNOWN_EVENTS else "other", outcome).inc()


def record_job(kind: str, outcome: str, seconds: float, attempt: int) -> None:
    """A job run ended: its duration, and on a final outcome the attempt it ended on."""
    JOB_SECONDS.labels(kind, outcome).observe(seconds)
    if outcome in ("done", "dead"):
        JOB_ATTEMPTS.labels(kind).observe(attempt)


def record_github_call(method: str, response: httpx.Response | None) -> None:
    """A GitHub request: count it, and keep the rate-limit budget it reports."""
    if response is None:
        GITHUB_CALLS.labels(method, "error").inc()
        return
    GITHUB_CALLS.labels(method, str(response.status_code)).inc()
    remaining = response.headers.get("x-ratelimit-remaining")
    if remaining is not None and remaining.isdigit():
        resource = response.headers.get("x-ratelimit-resource", "core")
        GITHUB_RATELIMIT_REMAINING.labels(resource).set(int(remaining))


def refresh_queue_depth(engine: Engine) -> None:
    """Read jobs per status from the store into the gauge (at scrape time only)."""
    try:
        with Session(engine) as session:
            depth = queue.counts(session=session)
    except Exception as exc:  # an unreachable database must not break the scrape
        log.warning("queue depth unavailable: %s", type(exc).__name__)
        return
    for status, count in depth.items():
        QUEUE_DEPTH.labels(status).set(count)


def exposition() -> bytes:
    """The metrics in Prometheus' text format (all processes in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics_router(engine: Engine) -> APIRouter:
    """`GET /metrics` for Prometheus; keep it off the public ingress."""
    router = APIRouter()

    @router.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics() -> Response:
        """Prometheus metrics of this process (queue depth fresh from the store)."""
        refresh_queue_depth(engine)
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


def serve_worker_endpoints(port: int, engine: Engine, *, host: str) -> ThreadingHTTPServer:
    """A standalone worker's `/healthz` and `/metrics` on a daemon thread (probes, scrapes)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/healthz":
                body, kind = b'{"status":"ok"}', "application/json"
            elif self.path == "/metrics":
                refresh_queue_depth(engine)
                body, kind = exposition(), CONTENT_TYPE_LATEST
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # probes every few seconds
            return

    server = ThreadingHTTPServer((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="worker-endpoints", daemon=True)
    thread.start()
    return server


# -- logs ---------------------------------------------------------------------------------

# What a log line must never carry: GitHub tokens (installation, personal, fine-grained,
# OAuth), the App's JWT, PEM private keys, and the bot's own upload tokens.
SECRET_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S),
    re.compile(r"\b(gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{20,})"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"),
    re.compile(r"\brbt_[A-Za-z0-9_-]{16,}"),
    re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9_.-]{16,}"),
)
SECRET_KEYS = re.compile(r"(?i)(token|secret|password|private_key|authorization|signature)")
REDACTED = "[redacted]"
# The fields of every LogRecord; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class Redactor:
    """Masks secret values: the configured ones exactly, and anything shaped like a secret."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Shortest last, so a secret containing another is masked whole.
        self._exact = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """`text` with every secret replaced."""
        for secret in self._exact:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern in SECRET_PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and every `extra` field."""

    def __init__(self, redact: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON; secrets masked, `extra` fields kept (delivery_id, job_id...)."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_") or key in entry:
                continue
            entry[key] = self._field(key, value)
        if record.exc_info:
            entry["exception"] = self._redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self._redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)

    def _field(self, key: str, value: Any) -> Any:
        if SECRET_KEYS.search(key):
            return REDACTED
        if value is None or isinstance(value, bool | int | float):
            return value
        return self._redact(value if isinstance(value, str) else str(value))


class TextFormatter(logging.Formatter):
    """Plain lines for people at a terminal, secrets masked, `extra` fields appended."""

    def __init__(self, redact: Callable[[str], str] | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        """The line, with `key=value` for each `extra` field."""
        line = super().format(record)
        fields = [
            f"{key}={REDACTED if SECRET_KEYS.search(key) else value}"
            for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")
        ]
        return self._redact(f"{line} [{' '.join(fields)}]" if fields else line)


class _BotHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler `configure_logging` installed, so a second call replaces it."""


# Loggers whose INFO lines would carry signed artifact URLs (httpx logs every request URL).
# httpx would print signed artifact URLs; uvicorn's access line per request cost a fifth
# of the webhook throughput, and every delivery is recorded in the store anyway.
QUIET_LOGGERS = ("httpx", "httpcore", "hishel", "uvicorn.access")


def secret_values(settings: Settings) -> list[str]:
    """Every secret setting's value (webhook secret, tokens, private key...), for masking."""
    values = [getattr(settings, name) for name in type(settings).model_fields]
    return [v.get_secret_value() for v in values if isinstance(v, SecretStr)]


def configure_logging(settings: Settings) -> logging.Handler:
    """Send every log line to stderr as LOG_FORMAT says (json or text), at LOG_LEVEL."""
    redact = Redactor(secret_values(settings))
    formatter: logging.Formatter = (
        JsonFormatter(redact) if settings.log_format == "json" else TextFormatter(redact)
    )
    handler = _BotHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _BotHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own handlers would print its lines a second time, unformatted.
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
