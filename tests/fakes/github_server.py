"""Serve a FakeGitHub with uvicorn on 127.0.0.1: the API on one port, the blob host on another."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from .github import FakeGitHub


@dataclass(frozen=True)
class ServedFake:
    """Where a served fake listens, and what the bot needs to act as its App."""

    api_url: str  # e.g. "http://127.0.0.1:PORT/" or ".../api/v3/" (GHES style)
    blob_url: str
    private_key_pem: str
    app_id: int
    fake: FakeGitHub


@contextmanager
def _uvicorn(app: ASGIApp) -> Iterator[int]:
    """Run `app` in a thread on an ephemeral port; yield the port; stop cleanly."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    # No signal handlers to turn off: uvicorn (>= 0.29) only captures signals on the main thread.
    thread = threading.Thread(target=server.run, name="fake-github-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake GitHub server did not start")
        time.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[ServedFake]:
    """Serve `fake` over real HTTP until the block exits."""
    with ExitStack() as stack:
        blob_port = stack.enter_context(_uvicorn(fake.blob_app))
        api_port = stack.enter_context(_uvicorn(fake.app))
        blob_url = f"http://127.0.0.1:{blob_port}/"
        previous, fake.blob_url = fake.blob_url, blob_url
        stack.callback(setattr, fake, "blob_url", previous)
        yield ServedFake(
            api_url=f"http://127.0.0.1:{api_port}{fake.api_prefix}/",
            blob_url=blob_url,
            private_key_pem=fake.private_key_pem,
            app_id=fake.app_id,
            fake=fake,
        )
