"""analytics-service benchmark (A1, A2): an OLAP roll-up through the API beside the same
SQL run directly in DuckDB, and the warehouse's load rate beside raw JetStream consumption.

    python bench/olap.py [--rows 10000000] [--requests 30] [--events 20000]

Part 1 writes ``--rows`` order facts (and 200,000 customers with a region and country) into
a fresh warehouse file with SQL, then times revenue by quarter and region for one tenant:
first the SQL the OLAP compiler produces, run directly on a DuckDB connection (the raw
baseline), then ``POST /v1/olap/query`` of the same query through real HTTP to the app under
uvicorn on loopback (its own process; background work off, since OLAP needs neither the
database nor the bus). Medians of ``--requests`` each, after a warm-up.

Part 2 starts an embedded NATS, publishes ``--events`` order events to the CRM stream, and
consumes them twice with a pull consumer in batches of ``--batch`` (by default as many as
the warehouse consumer fetches): raw (fetch and ack) and as the
warehouse consumer's handler does (parse each CloudEvent, load the batch into DuckDB in one
transaction with its handled ids, then ack). The chassis' PostgreSQL inbox, which the
service also writes per batch, is left out of both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
TENANT = UUID("0190d6a4-0000-7000-8000-0000000a11c5")
JWT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
TARGET_RATIO = 1.5
QUERY = {
    "cube": "orders",
    "measures": ["revenue", "orders"],
    "rows": ["date.quarter", "geo.region"],
}


# -- part 1: OLAP -----------------------------------------------------------------------


def fill(path: Path, rows: int) -> None:
    from analytics_service.warehouse.store import open_file

    conn = open_file(path)
    try:
        conn.execute(
            "INSERT INTO dim_contact (tenant_id, contact_id, valid_from, is_current, region, "
            "country, deleted) SELECT ?::UUID, uuid(), TIMESTAMPTZ '2020-01-01', true, "
            "['EMEA', 'AMER', 'APAC'][1 + i % 3], ['DE', 'US', 'JP', 'FR', 'BR'][1 + i % 5], "
            "false FROM range(200000) t(i)",
            [str(TENANT)],
        )
        conn.execute(
            "CREATE TEMP TABLE ids AS SELECT row_number() OVER () - 1 AS n, contact_id "
            "FROM dim_contact"
        )
        conn.execute(
            "INSERT INTO fact_order (tenant_id, order_id, contact_id, ordered_at, total, "
            "currency, status, date_key) SELECT ?::UUID, uuid(), ids.contact_id, t.ts, "
            "(10 + i % 990)::DECIMAL(19,4), 'EUR', 'placed', CAST(t.ts AS DATE) FROM ("
            "SELECT i, TIMESTAMPTZ '2022-01-01' + to_seconds(i * 7 % 126144000) AS ts "
            "FROM range(?) t(i)) t "
            "JOIN ids ON ids.n = i % 200000",
            [str(TENANT), rows],
        )
        conn.execute("CHECKPOINT")
    finally:
        conn.close()


def raw_latencies(path: Path, requests: int) -> list[float]:
    import duckdb
    from analytics_service.olap.compile import compile_query
    from analytics_service.olap.schemas import OlapQuery
    from crm_chassis.auth import Actor

    compiled = compile_query(OlapQuery.model_validate(QUERY), Actor(TENANT, uuid4()))
    conn = duckdb.connect(str(path), read_only=True)
    try:
        conn.execute(compiled.sql, compiled.params).fetchall()  # warm-up
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            conn.execute(compiled.sql, compiled.params).fetchall()
            times.append(time.perf_counter() - started)
        return times
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def api_latencies(path: Path, requests: int) -> list[float]:
    import httpx
    from crm_chassis.auth import Actor, issue_token
    from crm_chassis.settings import SharedSettings

    port = free_port()
    env = {
        **os.environ,
        "CRM_ANALYTICS_WAREHOUSE_PATH": str(path),
        "CRM_ANALYTICS_RUN_BACKGROUND": "false",
        "CRM_ANALYTICS_WAREHOUSE_WRITER": "false",
        "CRM_NATS_URL": f"nats://{HOST}:{free_port()}",  # nothing listens: OLAP needs no bus
        "CRM_JWT_SECRET": JWT_SECRET,
        "CRM_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "analytics_service.main:create_app",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
    )
    settings = SharedSettings(jwt_secret=JWT_SECRET)
    token = issue_token(Actor(TENANT, uuid4(), scopes=frozenset({"analytics:read"})), settings)
    try:
        with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=120) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the analytics app did not start")
                time.sleep(0.2)
            headers = {"Authorization": f"Bearer {token}"}
            first = http.post("/v1/olap/query", json=QUERY, headers=headers)
            first.raise_for_status()
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                http.post("/v1/olap/query", json=QUERY, headers=headers).raise_for_status()
                times.append(time.perf_counter() - started)
            return times
    finally:
        server.terminate()
        server.wait(30)


# -- part 2: loading --------------------------------------------------------------------


def order_event(i: int) -> bytes:
    from crm_proto import CloudEvent

    return (
        CloudEvent(
            id=str(uuid4()),
            source="/crm/sales-service",
            type="crm.sales.order.created.v1",
            subject=str(uuid4()),
            time=datetime(2026, 1, 1, tzinfo=UTC),
            data={
                "order_id": str(uuid4()),
                "account_id": str(uuid4()),
                "total": {"amount": f"{10 + i % 90}.00", "currency": "EUR"},
                "ordered_at": "2026-01-01T00:00:00+00:00",
                "source": "bench",
                "channel_level": "direct",
            },
            tenantid=str(TENANT),
        )
        .model_dump_json()
        .encode()
    )


async def consume(nats_url: str, events: int, durable: str, handle, batch: int) -> float:  # type: ignore[no-untyped-def]
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_ack_pending=1000,
    )
    sub = await js.pull_subscribe("crm.>", durable=durable, stream="CRM", config=config)
    done = 0
    started = time.perf_counter()
    while done < events:
        messages = await sub.fetch(batch, timeout=5)
        await handle(messages)
        for msg in messages:
            await msg.ack()
        done += len(messages)
    seconds = time.perf_counter() - started
    await nc.close()
    return events / seconds


async def load_rates(workdir: Path, events: int, batch: int) -> tuple[float, float]:
    import nats
    from analytics_service.warehouse.store import Warehouse
    from crm_chassis.bus import ensure_streams
    from crm_local.nats import EmbeddedNats
    from crm_proto import CloudEvent

    server = EmbeddedNats(workdir / "nats")
    nats_url = server.start()
    try:
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await ensure_streams(js)
        for i in range(events):
            await js.publish_async("crm.sales.order.created", order_event(i))
        await js.publish_async_completed()
        await nc.close()

        async def raw(messages) -> None:  # type: ignore[no-untyped-def]
            return None

        warehouse = Warehouse(workdir / "load.duckdb")

        async def load(messages) -> None:  # type: ignore[no-untyped-def]
            batch = [CloudEvent.model_validate_json(m.data) for m in messages]
            await warehouse.load(batch)

        raw_rate = await consume(nats_url, events, "bench-raw", raw, batch)
        load_rate = await consume(nats_url, events, "bench-warehouse", load, batch)
        warehouse.close()
        return raw_rate, load_rate
    finally:
        server.stop()


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from report import print_result, result_row

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--events", type=int, default=20_000)
    from analytics_service.warehouse.consumer import warehouse_consumer

    fetched = warehouse_consumer(None, timedelta(0)).batch_size  # type: ignore[arg-type]
    parser.add_argument(
        "--batch", type=int, default=fetched, help=f"the warehouse consumer fetches {fetched}"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-olap-"))
    try:
        path = workdir / "warehouse.duckdb"
        started = time.perf_counter()
        fill(path, args.rows)
        print(f"{args.rows:,} order facts written in {time.perf_counter() - started:.1f} s")
        raw = statistics.median(raw_latencies(path, args.requests)) * 1000
        api = statistics.median(api_latencies(path, args.requests)) * 1000
        raw_after = statistics.median(raw_latencies(path, args.requests)) * 1000
        baseline = min(raw, raw_after)
        print(
            f"  roll-up, DuckDB direct   {baseline:8.1f} ms (median; {raw:.1f} before, "
            f"{raw_after:.1f} after the API)"
        )
        print(
            f"  roll-up, POST /v1/olap   {api:8.1f} ms   ratio {api / baseline:.2f} "
            f"(target <= {TARGET_RATIO})"
        )
        raw_rate, load_rate = asyncio.run(load_rates(workdir, args.events, args.batch))
        print(f"  raw JetStream consume    {raw_rate:10,.0f} events/s (batches of {args.batch})")
        print(
            f"  warehouse load           {load_rate:10,.0f} events/s   "
            f"ratio {load_rate / raw_rate:.2f}"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_result(
        [
            result_row(
                f"OLAP roll-up via API ({args.rows:,} facts)",
                api,
                "ms",
                "same SQL in DuckDB directly",
                baseline,
                target=f"ratio <= {TARGET_RATIO}",
                met=api / baseline <= TARGET_RATIO,
            ),
            result_row(
                f"warehouse load rate (batches of {args.batch})",
                load_rate,
                "events/s",
                "raw JetStream pull consumption",
                raw_rate,
            ),
        ]
    )


if __name__ == "__main__":
    main()
