"""Prometheus metrics: process-wide counters, the queue's depth, and their endpoints.

Metrics are process-wide prometheus-client objects, cheap to bump (no I/O, no database):
the webhook path only increments a counter. Queue depth is read from the store when
`/metrics` is scraped. Under `serve --workers N` each process counts alone unless
`PROMETHEUS_MULTIPROC_DIR` names a shared empty directory (prometheus-client's multiprocess
mode), which `/metrics` then aggregates.
"""

from __future__ import annotations

import logging
import os
import threading
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
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.store import queue

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

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
    except (SQLAlchemyError, OSError) as exc:  # an unreachable database must not break the scrape
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
