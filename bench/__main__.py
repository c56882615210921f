"""``make bench``: every benchmark in turn, then one table of their figures.

Each script runs as its own process (it starts what it measures on loopback and stops it),
its output passed through as it comes; its last ``BENCH-RESULT`` line is collected
(bench/report.py) and the table of every row, each a ratio to the raw baseline measured in
the same run, is printed and written to ``.data/bench/latest.md`` and ``latest.json`` with
the machine it ran on.

Sizes are the issue targets; ``--quick`` takes small sizes and a time budget for the whole
run (under five minutes): each script gets an equal share of what is left (at least 90 s
while it lasts) and is interrupted past it; one that would start after the budget is
listed as not run. ``--only NAME ...`` runs some scripts.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import ScriptResult, collect, machine, write

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE.parent / ".data" / "bench"
# The proxy transports side by side (ADR 0002); the real gateway in front of a real service
# is read_path.py's, with the gateway's database.
PROXY_TARGETS = ["upstream", "proxy-httpx", "proxy-aiohttp"]
# script, full-size arguments, quick arguments
RUNS: list[tuple[str, list[str], list[str] | None]] = [  # the targets first
    ("relay.py", ["--events", "50000"], ["--events", "5000", "--rounds", "1"]),
    ("propagation.py", ["--rate", "500", "--seconds", "20"], ["--rate", "500", "--seconds", "3"]),
    ("read_path.py", [], ["--contacts", "1000", "--duration", "3", "--rounds", "1"]),
    ("olap.py", [], ["--rows", "200000", "--requests", "10", "--events", "2000"]),
    ("import_contacts.py", ["--rows", "100000"], ["--rows", "5000"]),
    (
        "marketing_segments.py",
        [],
        ["--contacts", "200000", "--events", "200", "--recipients", "300"],
    ),
    ("support_sla.py", [], ["--tickets", "5000", "--rows", "20000", "--requests", "50"]),
    ("webhook_dispatch.py", ["--events", "5000"], ["--events", "300"]),
    ("search.py", ["--rows", "1000000"], ["--rows", "20000", "--requests", "50"]),
    ("sales.py", [], ["--orders", "2000", "--deals", "10000", "--requests", "50"]),
    (
        "gateway_proxy.py",
        ["--targets", *PROXY_TARGETS],
        ["--duration", "2", "--rounds", "1", "--targets", *PROXY_TARGETS],
    ),
]
QUICK_BUDGET_SECONDS = 265.0  # the whole quick run, leaving the table and teardown inside 5 min
QUICK_MIN_SHARE_SECONDS = 90.0  # a script's least time in the quick run, if the budget has it
FULL_SCRIPT_LIMIT_SECONDS = 3600.0
GRACE_SECONDS = 20.0  # after SIGINT, before the script's process group is killed
HELPERS = {"__main__.py", "report.py"}


def every_run() -> list[tuple[str, list[str], list[str] | None]]:
    """RUNS, then any other script in bench/ (its defaults; no quick sizes known)."""
    listed = {script for script, _, _ in RUNS}
    others = sorted(p.name for p in HERE.glob("*.py") if p.name not in listed | HELPERS)
    return [*RUNS, *((name, [], None) for name in others)]


def _stop(proc: subprocess.Popen[str], stopped: threading.Event) -> None:
    """Interrupt a script that ran out of time (SIGINT: its ``finally`` blocks stop what it
    started), then kill what is left of its process group: the script if it did not end,
    and any child it left behind (which would also hold its output pipe open)."""
    stopped.set()
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(GRACE_SECONDS)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_script(path: Path, args: list[str], limit: float) -> ScriptResult:
    """Run one bench script for at most ``limit`` seconds; what it reported."""
    script = path.name
    if not path.exists():
        return ScriptResult(script, args, 0.0, "not run: missing")
    print(f"\n=== bench/{script} {' '.join(args)}", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(path), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group, so a stuck one can be killed whole
    )
    stopped = threading.Event()
    timer = threading.Timer(limit, _stop, (proc, stopped))
    timer.start()
    output: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            print(line, end="", flush=True)
        returncode = proc.wait()
    finally:
        timer.cancel()
    seconds = time.monotonic() - started
    return collect(script, args, "".join(output), None if stopped.is_set() else returncode, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, whole run < 5 min")
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="e.g. relay propagation")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where latest.md/.json go")
    options = parser.parse_args()
    runs = every_run()
    if options.only:
        wanted = {name.removesuffix(".py") for name in options.only}
        runs = [r for r in runs if r[0].removesuffix(".py") in wanted]
        if not runs:
            parser.error(f"no such bench: {' '.join(options.only)}")
    host = machine()
    deadline = time.monotonic() + (QUICK_BUDGET_SECONDS if options.quick else 1e9)
    results: list[ScriptResult] = []
    for index, (script, full, small) in enumerate(runs):
        args = small if options.quick else full
        # What a script may use: the budget less the grace an interrupted one is given.
        left = deadline - time.monotonic() - GRACE_SECONDS
        if args is None:
            note = "not run: no quick sizes (add it to RUNS in bench/__main__.py)"
            results.append(ScriptResult(script, full, 0.0, note))
            continue
        if left < 10:
            results.append(ScriptResult(script, args, 0.0, "not run: quick time budget spent"))
            continue
        # An equal share of what is left (what one saves goes to the next), at least the
        # minimum while the budget lasts, so one slow script does not starve the rest.
        share = max(left / (len(runs) - index), QUICK_MIN_SHARE_SECONDS)
        limit = min(share, left, FULL_SCRIPT_LIMIT_SECONDS)
        results.append(run_script(HERE / script, args, limit))
    host["load_average_end"] = round(os.getloadavg()[0], 1)
    table = write(results, host, options.quick, options.out)
    print("\n" + table, flush=True)
    print(f"written to {options.out / 'latest.md'} and latest.json")
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
