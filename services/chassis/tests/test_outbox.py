"""The outbox commits with the change, and the relay publishes each event exactly once."""

import json

import nats
import pytest
from crm_chassis.bus import STREAM, Bus
from crm_chassis.outbox import OutboxRelay, emit
from crm_chassis.tables import outbox
from sqlalchemy import delete, func, insert, select

from .conftest import Widget
from .events import an_event


async def stream_events(nats_url: str) -> list[dict]:
    """Every message in the CRM stream, in order (an ordered, ephemeral consumer)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(STREAM)
        if info.state.messages == 0:
            return []
        sub = await js.subscribe("crm.>", ordered_consumer=True)
        out = []
        for _ in range(info.state.messages):
            msg = await sub.next_msg(timeout=5)
            out.append(json.loads(msg.data))
        return out
    finally:
        await nc.close()


async def pending(sessions) -> int:
    async with sessions() as s:
        stmt = select(func.count()).select_from(outbox)
        return (await s.execute(stmt)).scalar_one()


@pytest.fixture
async def private_nats(nats_factory):
    server = nats_factory()
    bus = Bus(server.url, name="test")
    await bus.start()
    yield server, bus
    await bus.close()


async def test_event_commits_with_the_state_change_or_not_at_all(sessions):
    event = an_event()
    with pytest.raises(RuntimeError):
        async with sessions() as s, s.begin():
            s.add(Widget(tenant_id=event.tenantid, name="w"))
            await emit(s, event)
            raise RuntimeError("the request failed after writing")
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(outbox))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(Widget))).scalar_one() == 0


async def test_relay_publishes_with_the_event_id_as_msg_id_and_deletes_rows(sessions, private_nats):
    server, bus = private_nats
    events = [an_event() for _ in range(5)]
    async with sessions() as s, s.begin():
        await emit(s, *events)
    relay = OutboxRelay(sessions, bus, batch_size=2)
    assert [await relay.publish_batch() for _ in range(4)] == [2, 2, 1, 0]
    assert await pending(sessions) == 0
    published = await stream_events(server.url)
    assert [e["id"] for e in published] == [e.id for e in events]
    nc = await nats.connect(server.url)
    msg = await nc.jetstream().get_msg(STREAM, 1)
    await nc.close()
    assert msg.headers["Nats-Msg-Id"] == events[0].id


async def test_writes_succeed_while_nats_is_down_and_publish_once_when_it_returns(
    sessions, private_nats
):
    server, bus = private_nats
    await bus.wait_ready(timeout=10)
    server.stop()
    relay = OutboxRelay(sessions, bus, publish_timeout=0.5)
    written = []
    for i in range(20):
        async with sessions() as s, s.begin():
            event = an_event()
            s.add(Widget(tenant_id=event.tenantid, name="w"))
            await emit(s, event)
            written.append(event.id)
        if i % 7 == 0:  # the relay keeps trying meanwhile, and fails
            with pytest.raises(Exception):  # noqa: B017 (any transport error: NATS is down)
                await relay.publish_batch()
    assert await pending(sessions) == 20

    server.start()
    total = 0
    for _ in range(200):
        try:
            total += await relay.publish_batch()
        except Exception:
            await _pause()
            continue
        if total == 20:
            break
    assert await pending(sessions) == 0
    assert [e["id"] for e in await stream_events(server.url)] == written


async def test_a_relay_that_dies_after_publishing_republishes_without_duplicates(
    sessions, private_nats
):
    """A crash between publishing and the commit leaves rows pending; the restart's
    re-publication is dropped by JetStream (same Nats-Msg-Id within its window)."""
    server, bus = private_nats
    events = [an_event() for _ in range(10)]
    async with sessions() as s, s.begin():
        await emit(s, *events)
    async with sessions() as s:
        before = [dict(r._mapping) for r in await s.execute(select(outbox))]
    relay = OutboxRelay(sessions, bus, batch_size=6)
    assert await relay.publish_batch() == 6
    assert await pending(sessions) == 4
    # The state a kill -9 between publish and commit leaves: published, rows still there.
    async with sessions() as s, s.begin():
        await s.execute(delete(outbox))
        await s.execute(insert(outbox), before)
    restarted = OutboxRelay(sessions, bus, batch_size=100)
    assert await restarted.publish_batch() == 10
    assert [e["id"] for e in await stream_events(server.url)] == [e.id for e in events]


async def test_two_relays_never_claim_the_same_rows(sessions, private_nats):
    import asyncio

    server, bus = private_nats
    events = [an_event() for _ in range(300)]
    async with sessions() as s, s.begin():
        await emit(s, *events)
    first, second = (
        OutboxRelay(sessions, bus, batch_size=50),
        OutboxRelay(sessions, bus, batch_size=50),
    )

    async def drain(relay):
        n = 0
        while (k := await relay.publish_batch()) > 0:
            n += k
        return n

    counts = await asyncio.gather(drain(first), drain(second))
    assert sum(counts) == 300
    assert len(await stream_events(server.url)) == 300


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.1)


async def test_outbox_lag_is_the_age_of_the_oldest_waiting_event(sessions, private_nats):
    import os
    import time
    from uuid import UUID

    from prometheus_client import REGISTRY

    def lag():
        return REGISTRY.get_sample_value("crm_outbox_lag_seconds")

    def uuid7_at(unix_ms: int) -> UUID:
        """RFC 9562: 48 bits of milliseconds, version 7, variant 0b10, random bits."""
        random_bits = int.from_bytes(os.urandom(10)) & ((1 << 62) - 1)
        rand_a = int.from_bytes(os.urandom(2)) & 0xFFF
        return UUID(int=(unix_ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | random_bits)

    _, bus = private_nats
    old = an_event()
    old.id = str(uuid7_at(int(time.time() * 1000) - 60_000))  # written a minute ago
    async with sessions() as s, s.begin():
        await emit(s, old, an_event())
    relay = OutboxRelay(sessions, bus, batch_size=10)
    assert await relay.publish_batch() == 2
    assert 59 < lag() < 120
    assert await relay.publish_batch() == 0
    assert lag() == 0
