"""The webhook edge: read the body within limits, take it in, record it, answer 202.

GitHub gives up on a delivery after 10 s and never redelivers on its own, so this handler
does no GitHub call and no parsing beyond `bot.core.events.intake`; the worker does the rest.
A redelivery (same `X-GitHub-Delivery`) is answered 200 and creates nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot import telemetry
from bot.config import Settings
from bot.core.events import Arrival, Refusal, intake
from bot.store.inbox import Inbox
from bot.web.limits import BodyTooLarge, read_within

log = logging.getLogger(__name__)


def router(settings: Settings, inbox: Inbox) -> APIRouter:
    """The webhook endpoint, bound to the app's settings and the inbox that records deliveries."""
    api = APIRouter()
    secret = settings.github_webhook_secret

    @api.post("/webhooks/github", status_code=202, tags=["webhooks"])
    async def receive(request: Request) -> JSONResponse:
        """Verify a GitHub delivery, record it, queue its work, and answer at once."""
        try:
            body = await read_within(request, settings.webhook_max_bytes)
        except BodyTooLarge as exc:
            return _answer(413, f"payload too large: {exc}")
        taken = intake(request.headers, body, secret.get_secret_value() if secret else None)
        if isinstance(taken, Refusal):
            if taken.status == 401:
                telemetry.count_delivery("unverified", "rejected")  # a wrong secret shows here
            return _answer(taken.status, taken.message)
        return await _record(inbox, taken)

    return api


async def _record(inbox: Inbox, arrival: Arrival) -> JSONResponse:
    """Commit the delivery and its job; 503 when the store cannot, so GitHub may redeliver."""
    delivery = arrival.delivery_id
    try:
        fresh = await inbox.record(arrival)
    except Exception:  # the store failed: say so, and let GitHub's redelivery retry it
        log.exception("delivery not recorded", extra={"delivery_id": delivery})
        return _answer(
            503,
            "the delivery could not be stored; redeliver it once the bot's "
            "store is back (the bot's log says why)",
        )
    status = "queued" if arrival.route.kind else "ignored"
    telemetry.count_delivery(arrival.event, status if fresh else "duplicate")
    if not fresh:
        return _answer(200, "duplicate delivery: already received", delivery=delivery)
    log.debug(  # every delivery is in the deliveries table (and the operations page)
        "delivery recorded",
        extra={"delivery_id": delivery, "event": arrival.event, "queued": status == "queued"},
    )
    return _answer(202, arrival.route.reason or status, status=status, delivery=delivery)


def _answer(code: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=code)
