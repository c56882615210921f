"""Reading the CRM stream from a sequence number, for a rebuild (not a durable consumer).

A rebuild reads the stream as it is, from its first event, without disturbing the live
consumer: each read is an ephemeral, unacknowledged consumer starting at a sequence.
"""

from __future__ import annotations

import contextlib

from crm_chassis.bus import STREAM, Bus
from crm_proto import CloudEvent
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError


async def bounds(bus: Bus) -> tuple[int, int]:
    """The stream's first and last sequence numbers (last < first when empty)."""
    js = await bus.wait_ready(10)
    state = (await js.stream_info(STREAM)).state
    return state.first_seq, state.last_seq


async def read(bus: Bus, start: int, limit: int, last: int) -> tuple[list[CloudEvent], int]:
    """Up to ``limit`` events from sequence ``start`` to ``last``; the next sequence.

    A message that is not a CloudEvent is skipped (the live consumer dead-letters it).
    """
    js = await bus.wait_ready(10)
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=start,
        ack_policy=AckPolicy.NONE,
        inactive_threshold=30.0,
    )
    sub = await js.pull_subscribe("crm.>", stream=STREAM, config=config)
    events: list[CloudEvent] = []
    following = start
    try:
        while following <= last and len(events) < limit:
            want = min(limit - len(events), last - following + 1, 1000)
            try:
                messages = await sub.fetch(want, timeout=2.0)
            except (NatsTimeout, TimeoutError):
                break
            for msg in messages:
                seq = msg.metadata.sequence.stream
                if seq > last:
                    following = last + 1
                    break
                following = seq + 1
                with contextlib.suppress(ValidationError):
                    events.append(CloudEvent.model_validate_json(msg.data))
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
    return events, following
