"""NATS stopped in the middle of a write load: the writes go on (their events wait in the
outbox), the service says it is not ready, and once NATS is back the outbox drains with
every event published exactly once."""

import asyncio

import httpx
from crm_testing.service import eventually

from .counting import (
    assert_one_event_per_contact,
    contacts_by_name,
    outbox_pending,
    wait_until_drained,
)
from .load import SCALE, WriteLoad

WRITES = 120 * SCALE
STOP_AFTER = 30 * SCALE  # definite answers before NATS stops
START_AFTER = 90 * SCALE  # ... and before it starts again


async def test_the_outbox_drains_once_nats_is_back(
    own_nats, start_contacts, contacts_db, auth, tenant
):
    service = start_contacts(CRM_NATS_URL=own_nats.url)
    async with httpx.AsyncClient(base_url=service.url, headers=auth, timeout=30) as http:

        async def readiness(nats_up: bool) -> None:
            checks = (await http.get("/readyz")).json()["checks"]
            assert checks["nats"] is nats_up

        await eventually(lambda: readiness(True), within=30)
        load = WriteLoad(http, WRITES)
        running = asyncio.create_task(load.run())
        await load.wait_until_done(STOP_AFTER)
        await asyncio.to_thread(own_nats.stop)
        at_stop = load.done
        await load.wait_until_done(START_AFTER)
        while_down = load.done - at_stop
        # Nothing written since the stop can have been published: it all waits.
        pending = await outbox_pending(contacts_db)
        assert while_down > 0 and pending >= while_down
        await eventually(lambda: readiness(False), within=30)
        await asyncio.to_thread(own_nats.start)
        await running

        assert load.done == WRITES
        assert (await contacts_by_name(contacts_db, tenant)) == dict.fromkeys(load.names, 1)

        await wait_until_drained(contacts_db)
        await eventually(lambda: readiness(True), within=30)
        await assert_one_event_per_contact(own_nats.url, contacts_db, tenant, WRITES)
