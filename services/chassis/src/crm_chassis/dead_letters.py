"""The dead-letter stream: where a consumer puts an event it gave up on, and how an
operator reads and replays one.

A dead letter is stored on ``crmdlq.<consumer>.<tenant id>.<original subject>`` (``_`` for
the tenant of a message that is not even a CloudEvent), so one tenant's letters of one
service's consumers are read with filter subjects on the server, never by scanning
everyone's. Its headers keep the original ones plus ``Crm-Consumer``, ``Crm-Error`` and
``Crm-Original-Subject``.

Replay republishes the original event on its original subject with a new ``Nats-Msg-Id``
(JetStream would drop a second copy under the old one) and then deletes the letter. Every
consumer of that subject receives it again, but only the one that gave up applies it: the
others hold the event id in their inbox, and the one that gave up never committed its own
inbox row (the runner deletes it in the transaction that recorded the failure, and an
event refused before handling never wrote one). A crash between publish and delete leaves
the letter to be replayed again, which the inbox absorbs the same way.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict

from crm_chassis.bus import DLQ_PREFIX, DLQ_STREAM

NO_TENANT = "_"
_OWN_HEADERS = ("Crm-Consumer", "Crm-Error", "Crm-Original-Subject", "Nats-Msg-Id")


def dead_letter_subject(consumer: str, tenant_id: str | None, subject: str) -> str:
    """Where ``consumer`` files a dead letter of ``tenant_id`` first seen on ``subject``."""
    return f"{DLQ_PREFIX}.{consumer}.{tenant_id or NO_TENANT}.{subject}"


def _split(dlq_subject: str) -> tuple[str, str, str]:
    """``(consumer, tenant, original subject)`` of a dead-letter subject."""
    _, consumer, tenant, original = dlq_subject.split(".", 3)
    return consumer, tenant, original


class DeadLetter(BaseModel):
    """One dead-lettered event as the dead-letter stream holds it."""

    model_config = ConfigDict(frozen=True)

    seq: int
    """The letter's sequence in the dead-letter stream: what a replay names."""
    consumer: str
    subject: str
    error: str | None
    dead_lettered_at: datetime | None
    event: dict[str, Any]


def _letter(seq: int, subject: str, headers: dict[str, str] | None, data: bytes | None, at):
    consumer, _, original = _split(subject)
    try:
        event = json.loads(data or b"")
    except ValueError:
        event = {"raw": (data or b"").decode("utf-8", "replace")}
    return DeadLetter(
        seq=seq,
        consumer=consumer,
        subject=original,
        error=(headers or {}).get("Crm-Error"),
        dead_lettered_at=at,
        event=event if isinstance(event, dict) else {"raw": event},
    )


async def list_dead_letters(
    js: JetStreamContext,
    *,
    consumers: list[str],
    tenant_id: UUID,
    after: int = 0,
    limit: int = 50,
) -> tuple[list[DeadLetter], int | None]:
    """The tenant's dead letters of ``consumers`` after stream sequence ``after``, oldest
    first, and the sequence to continue after (None on the last page).

    Reads through a short-lived ephemeral consumer filtered on the server; nothing is
    acknowledged or removed.
    """
    if not consumers:
        return [], None
    config = ConsumerConfig(
        filter_subjects=[dead_letter_subject(c, str(tenant_id), ">") for c in consumers],
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=after + 1,
        ack_policy=AckPolicy.NONE,
        inactive_threshold=30.0,
        mem_storage=True,
    )
    info = await js.add_consumer(DLQ_STREAM, config)
    pending = info.num_pending or 0
    try:
        wanted = min(limit, pending)
        letters: list[DeadLetter] = []
        if wanted:
            sub = await js.pull_subscribe_bind(consumer=info.name, stream=DLQ_STREAM)
            try:
                while len(letters) < wanted:
                    try:
                        fetched = await sub.fetch(wanted - len(letters), timeout=2.0)
                    except (NatsTimeout, TimeoutError):
                        break  # letters replayed meanwhile: the page is what is left
                    for msg in fetched:
                        meta = msg.metadata
                        letters.append(
                            _letter(
                                meta.sequence.stream,
                                msg.subject,
                                msg.headers,
                                msg.data,
                                meta.timestamp,
                            )
                        )
            finally:
                await sub.unsubscribe()
    finally:
        with contextlib.suppress(Exception):  # else it expires after inactive_threshold
            await js.delete_consumer(DLQ_STREAM, info.name)
    more = pending > len(letters)
    return letters, (letters[-1].seq if more and letters else None)


async def replay_dead_letter(
    js: JetStreamContext, *, consumers: list[str], tenant_id: UUID, seq: int
) -> DeadLetter | None:
    """Republish the dead letter at ``seq`` to its original subject and delete it; None
    when there is no such letter of this tenant and these consumers."""
    raw = await _own(js, consumers=consumers, tenant_id=tenant_id, seq=seq)
    if raw is None:
        return None
    letter = _letter(seq, raw.subject, raw.headers, raw.data, raw.time)
    headers = {k: v for k, v in (raw.headers or {}).items() if k not in _OWN_HEADERS}
    event_id = letter.event.get("id", "")
    # New for each letter (so never deduplicated against the first delivery) and the same
    # for a repeated replay of one letter (so a retried request publishes it once).
    headers["Nats-Msg-Id"] = f"{event_id}:replay:{seq}"
    await js.publish(letter.subject, raw.data or b"", headers=headers)
    await js.delete_msg(DLQ_STREAM, seq)
    return letter


async def _own(js: JetStreamContext, *, consumers: list[str], tenant_id: UUID, seq: int):
    try:
        raw = await js.get_msg(DLQ_STREAM, seq)
    except NotFoundError:
        return None
    consumer, tenant, _ = _split(raw.subject or f"{DLQ_PREFIX}.-.-.-")
    if consumer not in consumers or tenant != str(tenant_id):
        return None  # another tenant's or another service's letter: as if absent
    return raw
