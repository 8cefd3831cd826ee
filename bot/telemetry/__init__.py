"""Observability: Prometheus metrics (`metrics`) and redacted, structured logs (`logs`)."""

from bot.telemetry.logs import (
    QUIET_LOGGERS,
    JsonFormatter,
    Redactor,
    TextFormatter,
    configure_logging,
    secret_values,
)
from bot.telemetry.metrics import (
    count_delivery,
    metrics_router,
    record_github_call,
    record_job,
    refresh_queue_depth,
    serve_worker_endpoints,
)

__all__ = [
    "QUIET_LOGGERS",
    "JsonFormatter",
    "Redactor",
    "TextFormatter",
    "configure_logging",
    "count_delivery",
    "metrics_router",
    "record_github_call",
    "record_job",
    "refresh_queue_depth",
    "secret_values",
    "serve_worker_endpoints",
]
