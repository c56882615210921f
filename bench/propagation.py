"""Event propagation: commit to consumer applied, p50/p99 at a steady rate, beside raw
JetStream publish to a raw pull consumer, in the same run.

    python bench/propagation.py [--rate 500] [--seconds 20]

Starts, in a temporary directory on loopback, an embedded PostgreSQL (durable) with the
chassis tables and an embedded NATS with the ``CRM`` stream (``relay.loopback_stack``).
Then, for each of two modes, two processes besides the servers:

- chassis: the producer commits one event per transaction with ``outbox.emit`` at
  ``--rate`` events/s (open loop: each write starts on its schedule whatever the others
  do; at most 18 transactions at once, the relay's connections kept free on the pool of
  20), its ``OutboxRelay`` in the same process woken after each commit as a service's is;
  the consumer process runs a chassis ``ConsumerRunner`` (inbox, one transaction per
  fetched batch) whose handler writes each event's id into a table. Latency: the
  producer's clock after its commit returned to the consumer's after the batch holding
  the event committed and was acked (one machine, one wall clock).
- raw: the producer ``publish_async``-es the same bytes at the same rate; the consumer
  pulls them from a durable with the same batch size and acks each: no database on either
  side, the floor of the transport.

Prints p50/p99/max of each, the rate reached, and checks every event was applied exactly
once. Target: chassis p99 < 20 ms at 500 events/s. Every process is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from relay import EVENT_TYPE, loopback_stack

TARGET_P99_MS = 20.0
RAW_SUBJECT = "crm.bench.raw"  # in the CRM stream, apart from the chassis events' subject
CONSUMER_BATCH = 100  # ConsumerRunner's default fetch size, used by the raw consumer too
SETTLE_SECONDS = 5.0  # a consumer that got events and then none for this long stops
WRITERS = 18  # transactions in flight at most, as requests on a service's pool of 20


def time_limit(seconds: float) -> float:
    """The most a consumer waits for a load of ``seconds``: the load, the producer's
    overrun (as long again, see :func:`_paced`), its start-up and the last events."""
    return 3 * seconds + 60


class Progress:
    """Whether a consumer keeps waiting: until it has ``expected`` events, none has come
    for SETTLE_SECONDS since the last one, or ``limit`` seconds have passed."""

    def __init__(self, expected: int, limit: float) -> None:
        self.expected, self.count = expected, 0
        self.changed: float | None = None  # none yet: the producer may still be starting
        self.end = time.monotonic() + limit

    def waiting(self, count: int) -> bool:
        now = time.monotonic()
        if count > self.count:
            self.count, self.changed = count, now
        idle = self.changed is not None and now - self.changed >= SETTLE_SECONDS
        return count < self.expected and not idle and now < self.end


Write = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def _paced(rate: float, seconds: float, write: Write) -> float:
    """Start ``write(late)`` at ``rate`` per second for ``seconds`` (open loop), then wait
    for them as long again at most; ``late`` is set after that, and a write that has not
    begun by then must return without writing (a producer slower than the rate stays
    bounded in time, and writes fewer events). The wall seconds until all returned."""
    loop = asyncio.get_running_loop()
    count = int(rate * seconds)
    late = asyncio.Event()
    started = loop.time()
    tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        delay = started + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(write(late)))
    await asyncio.wait(tasks, timeout=seconds)
    late.set()
    await asyncio.gather(*tasks)
    return loop.time() - started


# -- chassis mode ----------------------------------------------------------------------


async def produce_chassis(db_url: str, nats_url: str, rate: float, seconds: float) -> dict:
    from crm_chassis.bus import Bus
    from crm_chassis.db import create_engine, session_factory
    from crm_chassis.outbox import EventSource, OutboxRelay, emit
    from crm_chassis.settings import ServiceSettings
    from crm_proto.registry import payload_model

    model = payload_model(EVENT_TYPE)
    # Writes wait for a pooled connection rather than fail: the load is open loop, and a
    # slow moment must show as latency, not as lost writes. At most WRITERS at once, so
    # the relay (on the same pool, as in a service) is never queued behind them.
    engine = create_engine(db_url, pool_size=WRITERS + 2, pool_timeout=60)
    writers = asyncio.Semaphore(WRITERS)
    sessions = session_factory(engine)
    bus = Bus(nats_url, name="bench-producer")
    await bus.start()
    await bus.wait_ready(30)
    batch = int(ServiceSettings.model_fields["outbox_batch_size"].default)
    relay = OutboxRelay(sessions, bus, batch_size=batch)
    relay_task = asyncio.create_task(relay.run())
    source, tenant = EventSource("bench"), uuid4()
    committed: dict[str, int] = {}

    async def write(late: asyncio.Event) -> None:
        contact = uuid4()
        event = source.event(EVENT_TYPE, model(id=contact), tenant_id=tenant, subject=contact)
        async with writers:
            if late.is_set():
                return
            async with sessions() as session, session.begin():
                await emit(session, event)
            committed[event.id] = time.time_ns()
        relay.wake()

    cpu = time.process_time()
    wall = await _paced(rate, seconds, write)
    await _until(lambda: _drained(relay), SETTLE_SECONDS)
    cpu = time.process_time() - cpu
    relay_task.cancel()
    await asyncio.gather(relay_task, return_exceptions=True)
    await bus.close()
    await engine.dispose()
    return {"sent": committed, "seconds": wall, "cpu_seconds": cpu}


async def consume_chassis(db_url: str, nats_url: str, expected: int, seconds: float) -> dict:
    from crm_chassis.bus import STREAM, Bus
    from crm_chassis.consumer import Batched, Consumer, ConsumerRunner
    from crm_chassis.db import create_engine, session_factory
    from sqlalchemy import Column, MetaData, Table, Uuid, func, insert, select

    applied_table = Table("bench_applied", MetaData(), Column("event_id", Uuid, primary_key=True))
    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(applied_table.metadata.create_all)
    sessions = session_factory(engine)
    applied: dict[str, int] = {}
    stored: dict[str, int] = {}

    async def apply(session: Any, events: Any) -> None:
        await session.execute(insert(applied_table), [{"event_id": UUID(e.id)} for e in events])

    class TimedRunner(ConsumerRunner):
        """Notes when each event's batch was committed and acked."""

        async def handle_batch(self, messages: list[Any]) -> None:
            await super().handle_batch(messages)
            now = time.time_ns()
            for msg in messages:
                event_id = msg.headers["Nats-Msg-Id"]
                applied.setdefault(event_id, now)
                stored.setdefault(event_id, stored_ns(msg))

    consumer = Consumer("bench-propagation", {EVENT_TYPE: Batched(apply)})
    bus = Bus(nats_url, name="bench-consumer")
    await bus.start()
    js = await bus.wait_ready(30)
    runner = TimedRunner(consumer, sessions, bus, batch_size=CONSUMER_BATCH)
    task = asyncio.create_task(runner.run())
    await _until(lambda: _has_consumer(js, STREAM, consumer.name), seconds)
    print("ready", flush=True)
    progress = Progress(expected, time_limit(seconds))
    while progress.waiting(len(applied)):  # noqa: ASYNC110 (the runner task fills it)
        await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    async with sessions() as session:
        rows = (await session.execute(select(func.count()).select_from(applied_table))).scalar()
    await bus.close()
    await engine.dispose()
    return {"received": applied, "stored": stored, "rows": rows}


async def _drained(relay: Any) -> bool:
    return not await relay.pending()


async def _has_consumer(js: Any, stream: str, name: str) -> bool:
    try:
        await js.consumer_info(stream, name)
    except Exception:
        return False
    return True


async def _until(check: Callable[[], Awaitable[bool]], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await check() and time.monotonic() < deadline:  # noqa: ASYNC110 (state elsewhere)
        await asyncio.sleep(0.02)


# -- raw mode --------------------------------------------------------------------------


async def produce_raw(nats_url: str, rate: float, seconds: float) -> dict:
    import nats
    from relay import bench_events

    records = iter(bench_events(int(rate * seconds), uuid4()))
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    sent: dict[str, int] = {}

    async def write(late: asyncio.Event) -> None:
        event_id, _, _, body = next(records)
        sent[str(event_id)] = time.time_ns()
        await js.publish_async(RAW_SUBJECT, body, headers={"Nats-Msg-Id": str(event_id)})

    cpu = time.process_time()
    wall = await _paced(rate, seconds, write)
    await asyncio.wait_for(js.publish_async_completed(), SETTLE_SECONDS)
    cpu = time.process_time() - cpu
    await nc.close()
    return {"sent": sent, "seconds": wall, "cpu_seconds": cpu}


async def consume_raw(nats_url: str, expected: int, seconds: float) -> dict:
    import nats
    from nats.errors import TimeoutError as NatsTimeout

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    sub = await js.pull_subscribe(RAW_SUBJECT, durable="bench-raw")
    print("ready", flush=True)
    received: dict[str, int] = {}
    stored: dict[str, int] = {}
    progress = Progress(expected, time_limit(seconds))
    while progress.waiting(len(received)):
        try:
            messages = await sub.fetch(CONSUMER_BATCH, timeout=1.0)
        except (NatsTimeout, TimeoutError):
            continue
        for msg in messages:
            await msg.ack()
        now = time.time_ns()
        for msg in messages:
            event_id = (msg.headers or {})["Nats-Msg-Id"]
            received.setdefault(event_id, now)
            stored.setdefault(event_id, stored_ns(msg))
    await nc.close()
    return {"received": received, "stored": stored, "rows": len(received)}


# -- orchestration ---------------------------------------------------------------------


def run_mode(mode: str, db_url: str, nats_url: str, args: argparse.Namespace) -> dict:
    """Start the consumer, wait until it listens, run the producer; both their results."""
    expected = int(args.rate * args.seconds)
    common = [str(args.rate), str(args.seconds)]
    limit = time_limit(args.seconds) + SETTLE_SECONDS
    consumer = subprocess.Popen(
        [sys.executable, __file__, f"_consume_{mode}", db_url, nats_url, str(expected), *common],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert consumer.stdout is not None
        if consumer.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the {mode} consumer did not start")
        producer = subprocess.run(
            [sys.executable, __file__, f"_produce_{mode}", db_url, nats_url, *common],
            capture_output=True,
            text=True,
            timeout=limit,
            stdin=subprocess.DEVNULL,
        )
        if producer.returncode != 0:
            raise RuntimeError(f"the {mode} producer failed:\n{producer.stderr[-3000:]}")
        out, _ = consumer.communicate(timeout=limit)
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait()
    produced = json.loads(producer.stdout.strip().splitlines()[-1])
    consumed = json.loads(out.strip().splitlines()[-1])
    return {
        **figures(produced["sent"], consumed["received"]),
        **stream_figures(produced["sent"], consumed["stored"]),
        "seconds": produced["seconds"],
        "cpu_seconds": produced["cpu_seconds"],
        "rows": consumed["rows"],
    }


def pct(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def figures(sent: dict[str, int], received: dict[str, int]) -> dict[str, Any]:
    """Latencies (ms) of the events both sides saw; how many were sent, how many never
    reached the consumer before it stopped waiting (missing), how many it saw unsent."""
    latencies = sorted((received[k] - t) / 1e6 for k, t in sent.items() if k in received)
    if not latencies:
        raise RuntimeError("no event reached the consumer")
    return {
        "sent": len(sent),
        "missing": sum(1 for k in sent if k not in received),
        "unexpected": sum(1 for k in received if k not in sent),
        "p50_ms": pct(latencies, 0.5),
        "p99_ms": pct(latencies, 0.99),
        "max_ms": latencies[-1],
    }


def stored_ns(msg: Any) -> int:
    """When JetStream stored ``msg`` (the server's clock: the same machine's)."""
    return int(msg.metadata.timestamp.timestamp() * 1e9)


def stream_figures(sent: dict[str, int], stored: dict[str, int]) -> dict[str, float]:
    """The first leg (ms): from the commit (or raw publish) to JetStream storing it."""
    legs = sorted((stored[k] - t) / 1e6 for k, t in sent.items() if k in stored)
    if not legs:
        return {"stored_p50_ms": 0.0, "stored_p99_ms": 0.0}
    return {"stored_p50_ms": pct(legs, 0.5), "stored_p99_ms": pct(legs, 0.99)}


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    from report import print_result, result_row

    print(
        f"\n{args.rate:g} events/s for {args.seconds:g} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end"
    )
    print(
        f"{'mode':<9}{'rate/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'missing':>8}"
        f"{'rows':>7}{'producer CPU us/event':>23}"
    )
    for mode, f in results.items():
        rate = f["sent"] / f["seconds"]
        print(
            f"{mode:<9}{rate:>9,.0f}{f['p50_ms']:>9.2f}{f['p99_ms']:>9.2f}{f['max_ms']:>9.1f}"
            f"{f['missing']:>8}{f['rows']:>7}{f['cpu_seconds'] / f['sent'] * 1e6:>23,.0f}"
        )
    for mode, f in results.items():
        print(
            f"  {mode}: of which commit (or publish) to stored in JetStream "
            f"p50 {f['stored_p50_ms']:.2f} ms, p99 {f['stored_p99_ms']:.2f} ms"
        )
    chassis, raw = results["chassis"], results["raw"]
    exact = not (chassis["missing"] or chassis["unexpected"]) and chassis["rows"] == chassis["sent"]
    print(f"every event applied exactly once: {'yes' if exact else 'NO'}")
    p99_met = chassis["p99_ms"] < TARGET_P99_MS and exact
    print_result(
        [
            result_row(
                f"commit to consumer applied p99 at {args.rate:g}/s",
                chassis["p99_ms"],
                "ms",
                "raw publish to pull consumer p99",
                raw["p99_ms"],
                target=f"p99 < {TARGET_P99_MS:g} ms, exactly once",
                met=p99_met,
            ),
            result_row(
                f"commit to consumer applied p50 at {args.rate:g}/s",
                chassis["p50_ms"],
                "ms",
                "raw publish to pull consumer p50",
                raw["p50_ms"],
            ),
            result_row(
                f"events committed per second (asked {args.rate:g})",
                chassis["sent"] / chassis["seconds"],
                "events/s",
                "raw publish_async per second",
                raw["sent"] / raw["seconds"],
            ),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the load runs")
    args = parser.parse_args()
    if not (1 <= args.rate <= 5000 and 1 <= args.seconds <= 300):
        parser.error("bounded: 1..5,000 events/s for 1..300 s")
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-propagation-"))
    try:
        with loopback_stack(workdir) as (db_url, nats_url):
            results = {mode: run_mode(mode, db_url, nats_url, args) for mode in ("raw", "chassis")}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, args)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        role, db, nats_url, *rest = sys.argv[1:]
        if role.startswith("_consume"):
            expected, rate, seconds = int(rest[0]), float(rest[1]), float(rest[2])
            job = (
                consume_raw(nats_url, expected, seconds)
                if role == "_consume_raw"
                else consume_chassis(db, nats_url, expected, seconds)
            )
        else:
            rate, seconds = float(rest[0]), float(rest[1])
            job = (
                produce_raw(nats_url, rate, seconds)
                if role == "_produce_raw"
                else produce_chassis(db, nats_url, rate, seconds)
            )
        print(json.dumps(asyncio.run(job)))
    else:
        main()
