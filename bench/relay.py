"""Outbox relay throughput beside raw JetStream ``publish_async``, in the same run.

    python bench/relay.py [--events 50000] [--rounds 3]

Starts, in a temporary directory on loopback: an embedded PostgreSQL at its normal
durability (fsync and synchronous_commit on) with the chassis tables (``outbox``,
``inbox``) and an embedded NATS with the ``CRM`` stream. Each round, interleaved:

- raw: a fresh process publishes N events (the same bytes the outbox holds, each with its
  ``Nats-Msg-Id``) with ``JetStreamContext.publish_async`` and waits for every ack
  (``publish_async_completed``): the ceiling of a Python publisher on this machine;
- relay: N events are COPYed into the outbox (``BulkEvents``/``copy_events``, not
  timed), then a fresh process runs the chassis ``OutboxRelay`` (its deployed batch
  size) until the outbox is empty: claim, publish, wait for the acks, delete, commit.

Prints events/s of each (median of the rounds) and the ratio; target relay >= 0.5 x raw.
Each measuring process is bounded by a timeout; everything is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

TARGET_RATIO = 0.5
EVENT_TYPE = "crm.contacts.contact.deleted.v1"  # a registered type with a small payload
SOURCE = "/crm/bench"
DATABASE = "crm_bench"
CHILD_TIMEOUT_SECONDS = 300.0


# -- shared with propagation.py --------------------------------------------------------


@contextlib.contextmanager
def loopback_stack(workdir: Path) -> Iterator[tuple[str, str]]:
    """An embedded PostgreSQL (durable) with the chassis tables and an embedded NATS with
    the CRM stream; yields ``(database url, nats url)`` and stops both after."""
    from crm_local.nats import EmbeddedNats
    from crm_local.postgres import EmbeddedPostgres, database_url

    pg = EmbeddedPostgres(workdir / "pg", fast=False)
    nats_server = EmbeddedNats(workdir / "nats")
    try:
        admin = pg.start()
        nats_url = nats_server.start()
        pg.create_database(DATABASE)
        db_url = database_url(admin, DATABASE)
        asyncio.run(_prepare(db_url, nats_url))
        yield db_url, nats_url
    finally:
        nats_server.stop()
        pg.stop()


async def _prepare(db_url: str, nats_url: str) -> None:
    import nats
    from crm_chassis.bus import ensure_streams
    from crm_chassis.db import create_engine
    from crm_chassis.tables import infra_metadata

    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(infra_metadata.create_all)
    await engine.dispose()
    nc = await nats.connect(nats_url)
    await ensure_streams(nc.jetstream())
    await nc.close()


def bench_events(n: int, tenant: UUID) -> list[tuple[UUID, UUID, str, bytes]]:
    """N outbox rows (id, tenant, subject, body), as the chassis writes them."""
    from crm_chassis.outbox import BulkEvents, fast_id

    bulk = BulkEvents(source=SOURCE, tenant_id=tenant)
    for _ in range(n):
        contact = fast_id()
        bulk.add(EVENT_TYPE, {"id": contact}, subject=contact)
    return bulk.records


async def fill_outbox(db_url: str, records: list[tuple[UUID, UUID, str, bytes]]) -> None:
    from crm_chassis.db import create_engine, session_factory
    from crm_chassis.outbox import copy_events

    engine = create_engine(db_url, statement_timeout=60)
    async with session_factory(engine)() as session, session.begin():
        await copy_events(session, records)
    await engine.dispose()


def run_child(script: str, *args: str) -> dict[str, Any]:
    """Run ``script _<args>`` in a fresh process; the JSON of its last line."""
    done = subprocess.run(
        [sys.executable, script, *args],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- the measuring processes -----------------------------------------------------------


async def measure_raw(nats_url: str, n: int) -> dict[str, Any]:
    import nats

    records = bench_events(n, uuid4())
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    started = time.perf_counter()
    for event_id, _, subject, body in records:
        await js.publish_async(subject, body, headers={"Nats-Msg-Id": str(event_id)})
    await js.publish_async_completed()
    seconds = time.perf_counter() - started
    await nc.close()
    return {"events": n, "seconds": seconds, "body_bytes": len(records[0][3])}


async def measure_relay(db_url: str, nats_url: str) -> dict[str, Any]:
    from crm_chassis.bus import Bus
    from crm_chassis.db import create_engine, session_factory
    from crm_chassis.outbox import OutboxRelay
    from crm_chassis.settings import ServiceSettings

    batch_size = int(ServiceSettings.model_fields["outbox_batch_size"].default)
    engine = create_engine(db_url)
    bus = Bus(nats_url, name="bench-relay")
    await bus.start()
    await bus.wait_ready(30)
    relay = OutboxRelay(session_factory(engine), bus, batch_size=batch_size)
    pending = await relay.pending()
    published = 0
    started = time.perf_counter()
    while n := await relay.publish_batch():
        published += n
    seconds = time.perf_counter() - started
    await bus.close()
    await engine.dispose()
    return {"events": published, "pending": pending, "seconds": seconds, "batch": batch_size}


# -- orchestration ---------------------------------------------------------------------


def run(args: argparse.Namespace, workdir: Path) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {"raw": [], "relay": []}
    with loopback_stack(workdir) as (db_url, nats_url):
        for round_ in range(1, args.rounds + 1):
            raw = run_child(__file__, "_raw", nats_url, str(args.events))
            asyncio.run(fill_outbox(db_url, bench_events(args.events, uuid4())))
            relay = run_child(__file__, "_relay", db_url, nats_url)
            if relay["events"] != args.events:
                raise RuntimeError(f"the relay published {relay['events']} of {args.events}")
            results["raw"].append(raw)
            results["relay"].append(relay)
            print(
                f"  round {round_}: raw {raw['events'] / raw['seconds']:>9,.0f} events/s, "
                f"relay {relay['events'] / relay['seconds']:>9,.0f} events/s",
                flush=True,
            )
    return results


def report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    from report import print_result, result_row

    rate = {k: statistics.median(r["events"] / r["seconds"] for r in v) for k, v in results.items()}
    ratio = rate["relay"] / rate["raw"]
    first = results["relay"][0]
    print(
        f"\n{args.events:,} events x {args.rounds} rounds, "
        f"{results['raw'][0]['body_bytes']} bytes each; relay batch {first['batch']}"
    )
    print(f"  raw publish_async       {rate['raw']:>10,.0f} events/s")
    print(
        f"  chassis OutboxRelay     {rate['relay']:>10,.0f} events/s   ratio {ratio:.2f}"
        f"   (target >= {TARGET_RATIO})"
    )
    print_result(
        [
            result_row(
                "outbox relay throughput",
                rate["relay"],
                "events/s",
                "raw JetStream publish_async",
                rate["raw"],
                target=f"ratio >= {TARGET_RATIO}",
                met=ratio >= TARGET_RATIO,
            )
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (100 <= args.events <= 1_000_000 and 1 <= args.rounds <= 10):
        parser.error("bounded: 100..1,000,000 events, 1..10 rounds")
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-relay-"))
    try:
        results = run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, args)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_raw":
        print(json.dumps(asyncio.run(measure_raw(sys.argv[2], int(sys.argv[3])))))
    elif len(sys.argv) > 1 and sys.argv[1] == "_relay":
        print(json.dumps(asyncio.run(measure_relay(sys.argv[2], sys.argv[3]))))
    else:
        main()
