"""The issue's yardstick for webhook acknowledgement: a bare FastAPI endpoint, HMAC + one insert.

Issue #4 quotes "a bare FastAPI endpoint doing HMAC + one SQLite insert" served by uvicorn
with 2 workers. `benchmarks.webhooks` serves this module that way beside `remediation-bot
serve`, on the same machine in the same run, so the bot's figures read against what the
bare minimum achieves here rather than against a number measured on another day.

    REFERENCE_DATABASE=/tmp/ref.db REFERENCE_SECRET=s uvicorn benchmarks.reference_webhook:app
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()
_SECRET = os.environ.get("REFERENCE_SECRET", "").encode()
_connection: sqlite3.Connection | None = None


def _database() -> sqlite3.Connection:
    """One connection per worker process, opened on first use (after uvicorn forks)."""
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(os.environ["REFERENCE_DATABASE"], timeout=30)
        _connection.execute("PRAGMA synchronous=NORMAL")
        _connection.execute(
            "CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY, "
            "delivery_id TEXT UNIQUE, event TEXT, received_at REAL)"
        )
        _connection.commit()
    return _connection


@app.post("/webhooks/github", status_code=202)
async def receive(request: Request) -> JSONResponse:
    """Verify the signature, insert the delivery, answer 202."""
    body = await request.body()
    expected = "sha256=" + hmac.new(_SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("x-hub-signature-256", "")):
        return JSONResponse({"message": "bad signature"}, status_code=401)
    connection = _database()
    with connection:
        connection.execute(
            "INSERT INTO deliveries (delivery_id, event, received_at) VALUES (?, ?, ?)",
            (
                request.headers.get("x-github-delivery"),
                request.headers.get("x-github-event"),
                time.time(),
            ),
        )
    return JSONResponse({"message": "queued"}, status_code=202)
