"""Webhook dispatch benchmark: events per second from the CRM stream to a receiver.

    python bench/webhook_dispatch.py [--events 2000] [--subscriptions 1]

Starts, in a temporary directory on loopback ports: an embedded PostgreSQL and NATS, the
migrated gateway database with one tenant allowed to target loopback and its webhook
subscriptions, a receiver on uvicorn (a child process that answers 200 and counts), and
the dispatcher (the gateway's webhook process, in this process). Publishes N CloudEvents
into the stream, then reports deliveries per second from the first publish to the last
delivery, beside the receiver's raw rate: plain httpx POSTs of the same body to it, as
many at a time as the dispatcher sends (``webhook_workers``). Ends with its
``BENCH-RESULT`` line (bench/report.py). Everything runs in the foreground and is stopped
at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from gateway_proxy import HOST, free_port, wait_listening
from import_contacts import ALEMBIC_INI

COUNT = {"n": 0}


def receiver_app():  # the receiver child process
    from fastapi import FastAPI, Response

    app = FastAPI()

    @app.post("/hook")
    async def hook() -> Response:
        COUNT["n"] += 1
        return Response(b"ok")

    @app.get("/count")
    async def count() -> dict[str, int]:
        return {"n": COUNT["n"]}

    return app


def serve_receiver(port: int) -> None:
    import uvicorn

    uvicorn.run(receiver_app(), host=HOST, port=port, log_level="warning", access_log=False)


async def received(url: str) -> int:
    import httpx

    async with httpx.AsyncClient() as http:
        return int((await http.get(f"{url}/count")).json()["n"])


async def raw_rate(url: str, n: int, concurrency: int, body: bytes) -> float:
    """Deliveries per second of plain httpx POSTs of ``body`` to the receiver,
    ``concurrency`` at a time (the dispatcher's workers), no signing and no log."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as http:
        left = iter(range(n))

        async def worker() -> None:
            for _ in left:
                response = await http.post(f"{url}/hook", content=body)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return n / (time.perf_counter() - started)


async def run(args: argparse.Namespace, db_url: str, nats_url: str, receiver: str) -> bool:
    """Measure and print; whether every delivery arrived within the timeout."""
    from crm_chassis.bus import Bus
    from crm_chassis.db import create_engine, session_factory, transaction
    from crm_gateway.dispatcher import create_app
    from crm_gateway.identity.models import Tenant
    from crm_gateway.settings import GatewaySettings
    from crm_gateway.webhooks.models import Webhook
    from crm_gateway.webhooks.signing import new_secret
    from crm_proto import new_event
    from crm_proto.events.gateway import TeamCreated, TeamSnapshot

    settings = GatewaySettings(database_url=db_url, nats_url=nats_url, log_level="WARNING")
    engine = create_engine(db_url)
    tenant = Tenant(name="bench", allow_private_webhooks=True)
    async with transaction(session_factory(engine)) as session:
        session.add(tenant)
        await session.flush()
        for _ in range(args.subscriptions):
            session.add(
                Webhook(
                    tenant_id=tenant.id,
                    url=f"{receiver}/hook",
                    event_types=["crm.gateway.team.*"],
                    secrets=[{"secret": new_secret(), "expires_at": None}],
                )
            )
    await engine.dispose()

    now = dt.datetime.now(dt.UTC)
    events = []
    for i in range(args.events):
        team = TeamSnapshot(id=uuid4(), name=f"t{i}", version=1, created_at=now, updated_at=now)
        event = new_event(
            type="crm.gateway.team.created.v1",
            source="/crm/bench",
            tenant_id=tenant.id,
            data=TeamCreated(team=team),
        )
        events.append(event.model_dump_json().encode())
    wanted = args.events * args.subscriptions
    raw = await raw_rate(receiver, min(max(wanted, 200), 2000), settings.webhook_workers, events[0])
    before = await received(receiver)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        bus = Bus(nats_url, name="bench")
        await bus.start()
        js = await bus.wait_ready(timeout=10)
        started = time.perf_counter()
        for payload in events:
            await js.publish("crm.gateway.team.created", payload)
        published = time.perf_counter() - started
        want = before + wanted
        while await received(receiver) < want:
            if time.perf_counter() - started > args.timeout:
                break
            await asyncio.sleep(0.1)
        took = time.perf_counter() - started
        got = await received(receiver) - before
        await bus.close()
    print(
        f"\n{args.events:,} events x {args.subscriptions} subscription(s): published in "
        f"{published:.2f} s; {got:,} deliveries in {took:.2f} s"
    )
    print(f"{'path':<28}{'deliveries/s':>14}")
    print(f"{'dispatcher (signed, logged)':<28}{got / took:>14,.0f}")
    print(f"{'raw httpx POSTs':<28}{raw:>14,.0f}")
    complete = got >= wanted
    if not complete:
        print(f"INCOMPLETE: {got} of {wanted} within {args.timeout} s")
    from report import print_result, result_row

    name = f"webhook dispatch, {args.events:,} events x {args.subscriptions} subscription(s)"
    print_result(
        [
            result_row(
                name if complete else f"{name} (INCOMPLETE: {got:,} of {wanted:,} delivered)",
                got / took,
                "deliveries/s",
                f"raw httpx POSTs to the same receiver, {settings.webhook_workers} at a time",
                raw,
            )
        ]
    )
    return complete


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "_receiver":
        serve_receiver(int(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    if not (1 <= args.events <= 100_000 and 1 <= args.subscriptions <= 20):
        parser.error("bounded: 1..100000 events, 1..20 subscriptions")
    from crm_local.migrations import alembic_upgrade
    from crm_local.nats import EmbeddedNats
    from crm_local.postgres import EmbeddedPostgres, database_url

    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-webhooks-"))
    pg = EmbeddedPostgres(workdir / "pg", fast=True)
    nats_server = EmbeddedNats(workdir / "nats")
    port, complete = free_port(), False
    proc = subprocess.Popen(
        [sys.executable, __file__, "_receiver", str(port)],
        env=os.environ,
        stdin=subprocess.DEVNULL,
    )
    try:
        admin = pg.start()
        nats_url = nats_server.start()
        pg.create_database("crm_gateway")
        db_url = database_url(admin, "crm_gateway")
        alembic_upgrade(ALEMBIC_INI, db_url, section="gateway")
        wait_listening(port, proc, timeout=60)
        complete = asyncio.run(run(args, db_url, nats_url, f"http://{HOST}:{port}"))
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        nats_server.stop()
        pg.stop()
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
