"""EventCapture against the session NATS server."""

import asyncio
import json

import nats
import pytest
from crm_testing import EventCapture


def cloud_event(type_: str, subject: str, **data: object) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": subject,
            "type": type_,
            "source": "/crm/test",
            "subject": subject,
            "tenantid": "t1",
            "data": data,
        }
    ).encode()


async def test_wait_for_sees_events_published_later(
    event_capture: EventCapture, nats_url: str
) -> None:
    nc = await nats.connect(nats_url)

    async def publish_soon() -> None:
        await asyncio.sleep(0.2)
        await nc.publish("crm.test.x", cloud_event("crm.test.x.v1", "a", n=1))
        await nc.publish("crm.test.x", cloud_event("crm.test.x.v1", "b", n=2))
        await nc.publish("crm.test.raw", b"not json")
        await nc.flush()

    task = asyncio.create_task(publish_soon())
    first = await event_capture.wait_for("crm.test.x.v1", timeout=5)
    second = await event_capture.wait_for(
        "crm.test.x", predicate=lambda e: e["data"]["n"] == 2, timeout=5
    )
    await task
    await nc.close()

    assert first["subject"] == "a"
    assert second["subject"] == "b"
    assert event_capture.nats_subjects[:2] == ["crm.test.x", "crm.test.x"]
    assert len(event_capture.of_type("crm.test.x.v1")) == 2


async def test_wait_for_times_out_with_what_was_seen(
    event_capture: EventCapture, nats_url: str
) -> None:
    nc = await nats.connect(nats_url)
    await nc.publish("crm.test.y", cloud_event("crm.test.y.v1", "c"))
    await nc.publish("crm.test.raw", b"not json")
    await nc.close()

    await event_capture.wait_for("crm.test.y.v1")
    with pytest.raises(AssertionError, match=r"(?s)no event 'crm.test.z.v1'.*crm.test.y.v1"):
        await event_capture.wait_for("crm.test.z.v1", timeout=0.3)

    assert event_capture.invalid
    event_capture.clear()
    assert event_capture.events == []
    assert event_capture.invalid == []
