"""Logs: one handler on stderr, JSON or text lines with the job's fields, secrets redacted."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

if TYPE_CHECKING:
    from bot.config import Settings


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


# Loggers kept to warnings: httpx logs every request URL, signed artifact URLs included;
# uvicorn's access line per request cost a fifth of the webhook throughput, and every
# delivery is recorded in the store anyway.
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
