"""Request bodies read within a byte limit while they stream, so nothing large is buffered.

A chunked body carries no Content-Length to refuse up front; counting the chunks as they
arrive stops at the limit, so a 1 GiB body costs the server no more memory than the limit.
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import Message


class BodyTooLarge(Exception):
    """The request body passed its limit; answer 413 and read no further."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is over {limit:,} bytes")
        self.limit = limit


def declared_too_large(request: Request, limit: int) -> bool:
    """Whether the request's Content-Length already says the body is over `limit`."""
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


async def read_within(request: Request, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as more than `limit` bytes have arrived."""
    if declared_too_large(request, limit):
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def bounded(request: Request, limit: int) -> Request:
    """The same request, whose body raises BodyTooLarge past `limit` bytes when read."""
    if declared_too_large(request, limit):
        raise BodyTooLarge(limit)
    seen = 0

    async def receive() -> Message:
        nonlocal seen
        message = await request.receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return Request(request.scope, receive)
