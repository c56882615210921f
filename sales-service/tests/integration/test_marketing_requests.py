"""A marketing journey's "create a task" step becomes one task here, however often the
request is delivered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import nats
import pytest
from crm_proto import new_event
from crm_proto.events.marketing import TaskRequested
from crm_testing.service import eventually


@pytest.fixture
async def publish(nats_url, sales_app):
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await sales_app.state.bus.wait_ready(10)

    async def send(tenant: UUID, data: TaskRequested, *, msg_id: str | None = None) -> None:
        event = new_event(
            type="crm.marketing.task.requested.v1",
            source="/crm/marketing-service",
            tenant_id=tenant,
            data=data,
        )
        payload = event.model_dump_json(exclude_none=True).encode()
        await js.publish("crm.marketing.task.requested", payload)
        await js.publish("crm.marketing.task.requested", payload)  # delivered twice

    yield send
    await nc.close()


async def test_a_requested_task_is_created_once_for_the_owner(api, tenant, publish) -> None:
    owner, contact = uuid4(), uuid4()
    due = datetime.now(UTC) + timedelta(days=2)

    await publish(
        tenant,
        TaskRequested(
            contact_id=contact,
            owner_id=owner,
            title="Call about the trial",
            type="call",
            due_at=due,
            journey_id=uuid4(),
        ),
    )

    async def created() -> dict:
        tasks = (await api.get("/v1/tasks")).json()["data"]
        assert len(tasks) == 1
        return tasks[0]

    task = await eventually(created, within=20)
    assert (task["title"], task["type"], task["owner_id"]) == (
        "Call about the trial",
        "call",
        str(owner),
    )
    assert task["contact_id"] == str(contact)
    assert datetime.fromisoformat(task["due_at"]) == due
