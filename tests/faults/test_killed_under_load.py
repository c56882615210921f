"""contacts-service killed with SIGKILL in the middle of a write load and started again:
every write a client made is stored exactly once, the outbox drains, and a consumer of
the stream receives exactly one contact.created per contact."""

import asyncio

import httpx

from .counting import (
    assert_one_event_per_contact,
    contact_ids,
    contacts_by_name,
    wait_until_drained,
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
        acknowledged = set(load.acknowledged.values())
        assert acknowledged <= await contact_ids(contacts_db, tenant)
        await wait_until_drained(contacts_db)
        # One event per contact, none twice: a batch the dead relay had published but
        # not yet deleted was published again and dropped by JetStream as a duplicate.
        await assert_one_event_per_contact(nats_url, contacts_db, tenant, WRITES)
