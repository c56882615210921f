"""``make test``: every package's tests, one pytest process per suite, a few at a time.

    python -m crm_testing.runner [-j N] [SUITE ...] [-- PYTEST ARGS]

A suite is a folder of the root ``pyproject.toml``'s pytest ``testpaths``, and each of
its subfolders with tests (``contacts-service/tests/{unit,integration}``,
``tests/faults``) is one suite of its own, so the largest package does not run alone at
the end. ``SUITE`` selects
suites by path prefix (``contacts-service``, ``gateway``). Each process starts its own
embedded PostgreSQL and NATS (the ``crm_testing`` plugin), so databases, streams and
durable consumer names never meet. Suites start longest first, by the durations of the
previous run kept in ``.data/test-durations.json``. Each one's output goes to
``.data/test-logs/<suite>.log`` and is printed when it ends; the last lines are the
combined counts (``N passed, N failed[, N skipped]``) and the duration. The exit status
is non-zero when a suite failed or when no test ran.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from crm_local.stack import find_repo_root

#: Measured on the 2-core machine (705 tests, other work running beside): one serial
#: pytest 954 s; 2 at a time 598 s, 3 at a time 626 s (cold order), 4 at a time 474 s.
#: The suites wait on PostgreSQL, NATS and child processes much of the time.
DEFAULT_JOBS = 4
#: Suites that alone outlast the others, run as that many processes, their files dealt
#: round-robin (``contacts-service/tests/integration#1of2``).
SHARDS = {"contacts-service/tests/integration": 2}
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")
_NO_TESTS_COLLECTED = 5  # pytest's exit status when nothing was selected


@dataclass
class Suite:
    """One pytest process: a folder of tests, its log and, once ended, its outcome."""

    path: str
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    handle: IO[bytes] | None = None
    started: float = 0.0
    seconds: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    returncode: int | None = None

    @property
    def failed(self) -> bool:
        """Failed tests, or a process that ended badly without saying why (a crash)."""
        return self.returncode not in (0, _NO_TESTS_COLLECTED) or bool(self.counts["failed"])


def suites(root: Path) -> list[str]:
    """The suite folders, relative to ``root``, from the pytest ``testpaths``."""
    config = tomllib.loads((root / "pyproject.toml").read_text())
    found = []
    for testpath in config["tool"]["pytest"]["ini_options"]["testpaths"]:
        folder = root / testpath
        nested = sorted(p for p in folder.iterdir() if p.is_dir() and _has_tests(p))
        top_level = any(folder.glob("test_*.py"))
        if folder.is_dir() and (top_level or not nested):
            found.append(testpath)
        found += [str(p.relative_to(root)) for p in nested]
    return [f"{path}#{k}of{SHARDS[path]}" if path in SHARDS else path
            for path in found for k in range(1, SHARDS.get(path, 1) + 1)]  # fmt: skip


def _targets(root: Path, suite_path: str) -> list[str]:
    """What pytest is given for a suite: its folder, or a shard's files."""
    folder, _, shard = suite_path.partition("#")
    if not shard:
        return [folder]
    k, n = (int(x) for x in shard.split("of"))
    files = sorted(str(p.relative_to(root)) for p in (root / folder).rglob("test_*.py"))
    return files[k - 1 :: n]


def _has_tests(folder: Path) -> bool:
    return any(folder.rglob("test_*.py"))


def run(root: Path, selected: list[str], jobs: int, pytest_args: list[str]) -> int:
    """Run the suites, ``jobs`` at a time; print each one's output and the totals."""
    durations_file = root / ".data" / "test-durations.json"
    logs = root / ".data" / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    known = _read_json(durations_file)
    paths = [s for s in suites(root) if not selected or any(s.startswith(p) for p in selected)]
    if not paths:
        print(f"no suite matches {selected}; suites are: {', '.join(suites(root))}")
        return 2
    # Longest first; a suite never timed goes first too, as it may be a long one.
    paths.sort(key=lambda p: -known.get(p, float("inf")))
    pending = [Suite(p, logs / (re.sub("[/#]", "_", p) + ".log")) for p in paths]
    running: list[Suite] = []
    done: list[Suite] = []
    began = time.monotonic()
    print(f"{len(pending)} suites, {jobs} at a time; logs in {logs}", flush=True)
    try:
        while pending or running:
            while pending and len(running) < jobs:
                running.append(_start(pending.pop(0), root, pytest_args))
            for suite in [s for s in running if s.proc and s.proc.poll() is not None]:
                running.remove(suite)
                done.append(_finish(suite))
            time.sleep(0.2)
    except KeyboardInterrupt:
        for suite in running:
            _interrupt(suite)
        raise
    elapsed = time.monotonic() - began
    _write_json(durations_file, known | {s.path: round(s.seconds, 1) for s in done})
    return _report(done, elapsed, jobs)


def _start(suite: Suite, root: Path, pytest_args: list[str]) -> Suite:
    suite.handle = suite.log.open("wb")
    suite.started = time.monotonic()
    suite.proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            *_targets(root, suite.path),
            "-q",
            "-p",
            "no:cacheprovider",
            # a subfolder that is a suite of its own (tests/faults) runs only there
            *(f"--ignore={other}" for other in suites(root) if other.startswith(f"{suite.path}/")),
            *pytest_args,
        ],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=suite.handle,
        stderr=subprocess.STDOUT,
        # Own group: a Ctrl-C reaches the runner only, which passes it on once.
        start_new_session=True,
    )
    return suite


def _finish(suite: Suite) -> Suite:
    assert suite.proc is not None and suite.handle is not None
    suite.handle.close()
    suite.returncode = suite.proc.returncode
    suite.seconds = time.monotonic() - suite.started
    output = suite.log.read_text(errors="replace")
    lines = output.strip().splitlines()
    summary = lines[-1] if lines else ""
    for number, word in _COUNT.findall(summary):
        suite.counts["failed" if word.startswith("error") else word] += int(number)
    verdict = "FAILED" if suite.failed else "ok"
    print(f"\n===== {suite.path}: {verdict} in {suite.seconds:.0f}s =====", flush=True)
    print(output.rstrip(), flush=True)
    if suite.failed and not suite.counts["failed"]:
        print(f"(pytest exited with {suite.returncode}; see {suite.log})", flush=True)
    return suite


def _interrupt(suite: Suite) -> None:
    if suite.proc is None or suite.proc.poll() is not None:
        return
    suite.proc.send_signal(signal.SIGINT)  # pytest tears its servers down on Ctrl-C
    try:
        suite.proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(suite.proc.pid, signal.SIGKILL)


def _report(done: list[Suite], elapsed: float, jobs: int) -> int:
    totals: Counter[str] = Counter()
    for suite in done:
        totals.update(suite.counts)
    # A crashed suite counts as a failure even when it could not say how many tests.
    failed = totals["failed"] + sum(1 for s in done if s.failed and not s.counts["failed"])
    broken = [s.path for s in done if s.failed]
    print()
    if broken:
        print("failed suites: " + ", ".join(broken))
    line = f"{totals['passed']} passed, {failed} failed"
    if totals["skipped"]:
        line += f", {totals['skipped']} skipped"
    print(line)
    print(f"make test took {elapsed:.0f}s ({len(done)} suites, {jobs} at a time)", flush=True)
    if totals["passed"] == 0 and not failed:
        print("no test ran")
        return 1
    return 1 if broken else 0


def _read_json(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, float]) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m crm_testing.runner``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    pytest_args: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, pytest_args = argv[:at], argv[at + 1 :]
    parser = argparse.ArgumentParser(prog="python -m crm_testing.runner", description=__doc__)
    parser.add_argument("suites", nargs="*", help="path prefixes of the suites to run")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=int(os.environ.get("CRM_TEST_JOBS") or DEFAULT_JOBS),
        help=f"suites at a time (default $CRM_TEST_JOBS or {DEFAULT_JOBS})",
    )
    args = parser.parse_args(argv)
    return run(find_repo_root(), args.suites, max(1, args.jobs), pytest_args)


if __name__ == "__main__":
    sys.exit(main())
