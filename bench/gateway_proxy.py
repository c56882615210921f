"""Proxy transport benchmark: how many requests per second a proxy in front of a trivial
upstream carries, on httpx.AsyncClient versus aiohttp's ClientSession (ADR 0002). The real
gateway, which needs its database, is measured in front of a real service by read_path.py.

    python bench/gateway_proxy.py [--duration 5] [--rounds 3] [--concurrency 32]

Starts, on free loopback ports and as child processes: a uvicorn FastAPI upstream with
``/ping``, then each proxy in turn; drives each target from a separate load process
(``wrk`` when installed, else the built-in keep-alive load generator on uvloop and
httptools) with a fixed number of connections for a fixed time, and prints req/s, latency,
the ratio to the upstream alone, and each process's CPU time per request (steadier than
req/s on a shared machine). Rounds are interleaved; the median is reported. Ends with
its ``BENCH-RESULT`` line (bench/report.py): each proxy's req/s and CPU per request beside
the upstream's; a target that failed is reported and the others keep their rows (exit 1).
Everything runs in the foreground and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

# Module level: FastAPI resolves the endpoints' string annotations in these globals.
from fastapi import FastAPI, Request
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

HOST = "127.0.0.1"
PATH = "/v1/contacts/ping"  # routed to contacts by the real gateway; the others pass it on
DROP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "host",
    "date",
    "server",
    "proxy-authorization",
    "proxy-authenticate",
    "trailer",
}
TARGETS = ("upstream", "proxy-httpx", "proxy-aiohttp")


# -- the servers (each runs in a child process) ----------------------------------------


def upstream_app() -> Any:

    app = FastAPI()

    @app.get("/ping")
    @app.get(PATH)
    async def ping() -> dict[str, bool]:
        return {"pong": True}

    return app


def _headers(items: Any) -> dict[str, str]:
    return {k: v for k, v in items if k.lower() not in DROP}


def httpx_proxy_app(upstream: str) -> Any:
    import importlib.util

    if importlib.util.find_spec("sniffio") is None and not os.environ.get("BENCH_HTTPX_AS_IS"):
        # httpcore tries ``import sniffio`` several times per request; without sniffio
        # installed (anyio >= 4.? no longer needs it) each try searches sys.path on disk.
        # A None entry makes the import fail at once, as documented for sys.modules, so
        # httpx is measured at its best. --httpx-as-is measures it as installed.
        sys.modules["sniffio"] = None  # type: ignore[assignment]
    import httpx

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        async with httpx.AsyncClient(base_url=upstream, limits=limits, timeout=30) as client:
            app.state.client = client
            yield

    app = FastAPI(lifespan=lifespan)

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def proxy(request: Request) -> StreamingResponse:
        client: httpx.AsyncClient = request.app.state.client
        has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
        outgoing = client.build_request(
            request.method,
            request.url.path,
            params=request.url.query,
            headers=_headers(request.headers.items()),
            content=request.stream() if has_body else None,
        )
        response = await client.send(outgoing, stream=True)
        return StreamingResponse(
            response.aiter_raw(),
            status_code=response.status_code,
            headers=_headers(response.headers.items()),
            background=BackgroundTask(response.aclose),
        )

    return app


async def _release(response: Any) -> None:
    # An async callable: a plain function would be sent to a worker thread per request.
    response.release()


def aiohttp_proxy_app(upstream: str) -> Any:
    import aiohttp

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=4)
        async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
            app.state.session = session
            yield

    app = FastAPI(lifespan=lifespan)

    # The same shape as the httpx proxy, so only the client differs.
    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def proxy(request: Request) -> StreamingResponse:
        session: aiohttp.ClientSession = request.app.state.session
        has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
        response = await session.request(
            request.method,
            upstream + request.url.path,
            params=request.url.query or None,
            headers=_headers(request.headers.items()),
            data=request.stream() if has_body else None,
            allow_redirects=False,
        )
        return StreamingResponse(
            response.content.iter_any(),
            status_code=response.status,
            headers=_headers(response.headers.items()),
            background=BackgroundTask(_release, response),
        )

    return app


def serve(target: str, port: int, upstream: str) -> None:
    """Child process: run one server until terminated."""
    import uvicorn

    options: dict[str, Any] = dict(  # noqa: C408 - keyword arguments read best here
        host=HOST, port=port, log_level="warning", access_log=False, loop="uvloop", http="httptools"
    )
    if target == "upstream":
        uvicorn.run(upstream_app(), **options)
    elif target == "proxy-httpx":
        uvicorn.run(httpx_proxy_app(upstream), **options)
    else:
        uvicorn.run(aiohttp_proxy_app(upstream), **options)


# -- the load generator (a child process too) ------------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive connection sending the same request again as soon as it is answered."""

    def __init__(self, request: bytes, stats: dict[str, Any]) -> None:
        import httptools

        self.request, self.stats = request, stats
        self.parser = httptools.HttpResponseParser(self)
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent = 0.0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self._send()

    def _send(self) -> None:
        self.sent = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_message_complete(self) -> None:
        stats = self.stats
        if stats["measuring"]:
            ok = self.parser.get_status_code() == 200
            stats["ok" if ok else "errors"] += 1
            stats["latencies"].append(time.perf_counter() - self.sent)
        if stats["running"]:
            self._send()
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def _drive(port: int, concurrency: int, duration: float, token: str) -> dict:
    request = (
        f"GET {PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    stats: dict[str, Any] = {
        "ok": 0,
        "errors": 0,
        "latencies": [],
        "running": True,
        "measuring": True,
        "reconnects": 0,
    }
    loop = asyncio.get_running_loop()

    async def connection() -> None:
        while stats["running"]:
            _, proto = await loop.create_connection(lambda: _Connection(request, stats), HOST, port)
            await proto.closed
            if stats["running"]:
                stats["reconnects"] += 1

    started = time.perf_counter()
    tasks = [asyncio.create_task(connection()) for _ in range(concurrency)]
    await asyncio.sleep(duration)
    stats["measuring"], elapsed = False, time.perf_counter() - started
    stats["running"] = False
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
    latencies = sorted(stats["latencies"]) or [0.0]
    return {
        "rps": stats["ok"] / elapsed,
        "errors": stats["errors"],
        "reconnects": stats["reconnects"],
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def load(port: int, concurrency: int, duration: float, token: str) -> None:
    """Child process: drive ``port`` and print one JSON line of results."""
    import uvloop

    print(json.dumps(uvloop.run(_drive(port, concurrency, duration, token))))


def _wrk(port: int, concurrency: int, duration: float, token: str) -> dict:
    url, auth = f"http://{HOST}:{port}{PATH}", f"Authorization: Bearer {token}"
    cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "-H", auth]
    out = subprocess.run([*cmd, "--latency", url], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    rps = float(next(line.split()[1] for line in lines if "Requests/sec" in line))
    errors = sum(
        int(n)
        for line in lines
        if "Non-2xx" in line or "Socket errors" in line
        for n in re.findall(r"\d+", line.split(":", 1)[1])
    )

    def percentile(label: str) -> float:
        value = next(line.split()[1] for line in lines if line.strip().startswith(label))
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        unit = next(u for u in ("us", "ms", "s") if value.endswith(u))
        return float(value[: -len(unit)]) * scale[unit]

    return {
        "rps": rps,
        "errors": errors,
        "reconnects": 0,
        "p50_ms": percentile("50%"),
        "p99_ms": percentile("99%"),
    }


# -- orchestration ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout:.0f}s")


@contextlib.contextmanager
def server(target: str, upstream_url: str, env: dict[str, str]) -> Iterator[tuple[int, int]]:
    port = free_port()
    cmd = [sys.executable, __file__, "_serve", target, str(port), upstream_url]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drive(port: int, seconds: float, args: argparse.Namespace, token: str, env: dict) -> dict:
    if args.generator == "wrk":
        return _wrk(port, args.concurrency, seconds, token)
    cmd = [sys.executable, __file__, "_load", str(port), str(args.concurrency), str(seconds)]
    done = subprocess.run(
        [*cmd, token], env=env, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(
    port: int, pids: dict[str, int], args: argparse.Namespace, token: str, env: dict[str, str]
) -> dict:
    """Warm up, then drive ``port`` for the measured time; adds each process's CPU time
    per request (less disturbed by a busy machine than req/s)."""
    drive(port, args.warmup, args, token, env)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    result = drive(port, args.duration, args, token, env)
    spent = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    requests = max(1.0, result["rps"] * args.duration)
    result["cpu_us"] = {name: seconds / requests * 1e6 for name, seconds in spent.items()}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--rounds", type=int, default=3, help="runs per target (median kept)")
    parser.add_argument("--concurrency", type=int, default=32, help="open connections")
    parser.add_argument(
        "--generator", choices=("python", "wrk"), default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument(
        "--httpx-as-is",
        action="store_true",
        help="keep httpcore's per-request sniffio import search",
    )
    args = parser.parse_args()
    if not (
        1 <= args.concurrency <= 512
        and 0 < args.duration <= 60
        and 0 <= args.warmup <= 30
        and 1 <= args.rounds <= 10
    ):
        parser.error(
            "bounded: concurrency 1..512, duration up to 60 s, warm-up up to 30 s, 1..10 rounds"
        )

    if "upstream" not in args.targets:
        args.targets.insert(0, "upstream")  # the baseline every ratio is to
    env = os.environ | {"CRM_LOG_LEVEL": "ERROR"}
    if args.httpx_as_is:
        env["BENCH_HTTPX_AS_IS"] = "1"
    token = "bench"  # sent as a real client would; the proxies pass it on unchecked
    results: dict[str, list[dict]] = {t: [] for t in args.targets}
    failed: dict[str, str] = {}
    print(
        f"{len(os.sched_getaffinity(0))} CPUs; {args.concurrency} connections, "
        f"{args.duration:g}s x {args.rounds} rounds per target; load: {args.generator}"
    )
    with server("upstream", "", env) as (upstream_port, upstream_pid):
        upstream_url = f"http://{HOST}:{upstream_port}"
        for round_ in range(1, args.rounds + 1):
            for target in args.targets:
                if target in failed:
                    continue
                try:
                    if target == "upstream":
                        pids = {"self": upstream_pid}
                        result = measure(upstream_port, pids, args, token, env)
                    else:
                        with server(target, upstream_url, env) as (port, pid):
                            pids = {"self": pid, "upstream": upstream_pid}
                            result = measure(port, pids, args, token, env)
                except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
                    failed[target] = f"{type(exc).__name__}: {exc}"
                    print(f"  round {round_} {target:<14} FAILED: {failed[target]}", flush=True)
                    continue
                results[target].append(result)
                print(f"  round {round_} {target:<14} {result['rps']:>9,.0f} req/s", flush=True)
    report({t: runs for t, runs in results.items() if runs})
    return 1 if failed else 0


def report(results: dict[str, list[dict]]) -> None:
    if not results:
        return
    median = {t: statistics.median(r["rps"] for r in runs) for t, runs in results.items()}
    base = median.get("upstream")
    print(
        f"\n{'target':<15}{'req/s':>9}{'vs upstream':>13}{'p50 ms':>8}{'p99 ms':>9}"
        f"{'CPU us/req':>12}{'+upstream':>11}{'errors':>8}"
    )
    for target, runs in results.items():
        mid = min(runs, key=lambda r: abs(r["rps"] - median[target]))
        cpu = statistics.median(r["cpu_us"]["self"] for r in runs)
        upstream_cpu = [r["cpu_us"]["upstream"] for r in runs if "upstream" in r["cpu_us"]]
        behind = f"{statistics.median(upstream_cpu):,.0f}" if upstream_cpu else "-"
        ratio = f"{median[target] / base:.2f}x" if base else "-"
        errors = sum(r["errors"] for r in runs)
        print(
            f"{target:<15}{median[target]:>9,.0f}{ratio:>13}{mid['p50_ms']:>8.2f}"
            f"{mid['p99_ms']:>9.2f}{cpu:>12,.0f}{behind:>11}{errors:>8}"
        )
    if "proxy-httpx" in median and "proxy-aiohttp" in median:
        ratio = median["proxy-aiohttp"] / max(median["proxy-httpx"], 1e-9)
        print(f"\naiohttp proxy / httpx proxy: {ratio:.1f}x req/s")
    print("CPU us/req: the target process's CPU time per request; +upstream: the upstream's.")
    from report import print_result, result_row

    if not base:
        return  # no baseline measured: nothing to report a ratio to
    upstream_cpu = statistics.median(r["cpu_us"]["self"] for r in results["upstream"])
    rows = []
    for target, runs in results.items():
        if target == "upstream":
            continue
        mid = min(runs, key=lambda r: abs(r["rps"] - median[target]))
        rows += [
            result_row(f"{target}: throughput", median[target], "req/s", "upstream alone", base),
            result_row(
                f"{target}: p50 latency",
                mid["p50_ms"],
                "ms",
                "upstream alone, p50",
                min(results["upstream"], key=lambda r: abs(r["rps"] - base))["p50_ms"],
            ),
            result_row(
                f"{target}: CPU per request (proxy process)",
                statistics.median(r["cpu_us"]["self"] for r in runs),
                "us/req",
                "upstream's CPU per request alone",
                upstream_cpu,
            ),
        ]
    if rows:
        print_result(rows)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) > 1 and sys.argv[1] == "_load":
        a = sys.argv[2:]
        load(int(a[0]), int(a[1]), float(a[2]), a[3])
    else:
        sys.exit(main())
