"""A relay killed (SIGKILL) mid-run and restarted publishes no event twice."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import nats
from crm_chassis.bus import STREAM, Bus
from crm_chassis.consumer import Consumer, ConsumerRunner
from crm_chassis.outbox import emit
from crm_testing.service import eventually
from sqlalchemy import func, select

from .conftest import Effect
from .events import an_event
from .test_outbox import pending

RELAY = Path(__file__).with_name("relay_process.py")
N = 2000


async def stream_ids(nats_url: str) -> list[str]:
    import json

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(STREAM)).state.messages
        sub = await js.subscribe("crm.>", ordered_consumer=True)
        return [json.loads((await sub.next_msg(timeout=5)).data)["id"] for _ in range(total)]
    finally:
        await nc.close()


def start_relay(database_url: str, nats_url: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, str(RELAY), database_url, nats_url], env=env)


async def test_a_relay_killed_mid_run_and_restarted_delivers_each_event_once(
    sessions, chassis_engine, nats_factory
):
    server = nats_factory()
    events = [an_event() for _ in range(N)]
    async with sessions() as s, s.begin():
        await emit(s, *events)
    url = chassis_engine.url.render_as_string(hide_password=False)

    relay = start_relay(url, server.url)
    nc = await nats.connect(server.url)
    js = nc.jetstream()

    async def some_published():
        try:
            assert (await js.stream_info(STREAM)).state.messages >= N // 4
        except nats.js.errors.NotFoundError:
            raise AssertionError("no stream yet") from None

    await eventually(some_published, within=60, interval=0.01)
    relay.send_signal(signal.SIGKILL)
    relay.wait()
    await nc.close()
    assert 0 < await pending(sessions) < N  # killed mid-run, work left over

    relay = start_relay(url, server.url)
    assert await asyncio.to_thread(relay.wait, 120) == 0
    assert await pending(sessions) == 0
    assert await stream_ids(server.url) == [e.id for e in events]

    # And a consumer with an inbox applies each event exactly once.
    bus = Bus(server.url, name="consumer")
    await bus.start()

    async def record(session, event):
        session.add(Effect(key=event.id, tenant_id=event.tenantid))

    task = asyncio.create_task(
        ConsumerRunner(Consumer("crash-test", {events[0].type: record}), sessions, bus).run()
    )

    async def all_applied():
        async with sessions() as s:
            assert (await s.execute(select(func.count(func.distinct(Effect.key))))).scalar() == N
            assert (await s.execute(select(func.count()).select_from(Effect))).scalar() == N

    try:
        await eventually(all_applied, within=60)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.close()
