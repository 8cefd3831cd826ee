"""In-process httpx transports onto a FakeGitHub (no sockets), for fast unit tests.

The API and the blob host share one transport, told apart by the Host header, so the
artifact redirect still crosses origins and httpx still drops `Authorization`. Use a real
server (serve()) to catch socket-only problems such as streaming after the client closed.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from .github import FakeGitHub


def _by_host(fake: FakeGitHub) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode()
        target = fake.blob_app if host == urlsplit(fake.blob_url).netloc else fake.app
        await target(scope, receive, send)

    return app


def async_transport(fake: FakeGitHub) -> httpx.AsyncBaseTransport:
    """For githubkit's `async_transport=` (async calls)."""
    return httpx.ASGITransport(app=_by_host(fake))


class SyncTransport(httpx.BaseTransport):
    """For githubkit's `transport=` (sync calls): runs the ASGI app on a short-lived loop.

    Not usable from inside a running event loop (sync githubkit calls in async tests).
    """

    def __init__(self, fake: FakeGitHub) -> None:
        self._app = _by_host(fake)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request through the ASGI app."""
        body = request.read()

        async def call() -> tuple[int, httpx.Headers, bytes]:
            inner = httpx.ASGITransport(app=self._app)
            copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await inner.handle_async_request(copy)
            content = await response.aread()
            await response.aclose()
            return response.status_code, response.headers, content

        status, headers, content = asyncio.run(call())
        return httpx.Response(status, headers=headers, content=content, request=request)


def transport(fake: FakeGitHub) -> httpx.BaseTransport:
    """For githubkit's `transport=` (sync calls)."""
    return SyncTransport(fake)
