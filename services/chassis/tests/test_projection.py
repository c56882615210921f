"""Projections: upserts ordered by the aggregate's sequence, tombstones, and a rebuild by
resetting the consumer that feeds one."""

from uuid import UUID, uuid4

import pytest
from crm_chassis.consumer import Consumer, ConsumerRunner
from crm_chassis.orm import new_metadata
from crm_chassis.projection import Projection, projection_table
from crm_chassis.tables import inbox
from crm_testing.service import eventually
from sqlalchemy import Column, String, func, select, update

from .consuming import publish_raw, running, stopped
from .events import an_event
from .test_consumer_patterns import DEAL_CREATED, STAGE_CHANGED, a_deal_event

metadata = new_metadata()
DEALS = Projection(
    projection_table(
        "test_deal_projection", metadata, Column("name", String(100)), Column("stage", String(40))
    )
)
HANDLERS = {
    DEAL_CREATED: DEALS.upserts(lambda deal: {"name": deal.name, "stage": deal.stage}),
    STAGE_CHANGED: DEALS.upserts(lambda change: {"stage": change.to_stage}),
}


@pytest.fixture
async def deals(sessions, chassis_engine):
    async with chassis_engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return DEALS


async def rows(sessions) -> list[tuple]:
    t = DEALS.table
    async with sessions() as s:
        result = await s.execute(
            select(t.c.tenant_id, t.c.id, t.c.sequence, t.c.deleted, t.c.name, t.c.stage).order_by(
                t.c.id
            )
        )
        return [tuple(row) for row in result]


async def apply(sessions, handler, event):
    async with sessions() as s, s.begin():
        bound = handler.bind(event) if hasattr(handler, "bind") else handler
        await bound(s, event)


async def test_a_projection_ignores_an_older_event(sessions, deals):
    deal_id = uuid4()
    created = a_deal_event(deal_id=deal_id, sequence=1)
    won = a_deal_event(STAGE_CHANGED, deal_id=deal_id, sequence=3, to_stage="won")
    lost = a_deal_event(STAGE_CHANGED, deal_id=deal_id, sequence=2, to_stage="lost")
    for event in (won, lost, created):  # all of one tenant, arriving out of order
        event.tenantid = created.tenantid
    tenant_id = UUID(created.tenantid)

    await apply(sessions, HANDLERS[STAGE_CHANGED], won)
    await apply(sessions, HANDLERS[STAGE_CHANGED], lost)  # older: ignored
    await apply(sessions, HANDLERS[DEAL_CREATED], created)  # older still: fills no column
    assert [r[2:] for r in await rows(sessions)] == [(3, False, None, "won")]
    assert (await rows(sessions))[0][0] == tenant_id

    async with sessions() as s, s.begin():
        newer = await deals.upsert(
            s, tenant_id=tenant_id, id=deal_id, sequence=4, values={"name": "Renamed"}
        )
        same = await deals.upsert(
            s, tenant_id=tenant_id, id=deal_id, sequence=4, values={"name": "Again"}
        )
    assert (newer, same) == (True, False)
    assert [r[2:] for r in await rows(sessions)] == [(4, False, "Renamed", "won")]


async def test_a_tombstone_keeps_an_older_event_from_bringing_the_record_back(sessions, deals):
    deal_id = uuid4()
    created = a_deal_event(deal_id=deal_id, sequence=1)
    deleted = an_event()  # any event can drive a tombstone: its tenant, subject, sequence
    deleted.tenantid, deleted.subject, deleted.sequence = created.tenantid, str(deal_id), 5
    late = a_deal_event(STAGE_CHANGED, deal_id=deal_id, sequence=4, to_stage="won")
    late.tenantid = created.tenantid

    await apply(sessions, HANDLERS[DEAL_CREATED], created)
    await apply(sessions, deals.tombstones(), deleted)
    await apply(sessions, HANDLERS[STAGE_CHANGED], late)  # a replayed dead letter, say
    assert [r[2:] for r in await rows(sessions)] == [(5, True, "Big deal", "new")]
    async with sessions() as s:
        live = await s.execute(select(func.count()).select_from(deals.table).where(deals.live))
        assert live.scalar_one() == 0

    # a delete seen before any version (and without a sequence) is final
    unseen = an_event()
    unseen.sequence = None
    await apply(sessions, deals.tombstones(), unseen)
    never = a_deal_event(deal_id=uuid4(), sequence=100)
    never.tenantid, never.subject = unseen.tenantid, unseen.subject
    await apply(sessions, HANDLERS[DEAL_CREATED], never)
    assert sorted(r[3] for r in await rows(sessions)) == [True, True]


def deal_history():
    """Three deals, each created and then moved through stages: nine events."""
    events = []
    for _ in range(3):
        deal_id = uuid4()
        created = a_deal_event(deal_id=deal_id, sequence=1)
        events.append(created)
        for sequence, stage in ((2, "qualified"), (3, "won")):
            change = a_deal_event(STAGE_CHANGED, deal_id=deal_id, sequence=sequence, to_stage=stage)
            change.tenantid = created.tenantid
            events.append(change)
    return events


async def built(sessions, expected_count):
    async def check():
        current = await rows(sessions)
        assert len(current) == expected_count and all(r[5] == "won" for r in current)
        return current

    return await eventually(check)


async def test_a_reset_replays_the_stream_into_a_rebuilt_projection(sessions, bus, deals):
    for event in deal_history():
        await publish_raw(bus, event)
    consumer = Consumer("test-deals", HANDLERS)
    task = await running(ConsumerRunner(consumer, sessions, bus))
    try:
        before = await built(sessions, 3)
    finally:
        await stopped(task)
    async with sessions() as s, s.begin():  # the projection went wrong somehow
        await s.execute(update(deals.table).values(stage="corrupt", name=None))

    runner = ConsumerRunner(consumer, sessions, bus)
    await runner.reset(truncate=deals.truncate)
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(inbox))).scalar_one() == 0
    assert await rows(sessions) == []
    task = await running(runner)
    try:
        assert await built(sessions, 3) == before
    finally:
        await stopped(task)


async def test_a_running_consumer_replays_after_a_reset(sessions, bus, deals):
    """A reset while the runner runs: it resubscribes by itself and rebuilds all."""
    for event in deal_history():
        await publish_raw(bus, event)
    runner = ConsumerRunner(Consumer("test-deals-live", HANDLERS), sessions, bus)
    task = await running(runner)
    try:
        before = await built(sessions, 3)
        await runner.reset(truncate=deals.truncate)
        assert await built(sessions, 3) == before
        async with sessions() as s:
            count = select(func.count()).select_from(inbox)
            assert (await s.execute(count)).scalar_one() == 9
    finally:
        await stopped(task)
