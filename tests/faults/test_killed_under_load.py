"""contacts-service killed with SIGKILL in the middle of a write load and started again:
every write a client made is stored exactly once, the outbox drains, and a consumer of
the stream receives exactly one contact.created per contact."""

import asyncio

import httpx
from crm_testing.service import eventually

from .counting import (
    CONTACT_CREATED,
    contact_ids,
    contacts_by_name,
    delivered_events,
    outbox_pending,
)
from .load import SCALE, WriteLoad

WRITES = 120 * SCALE
KILL_AFTER = 40 * SCALE  # definite answers before the kill


async def test_writes_survive_a_kill_mid_load_exactly_once(
    start_contacts, contacts_db, nats_url, auth, tenant
):
    service = start_contacts()
    async with httpx.AsyncClient(base_url=service.url, headers=auth, timeout=30) as http:
        load = WriteLoad(http, WRITES)
        running = asyncio.create_task(load.run())
        await load.wait_until_done(KILL_AFTER)
        service.kill()
        at_kill = load.done
        await asyncio.to_thread(service.start)
        await running

        assert KILL_AFTER <= at_kill < WRITES  # the kill landed in the middle
        assert load.interrupted > 0  # writes in flight were cut off
        # Every write is stored, once: those acknowledged with their acknowledged id, and
        # those whose process died after the commit (their retry said so).
        assert load.done == WRITES
        stored = await contacts_by_name(contacts_db, tenant)
        assert stored == dict.fromkeys(load.names, 1)
        ids = await contact_ids(contacts_db, tenant)
        assert set(load.acknowledged.values()) <= ids
        assert len(ids) == WRITES

        async def drained() -> None:
            assert await outbox_pending(contacts_db) == 0

        await eventually(drained, within=30)
        events = await delivered_events(nats_url, tenant, CONTACT_CREATED)
        # One event per contact, none twice: a batch the dead relay had published but
        # not yet deleted was published again and dropped by JetStream as a duplicate.
        assert len(events) == WRITES
        assert len({e["id"] for e in events}) == WRITES
        assert sorted(e["subject"] for e in events) == sorted(ids)
