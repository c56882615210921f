"""Webhook dispatch benchmark: events per second from the CRM stream to a receiver.

    python bench/webhook_dispatch.py [--events 2000] [--subscriptions 1]

Starts, in a temporary directory on loopback ports: an embedded PostgreSQL and NATS, the
migrated gateway database with one tenant allowed to target loopback and its webhook
subscriptions, a receiver on uvicorn (a child process that answers 200 and counts), and
the dispatcher (the gateway's webhook process, in this process). Publishes N CloudEvents
into the stream, then reports deliveries per second from the first publish to the last
delivery, beside the receiver's raw rate (the same client POSTing to it directly).
Everything runs in the foreground and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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


async def raw_rate(url: str, n: int) -> float:
    """Deliveries per second of plain POSTs to the receiver, one at a time (as the
    dispatcher sends them)."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        for _ in range(n):
            async with http.post(f"{url}/hook", data=b"{}") as response:
                await response.read()
        return n / (time.perf_counter() - started)


async def run(args: argparse.Namespace, db_url: str, nats_url: str, receiver: str) -> None:
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

    raw = await raw_rate(receiver, 500)
    before = await received(receiver)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        bus = Bus(nats_url, name="bench")
        await bus.start()
        js = await bus.wait_ready(timeout=10)
        started = time.perf_counter()
        now = __import__("datetime").datetime.now(__import__("datetime").UTC)
        for i in range(args.events):
            team = TeamSnapshot(id=uuid4(), name=f"t{i}", version=1, created_at=now, updated_at=now)
            event = new_event(
                type="crm.gateway.team.created.v1",
                source="/crm/bench",
                tenant_id=tenant.id,
                data=TeamCreated(team=team),
            )
            await js.publish("crm.gateway.team.created", event.model_dump_json().encode())
        published = time.perf_counter() - started
        want = before + args.events * args.subscriptions
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
    print(f"{'raw POSTs, one at a time':<28}{raw:>14,.0f}")
    if got < args.events * args.subscriptions:
        print(f"INCOMPLETE: {got} of {args.events * args.subscriptions} within {args.timeout} s")


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
    port = free_port()
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
        asyncio.run(run(args, db_url, nats_url, f"http://{HOST}:{port}"))
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        nats_server.stop()
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
