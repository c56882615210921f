"""Helpers of the consumer tests: a runner in the background, its effects, dead letters."""

import asyncio

from crm_chassis.bus import DLQ_STREAM
from crm_testing.service import eventually
from sqlalchemy import select

from .conftest import Effect


async def record(session, event):
    session.add(Effect(key=event.id, tenant_id=event.tenantid))


async def effects(sessions) -> list[str]:
    async with sessions() as s:
        return list((await s.execute(select(Effect.key).order_by(Effect.id))).scalars())


async def publish_raw(bus, event, msg_id=None):
    """Publish an event outside the outbox, as a second copy would arrive."""
    await bus.js.publish(
        event.type.rsplit(".", 1)[0],
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": msg_id or event.id},
    )


async def dead_letters(bus) -> int:
    return (await bus.js.stream_info(DLQ_STREAM)).state.messages


async def run_until_one_dead_letter(bus, task):
    """Let the runner ``task`` go until the dead-letter stream holds one event; stop it."""

    async def dead_lettered():
        assert await dead_letters(bus) == 1

    try:
        await eventually(dead_lettered)
    finally:
        task.cancel()


async def running(runner):
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0)
    return task


async def stopped(task):
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
