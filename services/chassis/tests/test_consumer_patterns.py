"""A consumer's handler table: event types, subject patterns, typed payloads, typos."""

from uuid import uuid4

import pytest
from crm_chassis.consumer import Consumer, ConsumerRunner, Typed
from crm_proto import CloudEvent
from crm_proto.events.activity import DealCreated, DealStageChanged
from crm_proto.events.contacts import ContactDeleted
from crm_testing.service import eventually

from .conftest import Effect
from .consuming import dead_letters, effects, publish_raw, running, stopped
from .events import SOURCE, an_event

DEAL_CREATED = "crm.sales.deal.created.v1"
STAGE_CHANGED = "crm.sales.deal.stage_changed.v1"
CONTACT_DELETED = "crm.contacts.contact.deleted.v1"


def a_deal_event(type_=DEAL_CREATED, *, deal_id=None, sequence=1, **fields):
    deal_id = deal_id or uuid4()
    model = DealCreated if type_ == DEAL_CREATED else DealStageChanged
    defaults = {"stage": "new"} if type_ == DEAL_CREATED else {"to_stage": "won"}
    data = model(deal_id=deal_id, name="Big deal", **{**defaults, **fields})
    return SOURCE.event(type_, data, tenant_id=uuid4(), subject=deal_id, sequence=sequence)


def tagged(tag):
    async def handle(session, event):
        session.add(Effect(key=f"{tag}:{event.type}", tenant_id=event.tenantid))

    return handle


async def test_a_pattern_subscription_receives_events_of_several_types(sessions, bus):
    """``crm.sales.>`` takes every sales event; a type named exactly keeps its own handler
    (and the two filters, which overlap, are sent to the server as the wider one)."""
    consumer = Consumer(
        "test-pattern",
        {"crm.sales.>": tagged("sales"), STAGE_CHANGED: tagged("exact")},
    )
    assert consumer.subjects == ["crm.sales.>"]
    created, changed = a_deal_event(), a_deal_event(STAGE_CHANGED)
    for event in (created, an_event(), changed):  # a contacts event the pattern leaves out
        await publish_raw(bus, event)
    task = await running(ConsumerRunner(consumer, sessions, bus))

    async def both_handled():
        assert await effects(sessions) == [f"sales:{DEAL_CREATED}", f"exact:{STAGE_CHANGED}"]

    try:
        await eventually(both_handled)
    finally:
        await stopped(task)


async def test_the_widest_pattern_takes_every_event_the_narrower_ones_leave():
    everything, sales = tagged("all"), tagged("sales")
    consumer = Consumer("test-widest", {"crm.>": everything, "crm.sales.>": sales})
    assert consumer.subjects == ["crm.>"]
    assert consumer.handler_for(DEAL_CREATED, "crm.sales.deal.created") is sales
    assert consumer.handler_for(CONTACT_DELETED, "crm.contacts.contact.deleted") is everything


@pytest.mark.parametrize(
    "key",
    [
        "crm.contacts.contact.delted.v1",  # a typo
        "crm.contacts.contact.deleted",  # the subject, not the type
        "crm.contacts.contact.deleted.v9",  # a version nobody publishes
    ],
)
def test_a_handler_for_an_unregistered_event_type_fails_at_start_up(key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        Consumer("test-typo", {CONTACT_DELETED: tagged("ok"), key: tagged("typo")})


@pytest.mark.parametrize("pattern", ["crm.>.deal", "sales.>", "crm.sal*.>", "crm..>"])
def test_a_malformed_pattern_fails_at_start_up(pattern):
    with pytest.raises(ValueError, match="pattern"):
        Consumer("test-bad-pattern", {pattern: tagged("bad")})


def test_overlapping_patterns_that_neither_covers_fail_at_start_up():
    with pytest.raises(ValueError, match="overlap"):
        Consumer("test-overlap", {"crm.sales.>": tagged("a"), "crm.*.deal.>": tagged("b")})


def test_a_consumer_name_jetstream_cannot_take_fails_at_start_up():
    with pytest.raises(ValueError, match="durable consumer name"):
        Consumer("contacts.timeline", {CONTACT_DELETED: tagged("x")})


async def test_a_typed_handler_receives_the_payload_as_its_proto_model(sessions, bus):
    received = []

    async def on_any(session, event: CloudEvent, data):
        received.append((event.type, data))

    consumer = Consumer("test-typed", {"crm.>": Typed(on_any)})
    deal, contact = a_deal_event(), an_event()
    for event in (deal, contact):
        await publish_raw(bus, event)
    task = await running(ConsumerRunner(consumer, sessions, bus))

    async def both_parsed():
        assert [t for t, _ in received] == [DEAL_CREATED, CONTACT_DELETED]

    try:
        await eventually(both_parsed)
    finally:
        await stopped(task)
    (_, deal_data), (_, contact_data) = received
    assert isinstance(deal_data, DealCreated) and deal_data.stage == "new"
    assert isinstance(contact_data, ContactDeleted) and str(contact_data.id) == contact.subject


async def test_a_payload_that_does_not_fit_its_model_is_dead_lettered_without_retries(
    sessions, bus
):
    calls = []

    async def on_deleted(session, event, data):
        calls.append(data)

    bad = an_event()
    bad.data = {"id": "not-a-uuid"}
    await publish_raw(bus, bad)
    consumer = Consumer("test-invalid", {CONTACT_DELETED: Typed(on_deleted)}, max_deliver=5)
    task = await running(ConsumerRunner(consumer, sessions, bus))

    async def dead_lettered_once():
        assert await dead_letters(bus) == 1
        info = await bus.js.consumer_info("CRM", "test-invalid")
        assert info.num_ack_pending == 0 and info.num_redelivered == 0

    try:
        await eventually(dead_lettered_once)
    finally:
        await stopped(task)
    assert calls == []
    msg = await bus.js.get_msg("CRM_DLQ", 1)
    assert "payload does not fit its model" in msg.headers["Crm-Error"]
    assert msg.subject == f"crmdlq.test-invalid.{bad.tenantid}.crm.contacts.contact.deleted"


@pytest.mark.parametrize(
    ("pattern", "other", "covered"),
    [
        ("crm.>", "crm.sales.deal.created", True),
        ("crm.>", "crm.sales.>", True),
        ("crm.sales.>", "crm.>", False),
        ("crm.*.deal.created", "crm.sales.deal.created", True),
        ("crm.*.deal.created", "crm.*.deal.>", False),
        ("crm.sales.*.created", "crm.sales.deal.stage_changed", False),
        ("crm.sales.>", "crm.sales", False),  # '>' takes one token at least
    ],
)
def test_a_pattern_covers_what_nats_would_match(pattern, other, covered):
    from crm_chassis.subjects import covers

    assert covers(pattern, other) is covered
