"""Consumers: durable, explicit ack, inbox for exactly-once effect, dead letters."""

import asyncio
import json
from uuid import uuid4

import nats
from crm_chassis.bus import DLQ_STREAM
from crm_chassis.consumer import Batched, Consumer, ConsumerRunner
from crm_chassis.outbox import OutboxRelay, emit
from crm_testing.service import eventually
from nats.js.errors import NotFoundError
from sqlalchemy import func, select

from .conftest import Effect
from .consuming import (
    effects,
    publish_raw,
    record,
    run_until_one_dead_letter,
    running,
)
from .events import an_event

TYPE = "crm.contacts.contact.deleted.v1"


async def test_each_event_has_one_effect_even_when_delivered_twice(sessions, bus):
    events = [an_event() for _ in range(3)]
    async with sessions() as s, s.begin():
        await emit(s, *events)
    await OutboxRelay(sessions, bus).publish_batch()
    # A copy past JetStream's duplicate window (another msg id): only the inbox stops it.
    await publish_raw(bus, events[0], "late-copy")

    runner = ConsumerRunner(Consumer("test-inbox", {TYPE: record}), sessions, bus)
    task = await running(runner)

    async def all_handled():
        try:
            info = await bus.js.consumer_info("CRM", "test-inbox")
        except NotFoundError:
            raise AssertionError("the consumer is not created yet") from None
        assert info.num_pending == 0 and info.num_ack_pending == 0
        assert await effects(sessions) == [e.id for e in events]

    try:
        await eventually(all_handled)
    finally:
        task.cancel()


async def test_a_restarted_consumer_resumes_where_it_left_off(sessions, bus):
    runner = ConsumerRunner(Consumer("test-resume", {TYPE: record}), sessions, bus)
    first = an_event()
    await publish_raw(bus, first, first.id)
    task = await running(runner)
    await eventually(lambda: _expect(effects(sessions), [first.id]))
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    second = an_event()
    await publish_raw(bus, second, second.id)
    task = await running(ConsumerRunner(Consumer("test-resume", {TYPE: record}), sessions, bus))
    try:
        await eventually(lambda: _expect(effects(sessions), [first.id, second.id]))
    finally:
        task.cancel()


async def test_a_failing_handler_rolls_back_and_its_event_goes_to_the_dead_letter_stream(
    sessions, bus
):
    attempts = []

    async def broken(session, event):
        session.add(Effect(key="partial", tenant_id=None))
        attempts.append(event.id)
        raise ValueError("cannot handle this")

    consumer = Consumer("test-dlq", {TYPE: broken}, max_deliver=2, backoff=(0.05,))
    event = an_event()
    await publish_raw(bus, event, event.id)
    task = await running(ConsumerRunner(consumer, sessions, bus))
    await run_until_one_dead_letter(bus, task)
    assert attempts == [event.id, event.id]
    assert await effects(sessions) == []  # the handler's partial write was rolled back
    async with sessions() as s:
        from crm_chassis.tables import inbox

        count = await s.execute(select(func.count()).select_from(inbox))
        assert count.scalar_one() == 0
    nc = await nats.connect(bus.url)
    msg = await nc.jetstream().get_msg(DLQ_STREAM, 1)
    await nc.close()
    assert json.loads(msg.data)["id"] == event.id
    assert msg.headers["Crm-Consumer"] == "test-dlq"
    assert "cannot handle this" in msg.headers["Crm-Error"]


async def test_a_failing_event_in_a_batch_leaves_the_others_applied_once(sessions, bus):
    """The batch runs without savepoints first; one failure reruns it with a savepoint per
    event, so the good events take effect once and only the bad one is retried."""
    events = [an_event() for _ in range(5)]
    bad = events[2].id
    calls: list[str] = []

    async def picky(session, event):
        calls.append(event.id)
        session.add(Effect(key=event.id, tenant_id=event.tenantid))
        if event.id == bad:
            raise ValueError("not this one")

    for event in events:  # all in the stream before the first fetch: one batch
        await publish_raw(bus, event, event.id)
    consumer = Consumer("test-batch", {TYPE: picky}, max_deliver=2, backoff=(0.05,))
    task = await running(ConsumerRunner(consumer, sessions, bus))
    await run_until_one_dead_letter(bus, task)
    assert sorted(await effects(sessions)) == sorted(e.id for e in events if e.id != bad)
    assert calls.count(bad) >= 2  # once per delivery at least, never committed
    nc = await nats.connect(bus.url)
    msg = await nc.jetstream().get_msg(DLQ_STREAM, 1)
    await nc.close()
    assert json.loads(msg.data)["id"] == bad


ACCOUNT_DELETED = "crm.contacts.account.deleted.v1"


def an_account_event():
    from crm_proto.events.contacts import AccountDeleted

    from .events import SOURCE

    account_id = uuid4()
    return SOURCE.event(
        ACCOUNT_DELETED, AccountDeleted(id=account_id), tenant_id=uuid4(), subject=account_id
    )


async def test_a_batched_handler_takes_each_run_of_its_events_at_once(sessions, bus):
    """Consecutive events of a Batched handler come in one call, in order; another
    handler's event in between splits the run. When the batched handler fails, each event
    is retried alone, so only the bad one is left out."""
    contacts = [an_event() for _ in range(4)]
    account = an_account_event()
    order = [contacts[0], contacts[1], account, contacts[2], contacts[3]]
    bad = contacts[3].id
    calls: list[list[str]] = []

    async def many(session, events):
        calls.append([e.id for e in events])
        for event in events:
            session.add(Effect(key=event.id, tenant_id=event.tenantid))
            if event.id == bad:
                raise ValueError("not this one")

    for event in order:
        subject = "crm.contacts.account.deleted" if event is account else None
        if subject:
            await bus.js.publish(
                subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
            )
        else:
            await publish_raw(bus, event, event.id)
    consumer = Consumer(
        "test-batched", {TYPE: Batched(many), ACCOUNT_DELETED: record}, max_deliver=1
    )
    task = await running(ConsumerRunner(consumer, sessions, bus))
    await run_until_one_dead_letter(bus, task)
    a, b, c, d = (e.id for e in contacts)
    # first pass: two runs (the account event splits them), the second fails; then
    # one event at a time
    assert calls == [[a, b], [c, d], [a], [b], [c], [d]]
    expected = {a, b, c, account.id}
    assert sorted(await effects(sessions)) == sorted(expected)


async def _expect(awaitable, expected):
    assert await awaitable == expected


async def test_consumer_reports_what_is_left_and_falls_to_zero_when_caught_up(sessions, bus):
    from prometheus_client import REGISTRY

    def gauge(name):
        return REGISTRY.get_sample_value(name, {"consumer": "test-lag"})

    for _ in range(3):
        event = an_event()
        await publish_raw(bus, event, event.id)
    runner = ConsumerRunner(Consumer("test-lag", {TYPE: record}), sessions, bus, batch_size=1)
    task = await running(runner)

    async def caught_up():
        assert len(await effects(sessions)) == 3
        assert gauge("crm_consumer_pending_messages") == 0
        assert gauge("crm_consumer_lag_seconds") == 0  # after an empty fetch

    try:
        await eventually(caught_up, within=15)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)  # unsubscribed before teardown


async def test_an_empty_fetch_means_nothing_is_waiting(sessions, bus):
    from crm_chassis.metrics import CONSUMER_LAG, CONSUMER_PENDING
    from prometheus_client import REGISTRY

    runner = ConsumerRunner(Consumer("test-empty", {TYPE: record}), sessions, bus)
    CONSUMER_PENDING.labels("test-empty").set(42)  # as after a batch that left work
    CONSUMER_LAG.labels("test-empty").set(3.5)
    await runner.handle_fetched([])  # what fetch returns when the server's 408 wins
    labels = {"consumer": "test-empty"}
    assert REGISTRY.get_sample_value("crm_consumer_pending_messages", labels) == 0
    assert REGISTRY.get_sample_value("crm_consumer_lag_seconds", labels) == 0


async def test_an_idle_consumer_keeps_its_subscription_and_leaves_none_behind(
    sessions, bus, caplog
):
    """Idle fetches end in a timeout or an empty batch (the server's 408); neither may
    cost the runner its subscription, and a stopped runner leaves no subscription for
    the connection to drain on close."""
    runner = ConsumerRunner(Consumer("test-idle", {TYPE: record}), sessions, bus)
    before = len(bus.nc._subs)
    task = await running(runner)
    await asyncio.sleep(3.5)  # several idle fetches of 1 s
    event = an_event()
    await publish_raw(bus, event, event.id)
    try:
        await eventually(lambda: _expect(effects(sessions), [event.id]))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert not [r for r in caplog.records if "lost its subscription" in r.getMessage()]
    assert len(bus.nc._subs) == before
