"""What the fault tests count: a tenant's rows, the outbox, and the events in the stream."""

from __future__ import annotations

import json
from collections import Counter
from uuid import UUID

import asyncpg
import nats
from crm_chassis.bus import STREAM
from crm_local.postgres import libpq_url
from crm_testing.service import eventually
from nats.errors import TimeoutError as NatsTimeout

CONTACT_CREATED = "crm.contacts.contact.created.v1"


async def contacts_by_name(db_url: str, tenant: UUID) -> Counter[str]:
    """How many rows of the tenant's contacts hold each first name."""
    conn = await asyncpg.connect(libpq_url(db_url))
    try:
        rows = await conn.fetch(
            "SELECT first_name, count(*) AS n FROM contacts WHERE tenant_id = $1 "
            "GROUP BY first_name",
            tenant,
        )
    finally:
        await conn.close()
    return Counter({row["first_name"]: row["n"] for row in rows})


async def contact_ids(db_url: str, tenant: UUID) -> set[str]:
    conn = await asyncpg.connect(libpq_url(db_url))
    try:
        rows = await conn.fetch("SELECT id FROM contacts WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()
    return {str(row["id"]) for row in rows}


async def outbox_pending(db_url: str) -> int:
    """Rows of the service's outbox not yet published."""
    conn = await asyncpg.connect(libpq_url(db_url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox"))
    finally:
        await conn.close()


async def delivered_events(nats_url: str, tenant: UUID, type_: str) -> list[dict]:
    """Every event of ``type_`` and ``tenant`` a new consumer of the stream receives,
    read from its start up to the last message stored when the call began, in order."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        last = (await js.stream_info(STREAM)).state.last_seq
        subject = type_.rsplit(".", 1)[0]  # crm.contacts.contact.created
        reader = await js.pull_subscribe(subject, stream=STREAM)
        events, seen = [], 0
        while seen < last:
            try:
                batch = await reader.fetch(500, timeout=2)
            except NatsTimeout:
                break  # nothing of this subject after the last one read
            for msg in batch:
                seen = msg.metadata.sequence.stream
                event = json.loads(msg.data)
                if event["tenantid"] == str(tenant) and event["type"] == type_:
                    events.append(event)
                await msg.ack()
        await reader.unsubscribe()
        return events
    finally:
        await nc.close()


async def wait_until_drained(db_url: str, within: float = 60) -> None:
    """Return once the service's outbox is empty (every event published)."""

    async def drained() -> None:
        assert await outbox_pending(db_url) == 0

    await eventually(drained, within=within)


async def assert_one_event_per_contact(
    nats_url: str, db_url: str, tenant: UUID, count: int
) -> None:
    """A new consumer of the stream receives exactly one contact.created per contact of
    the tenant, ``count`` in all, none twice."""
    events = await delivered_events(nats_url, tenant, CONTACT_CREATED)
    ids = await contact_ids(db_url, tenant)
    assert len(ids) == count
    assert len(events) == count
    assert len({e["id"] for e in events}) == count
    assert sorted(e["subject"] for e in events) == sorted(ids)
