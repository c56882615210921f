"""BatchPublisher: a batch returns once JetStream stored every message, or raises."""

import asyncio

import nats
import pytest
from crm_chassis.batch_publish import BatchPublisher, PublishFailed
from nats.js.api import DiscardPolicy, StreamConfig


@pytest.fixture
async def nc(nats_factory):
    client = await nats.connect(nats_factory().url)
    yield client
    await client.close()


async def test_a_batch_is_stored_in_order_and_duplicates_are_absorbed(nc):
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="T", subjects=["t.>"]))
    publisher = BatchPublisher(nc)
    batch = [(f"t.{i % 3}", f"m{i}".encode(), f"id-{i}") for i in range(500)]
    await publisher.publish(batch, timeout=5)
    await publisher.publish(batch[:100], timeout=5)  # a relay's re-publication
    assert (await js.stream_info("T")).state.messages == 500
    first, last = await js.get_msg("T", 1), await js.get_msg("T", 500)
    assert (first.data, last.data) == (b"m0", b"m499")
    assert first.headers["Nats-Msg-Id"] == "id-0"


async def test_concurrent_batches_each_wait_for_their_own_acks(nc):
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="T", subjects=["t.>"]))
    publisher = BatchPublisher(nc)
    await asyncio.gather(
        *(
            publisher.publish([(f"t.{b}", b"x", f"{b}-{i}") for i in range(200)], timeout=5)
            for b in range(5)
        )
    )
    assert (await js.stream_info("T")).state.messages == 1000


async def test_a_subject_no_stream_stores_fails_the_batch(nc):
    with pytest.raises(PublishFailed, match="no stream"):
        await BatchPublisher(nc).publish([("nowhere.x", b"x", "a")], timeout=5)


async def test_a_message_jetstream_refuses_fails_the_batch(nc):
    js = nc.jetstream()
    await js.add_stream(
        StreamConfig(name="T", subjects=["t.>"], max_msgs=2, discard=DiscardPolicy.NEW)
    )
    batch = [("t.x", b"x", f"id-{i}") for i in range(3)]
    with pytest.raises(PublishFailed, match="maximum messages"):
        await BatchPublisher(nc).publish(batch, timeout=5)
