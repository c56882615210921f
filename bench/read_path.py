"""Read path benchmark: ``GET /v1/contacts/{id}`` against a bare FastAPI + asyncpg
endpoint reading the same row of the same table, in one run.

    python bench/read_path.py [--contacts 5000] [--duration 10] [--rounds 3]
        [--concurrency 32]

Starts, in a temporary directory on loopback ports: an embedded PostgreSQL and NATS,
the migrated contacts database with N contacts of one tenant (created through the
batch API), and as child processes, one uvicorn worker each: the bare endpoint (an
asyncpg pool of the service's size, one ``SELECT`` by primary key, the row as JSON),
contacts-service, and the gateway in front of it. Each target is driven by ``wrk`` (a
separate process; ``apt-get install -y wrk``) with ``--concurrency`` connections, rounds
interleaved, median kept. Prints req/s, latency, CPU time per request of the target
process, and the ratio to the bare endpoint (targets: straight to the service >= 0.6,
through the gateway >= 0.4). Everything runs in the foreground and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
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

# The sibling benchmarks: the service under uvicorn, the generated contacts, the load.
from gateway_proxy import HOST, cpu_seconds, drive, free_port, wait_listening
from import_contacts import ALEMBIC_INI, contacts, import_through_api, service, wait_ready

TARGETS = ("bare", "service", "gateway")
GOALS = {"service": 0.6, "gateway": 0.4}
JWT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"


def bare_app(dsn: str, pool_size: int) -> Any:
    """FastAPI and an asyncpg pool, nothing else: the ceiling of this read."""
    import asyncpg
    import orjson
    from fastapi import FastAPI
    from fastapi.responses import Response

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        async with asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/v1/contacts/{contact_id}")
    async def read(contact_id: UUID, tenant: UUID) -> Response:
        row = await app.state.pool.fetchrow(
            "SELECT * FROM contacts WHERE tenant_id = $1 AND id = $2", tenant, contact_id
        )
        return Response(orjson.dumps(dict(row), default=str), media_type="application/json")

    return app


def serve_bare(port: int, dsn: str, pool_size: int) -> None:
    """Child process: the bare endpoint until terminated."""
    import uvicorn

    uvicorn.run(
        bare_app(dsn, pool_size),
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


@contextlib.contextmanager
def child(cmd: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[int]:
    """A server process listening on ``port``; its pid, stopped at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        try:
            wait_listening(port, proc, timeout=60)
            yield proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def gateway_cmd(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "crm_gateway.main:create_app",
        "--factory",
        # The gateway's protocol: uvicorn's httptools with the edge size limits.
        "--http",
        "crm_gateway.limits.server:EdgeHttpToolsProtocol",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def measure(
    url_path: str, port: int, pid: int, args: argparse.Namespace, token: str, env: dict
) -> dict:
    """Warm up, then drive the target; adds its CPU time per request."""
    import gateway_proxy

    gateway_proxy.PATH = url_path  # the path its wrk driver requests
    drive(port, args.warmup, args, token, env)
    before = cpu_seconds(pid)
    result = drive(port, args.duration, args, token, env)
    requests = max(1.0, result["rps"] * args.duration)
    result["cpu_us"] = (cpu_seconds(pid) - before) / requests * 1e6
    return result


async def seed(base: str, token: str, n: int) -> UUID:
    """N contacts through the batch API; the id of one in the middle."""
    import httpx

    await wait_ready(base)
    await import_through_api(base, token, contacts(n, 0.5), 2)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        page = (await http.get("/v1/contacts", params={"limit": 1})).json()
        return UUID(page["data"][0]["id"])


def settle(pid: int, *, quiet: float = 0.05, within: float = 120.0) -> None:
    """Wait until the process uses under ``quiet`` of a core (the seed's events relayed
    and consumed), so its background work does not share the measured time."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        if cpu_seconds(pid) - before < quiet:
            return


def run(args: argparse.Namespace, workdir: Path) -> dict[str, list[dict]]:
    from crm_chassis.auth import Actor, issue_token
    from crm_chassis.settings import SharedSettings
    from crm_local.migrations import alembic_upgrade
    from crm_local.nats import EmbeddedNats
    from crm_local.postgres import EmbeddedPostgres, database_url

    pg = EmbeddedPostgres(workdir / "pg", fast=True)
    nats_server = EmbeddedNats(workdir / "nats")
    results: dict[str, list[dict]] = {t: [] for t in TARGETS}
    try:
        admin = pg.start()
        nats_url = nats_server.start()
        pg.create_database("crm_contacts")
        db_url = database_url(admin, "crm_contacts")
        alembic_upgrade(ALEMBIC_INI, db_url, section="contacts")
        # The gateway's own database: its shared rate-limit buckets live there.
        pg.create_database("crm_gateway")
        gateway_db = database_url(admin, "crm_gateway")
        alembic_upgrade(ALEMBIC_INI, gateway_db, section="gateway")
        tenant = uuid4()
        os.environ["CRM_JWT_SECRET"] = JWT_SECRET  # the service and the gateway read it
        actor = Actor(tenant_id=tenant, user_id=uuid4(), scopes=frozenset({"contacts:*"}))
        token = issue_token(actor, SharedSettings(jwt_secret=JWT_SECRET), ttl_seconds=7200)
        env = os.environ | {"CRM_LOG_LEVEL": "ERROR"}
        with service(db_url, nats_url, workdir, 1) as (base, service_pid):
            contact_id = asyncio.run(seed(base, token, args.contacts))
            settle(service_pid)
            service_port = int(base.rsplit(":", 1)[1])
            path = f"/v1/contacts/{contact_id}"
            bare_port, gateway_port = free_port(), free_port()
            dsn = database_url(admin, "crm_contacts", driver=None)
            bare = [sys.executable, __file__, "_bare", str(bare_port), dsn, str(args.pool)]
            gateway_env = env | {
                "CRM_GATEWAY_CONTACTS_URL": base,
                "CRM_GATEWAY_RUN_BACKGROUND": "false",
                "CRM_GATEWAY_DATABASE_URL": gateway_db,
                # Limits on, and high enough that the load measures them, not their 429s.
                "CRM_GATEWAY_RATE_LIMIT_PER_KEY": str(10**9),
                "CRM_GATEWAY_RATE_LIMIT_PER_TENANT": str(10**9),
                "CRM_NATS_URL": nats_url,
            }
            gateway_env.pop("CRM_BOOTSTRAP_API_KEY", None)
            with (
                child(bare, env, bare_port, workdir / "bare.log") as bare_pid,
                child(
                    gateway_cmd(gateway_port), gateway_env, gateway_port, workdir / "gw.log"
                ) as gateway_pid,
            ):
                where = {
                    "bare": (f"{path}?tenant={tenant}", bare_port, bare_pid),
                    "service": (path, service_port, service_pid),
                    "gateway": (path, gateway_port, gateway_pid),
                }
                for round_ in range(1, args.rounds + 1):
                    for target in TARGETS:
                        result = measure(*where[target], args, token, env)
                        results[target].append(result)
                        print(f"  round {round_} {target:<8} {result['rps']:>9,.0f} req/s")
    finally:
        nats_server.stop()
        pg.stop()
    return results


def report(results: dict[str, list[dict]], args: argparse.Namespace) -> bool:
    median = {t: statistics.median(r["rps"] for r in runs) for t, runs in results.items()}
    base = median["bare"]
    print(
        f"\n{args.contacts:,} contacts, {args.concurrency} connections, {args.duration:g}s x "
        f"{args.rounds} rounds, one worker each; load: wrk"
    )
    print(
        f"{'target':<10}{'req/s':>9}{'vs bare':>9}{'goal':>7}{'p50 ms':>8}{'p99 ms':>9}"
        f"{'CPU us/req':>12}{'errors':>8}"
    )
    met = True
    for target, runs in results.items():
        mid = min(runs, key=lambda r: abs(r["rps"] - median[target]))
        ratio = median[target] / base
        goal = GOALS.get(target)
        met &= goal is None or ratio >= goal
        print(
            f"{target:<10}{median[target]:>9,.0f}{ratio:>8.2f}x{f'{goal:.1f}' if goal else '-':>7}"
            f"{mid['p50_ms']:>8.2f}{mid['p99_ms']:>9.2f}"
            f"{statistics.median(r['cpu_us'] for r in runs):>12,.0f}"
            f"{sum(r['errors'] for r in runs):>8}"
        )
    print("targets met" if met else "TARGETS NOT MET")
    from report import print_result, result_row

    print_result(
        [
            result_row(
                f"read by id, {target}", median[target], "req/s", "bare FastAPI + asyncpg", base,
                target=f"ratio >= {GOALS[target]}" if target in GOALS else None,
                met=median[target] / base >= GOALS[target] if target in GOALS else None,
            )
            for target in results
            if target != "bare"
        ]
    )  # fmt: skip
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=5000, help="contacts in the table")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--rounds", type=int, default=3, help="runs per target (median kept)")
    parser.add_argument("--concurrency", type=int, default=32, help="open connections")
    parser.add_argument("--pool", type=int, default=20, help="the bare endpoint's pool size")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("needs wrk on PATH (apt-get install -y wrk)")
    args.generator = "wrk"  # the load generator of gateway_proxy.drive
    if not (
        1 <= args.concurrency <= 512
        and 0 < args.duration <= 60
        and 0 <= args.warmup <= 30
        and 1 <= args.rounds <= 10
        and 1 <= args.contacts <= 1_000_000
    ):
        parser.error("bounded: concurrency 1..512, duration up to 60 s, 1..10 rounds")
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-read-"))
    try:
        return 0 if report(run(args, workdir), args) else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_bare":
        serve_bare(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(main())
