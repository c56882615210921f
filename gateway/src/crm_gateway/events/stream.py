"""``GET /v1/events/stream``: the caller's tenant's CloudEvents as server-sent events.

Each event's SSE ``id`` is its sequence in the ``CRM`` stream; a client that reconnects
with ``Last-Event-ID`` resumes right after it (EventSource does this by itself), within
the stream's retention. Without it the stream starts with the next event. Events of other
tenants are skipped; ``types`` filters by type with ``*`` wildcards. Internal events carry
every field of a record, so the stream needs the ``events:read`` scope (admins hold it).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated

from crm_chassis.auth import Actor, require_scope
from crm_chassis.bus import STREAM, Bus
from crm_chassis.errors import ValidationFailed
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, DeliverPolicy

from crm_gateway.webhooks.dispatch import matches

router = APIRouter(prefix="/v1/events", tags=["events"])
HEARTBEAT_SECONDS = 15.0


def _start(last_event_id: str | None) -> ConsumerConfig:
    if last_event_id is None:
        return ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    if not last_event_id.isdigit():
        raise ValidationFailed(
            "Last-Event-ID must be an id this stream sent",
            errors=[{"field": "Last-Event-ID", "message": "not a stream position"}],
        )
    return ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=int(last_event_id) + 1
    )


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_events(
    request: Request,
    actor: Annotated[Actor, require_scope("events:read")],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
    types: Annotated[list[str] | None, Query(max_length=50)] = None,
) -> StreamingResponse:
    """The tenant's events as they happen (``text/event-stream``)."""
    config = _start(last_event_id)
    bus: Bus = request.app.state.bus
    js = await bus.wait_ready(timeout=5)
    sub = await js.subscribe("crm.>", stream=STREAM, ordered_consumer=True, config=config)
    tenant = str(actor.tenant_id)

    async def events() -> AsyncIterator[bytes]:
        try:
            yield b": connected\n\n"
            while True:
                try:
                    msg = await sub.next_msg(timeout=HEARTBEAT_SECONDS)
                except (TimeoutError, NatsTimeout):
                    yield b": keep-alive\n\n"
                    continue
                event = json.loads(msg.data)
                if event.get("tenantid") != tenant:
                    continue
                if types and not matches(types, event.get("type", "")):
                    continue
                seq = msg.metadata.sequence.stream
                yield f"id: {seq}\nevent: {event['type']}\ndata: {msg.data.decode()}\n\n".encode()
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
