"""``make soak``: the whole platform under a mixed load for a while, then a verdict.

    python -m crm_local.soak [--minutes 10] [--concurrency 16] [--out .data/soak]

Starts its own embedded PostgreSQL and NATS and every app (as ``make run`` does, on free
ports, in a temporary directory), then drives the gateway from this process: contacts
created, read, changed with ``If-Match``, searched and listed, and every list endpoint of
every other service (found in the gateway's merged OpenAPI: the ``GET`` paths without
parameters). The gateway's rate limits are lifted: the load is one API key. It reports
throughput, every unexpected answer (a 5xx, a transport error, or a status the operation
does not expect: the count must be 0) and the memory of every process (its own, USS) at
the start, the middle and the end; an app that grew in both halves by more than a tenth is
reported as growing (PostgreSQL and NATS are shown, not judged: their caches and the
stream grow to what they are configured to hold). Exit 0 when both hold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from crm_local.nats import EmbeddedNats
from crm_local.ports import free_ports
from crm_local.postgres import EmbeddedPostgres
from crm_local.stack import ALL_APPS, Stack

GROWTH = 1.10
"""A process whose memory grew by more than this factor in both halves is growing."""


@dataclass
class Tally:
    """What the load did: counts by operation, latencies, and every unexpected answer."""

    done: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    by_op: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def record(self, op: str, started: float, response: httpx.Response, ok: set[int]) -> bool:
        took = time.perf_counter() - started
        self.latencies.append(took)
        self.by_op.setdefault(op, []).append(took)
        if response.status_code in ok:
            self.done[op] += 1
            return True
        self.fail(op, f"{response.status_code} {response.text[:200]}")
        return False

    def fail(self, op: str, what: str) -> None:
        key = f"{op}: {what.split(' ', 1)[0]}"
        self.errors[key] += 1
        self.examples.setdefault(key, what)


class Load:
    """One worker's operations through the gateway, each on records of its own."""

    def __init__(self, http: httpx.AsyncClient, tally: Tally, lists: list[str]) -> None:
        self.http, self.tally, self.lists = http, tally, lists
        self.mine: list[tuple[str, str]] = []  # (id, etag)

    async def step(self) -> None:
        roll = random.random()
        if roll < 0.15 or not self.mine:
            await self.create()
        elif roll < 0.55:
            await self.read()
        elif roll < 0.70:
            await self.change()
        elif roll < 0.80:
            await self.call("search", "POST", "/v1/contacts/search", {200}, json=_search())
        elif roll < 0.85 or not self.lists:
            await self.call("list contacts", "GET", "/v1/contacts?limit=20", {200})
        else:
            path = random.choice(self.lists)
            await self.call(f"GET {path}", "GET", path, {200})

    async def call(self, op: str, method: str, path: str, ok: set[int], **kw: Any) -> Any:
        started = time.perf_counter()
        try:
            response = await self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.tally.fail(op, f"{type(exc).__name__} {exc}")
            return None
        return response if self.tally.record(op, started, response, ok) else None

    async def create(self) -> None:
        body = {"first_name": "Soak", "last_name": secrets.token_hex(4),
                "email": f"{secrets.token_hex(6)}@soak.example"}  # fmt: skip
        response = await self.call("create contact", "POST", "/v1/contacts", {201}, json=body)
        if response is not None:
            self.mine.append((response.json()["id"], response.headers["etag"]))

    async def read(self) -> None:
        contact_id, _ = random.choice(self.mine)
        await self.call("get contact", "GET", f"/v1/contacts/{contact_id}", {200})

    async def change(self) -> None:
        index = random.randrange(len(self.mine))
        contact_id, etag = self.mine[index]
        response = await self.call(
            "patch contact", "PATCH", f"/v1/contacts/{contact_id}", {200},
            json={"title": f"T{secrets.token_hex(3)}"},
            headers={"if-match": etag, "content-type": "application/merge-patch+json"},
        )  # fmt: skip
        if response is not None:
            self.mine[index] = (contact_id, response.headers["etag"])


def _search() -> dict[str, Any]:
    first_name = {"field": "first_name", "operator": "eq", "value": "Soak"}
    return {"filter_groups": [{"filters": [first_name]}], "limit": 10}


def list_endpoints(openapi: dict[str, Any]) -> list[str]:
    """``GET`` paths of the merged document that take no parameter at all and are not the
    gateway's own or admin ones: the lists a frontend opens."""
    paths = []
    for path, item in openapi.get("paths", {}).items():
        get = item.get("get")
        if get is None or "{" in path or not path.startswith("/v1/"):
            continue
        if any(p.get("required") for p in get.get("parameters", [])):
            continue
        # Not a staff user's lists: the platform's own, tracking, and the customer portal
        # (its own token).
        if path.split("/")[2] in {"admin", "auth", "audit", "events", "oauth", "portal", "t"}:
            continue
        paths.append(path)
    return sorted(paths)


def growing(samples: list[dict[str, int]]) -> list[str]:
    """The processes whose memory grew by more than :data:`GROWTH` in both halves
    (``samples``: start, middle, end): warming up grows once, a leak keeps growing."""
    start, middle, end = samples
    return sorted(n for n in start if middle[n] > start[n] * GROWTH and end[n] > middle[n] * GROWTH)


def memory(pids: dict[str, int]) -> dict[str, int]:
    """Memory (bytes) of each named process and its children that is theirs alone (USS):
    PostgreSQL's backends all map its shared buffers, which RSS would count once per
    backend and as growth while they fill."""
    sizes = {}
    for name, pid in pids.items():
        try:
            proc = psutil.Process(pid)
            family = [proc, *proc.children(recursive=True)]
            sizes[name] = sum(p.memory_full_info().uss for p in family)
        except psutil.NoSuchProcess:
            sizes[name] = 0
    return sizes


async def drive(
    stack: Stack, api_key: str, seconds: float, concurrency: int, servers: dict[str, int]
) -> dict[str, Any]:
    """``servers``: pids of the infrastructure (PostgreSQL, NATS), measured like the apps."""
    tally = Tally()
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as http:
        answer = await http.post("/v1/auth/token", json={"api_key": api_key})
        answer.raise_for_status()
        http.headers["authorization"] = f"Bearer {answer.json()['access_token']}"
        lists = list_endpoints((await http.get("/openapi.json")).json())
        workers = [Load(http, tally, lists) for _ in range(concurrency)]
        pids = stack.pids | servers
        samples = [memory(pids)]
        started = time.monotonic()
        half = started + seconds / 2

        async def work(load: Load) -> None:
            while time.monotonic() - started < seconds:
                await load.step()

        async def sample_middle() -> None:
            await asyncio.sleep(max(0.0, half - time.monotonic()))
            samples.append(memory(pids))

        await asyncio.gather(sample_middle(), *(work(w) for w in workers))
        elapsed = time.monotonic() - started
        samples.append(memory(pids))
    ops = sum(tally.done.values()) + sum(tally.errors.values())
    latencies = sorted(tally.latencies) or [0.0]
    return {
        "seconds": round(elapsed, 1),
        "concurrency": concurrency,
        "requests": ops,
        "requests_per_second": round(ops / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "by_operation": dict(tally.done.most_common()),
        "slowest_p50_ms": dict(
            sorted(
                ((op, round(statistics.median(t) * 1000, 1)) for op, t in tally.by_op.items()),
                key=lambda item: -item[1],
            )[:5]
        ),
        "errors": sum(tally.errors.values()),
        "error_kinds": {
            k: {"count": n, "example": tally.examples[k]} for k, n in tally.errors.items()
        },
        "list_endpoints": lists,
        "memory_mib": {name: [round(s[name] / 2**20, 1) for s in samples] for name in samples[0]},
        # Judged on the platform's apps; PostgreSQL's and NATS' caches and the stream grow
        # up to what they are configured to hold, and are reported for reading.
        "growing": [n for n in growing(samples) if n not in servers],
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"soak: {result['seconds']}s, {result['concurrency']} clients through the gateway",
        f"  {result['requests']:,} requests, {result['requests_per_second']:,} req/s, "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms",
        f"  slowest (p50 ms): {result['slowest_p50_ms']}",
        f"  errors: {result['errors']}",
        *(f"    {k}: {v['count']} (e.g. {v['example']})" for k, v in result["error_kinds"].items()),
        f"  lists read besides contacts: {len(result['list_endpoints'])}",
        "  memory (MiB) start / middle / end:",
        *(
            f"    {name:<10} {' / '.join(str(m) for m in mib)}"
            for name, mib in result["memory_mib"].items()
        ),
        f"  growing: {', '.join(result['growing']) or 'none'}",
    ]
    return "\n".join(lines)


def _postmaster(data_dir: Path) -> int:
    """The PostgreSQL server's pid (its backends are its children)."""
    pid_file = data_dir / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crm-soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path(".data/soak"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crm-soak-") as tmp:
        base = Path(tmp)
        pg, nats = EmbeddedPostgres(base / "pg", fast=True), EmbeddedNats(base / "nats")
        api_key = "crm_soak_" + secrets.token_hex(16)
        try:
            postgres_url, nats_url = pg.start(), nats.start()
            ports = dict(zip([a.name for a in ALL_APPS], free_ports(len(ALL_APPS)), strict=True))
            with Stack(
                postgres_url,
                nats_url,
                ports=ports,
                bootstrap_api_key=api_key,
                log_dir=base / "logs",
                extra_env={
                    "CRM_DATA_DIR": str(base / "data"),  # its files, not make run's
                    # The load is one API key: measure the platform, not its rate limits.
                    "CRM_GATEWAY_RATE_LIMIT_PER_KEY": str(10**9),
                    "CRM_GATEWAY_RATE_LIMIT_PER_TENANT": str(10**9),
                },
            ) as stack:
                print(f"platform up; soaking for {args.minutes:g} min ...", flush=True)
                servers = {"nats": nats.pid or 0, "postgres": _postmaster(base / "pg")}
                result = asyncio.run(
                    drive(stack, api_key, args.minutes * 60, args.concurrency, servers)
                )
        finally:
            nats.stop()
            pg.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(result, indent=2))
    print(report(result))
    ok = result["errors"] == 0 and not result["growing"]
    print("soak passed" if ok else "SOAK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
