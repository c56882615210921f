"""The one benchmark table: rows every bench script reports, the machine they ran on.

A bench script ends by printing one line (see bench/README.md, "Reporting a result")::

    BENCH-RESULT [{"name": ..., "value": ..., "unit": ..., "baseline": ...,
                   "baseline_value": ..., "ratio": ..., "target": ..., "met": ...}, ...]

:func:`result_row` builds a row (the ratio is ``value / baseline_value``), and
:func:`print_result` prints the line. ``python -m bench`` collects the line of each script
with :func:`parse_result` and writes the table with :func:`write` (Markdown and JSON).
A script that ends without the line, or whose line does not parse, is listed as not
reporting; one that exits non-zero keeps its rows and is marked with its exit status.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PREFIX = "BENCH-RESULT "
FIELDS = ("name", "value", "unit", "baseline", "baseline_value", "ratio", "target", "met")


def result_row(
    name: str,
    value: float,
    unit: str,
    baseline: str,
    baseline_value: float,
    *,
    target: str | None = None,
    met: bool | None = None,
) -> dict[str, Any]:
    """One figure beside its raw baseline of the same run; ``met`` None: no target."""
    ratio = value / baseline_value if baseline_value else None
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


def result_line(rows: list[dict[str, Any]]) -> str:
    return PREFIX + json.dumps(rows, allow_nan=False, default=str)


def print_result(rows: list[dict[str, Any]]) -> None:
    """Print the machine-readable line; call it last, once."""
    print(result_line(rows), flush=True)


class NotReporting(ValueError):
    """The output holds no usable ``BENCH-RESULT`` line."""


def _number(row: dict[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise NotReporting(f"{key} of {row.get('name')!r} is not a finite number: {value!r}")
    return float(value)


def parse_result(output: str) -> list[dict[str, Any]]:
    """The rows of the last ``BENCH-RESULT`` line of ``output``; NotReporting if none fits."""
    lines = [line for line in output.splitlines() if line.startswith(PREFIX)]
    if not lines:
        raise NotReporting("no BENCH-RESULT line")
    try:
        rows = json.loads(lines[-1][len(PREFIX) :])
    except json.JSONDecodeError as exc:
        raise NotReporting(f"BENCH-RESULT is not JSON: {exc}") from None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise NotReporting("BENCH-RESULT is not a non-empty list of objects")
    parsed = []
    for row in rows:
        if not isinstance(row.get("name"), str) or not row["name"]:
            raise NotReporting(f"a row without a name: {row!r}")
        value, base = _number(row, "value"), _number(row, "baseline_value")
        if value is None:
            raise NotReporting(f"row {row['name']!r} has no value")
        ratio = _number(row, "ratio")
        if ratio is None and base:
            ratio = value / base
        met = row.get("met")
        if met is not None and not isinstance(met, bool):
            raise NotReporting(f"met of {row['name']!r} is not true, false or null")
        parsed.append(
            {
                "name": row["name"],
                "value": value,
                "unit": str(row.get("unit") or ""),
                "baseline": row.get("baseline"),
                "baseline_value": base,
                "ratio": ratio,
                "target": row.get("target"),
                "met": met,
            }
        )
    return parsed


@dataclass
class ScriptResult:
    """What one bench script gave: its rows, or why there are none."""

    script: str
    args: list[str]
    seconds: float
    status: str  # "ok", "not reporting: ...", "exit 1", "timed out after ...", "not run: ..."
    rows: list[dict[str, Any]] = field(default_factory=list)


def collect(script: str, args: list[str], output: str, returncode: int | None, seconds: float):
    """A :class:`ScriptResult` from a finished (or stopped) script's output."""
    try:
        rows = parse_result(output)
    except NotReporting as exc:
        rows, status = [], f"not reporting ({exc})"
    else:
        status = "ok"
    if returncode is None:
        status = f"timed out after {seconds:.0f} s" + ("" if rows else f"; {status}")
    elif returncode != 0:
        status = f"exit {returncode}" + ("" if rows else f"; {status}")
    return ScriptResult(script, args, round(seconds, 1), status, rows)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict[str, Any]:
    """The machine the run is on: CPU model, cores, memory, Python, OS, date, load."""
    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or platform.machine(),
    )
    meminfo = _read("/proc/meminfo").splitlines()
    mem_kb = next((int(line.split()[1]) for line in meminfo if "MemTotal" in line), 0)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": round(os.getloadavg()[0], 1),
        "commit": commit or None,
    }


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "**NO**"
    if isinstance(value, float):
        if value == 0 or abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value).replace("|", "\\|")


def markdown(results: list[ScriptResult], host: dict[str, Any], quick: bool) -> str:
    lines = [
        f"Benchmarks{' (quick sizes)' if quick else ''}, {host['date']}, commit {host['commit']}",
        "",
        f"Machine: {host['cpu']}, {host['cores']} cores ({host['cores_usable']} usable), "
        f"{host['memory_gib']} GiB, Python {host['python']}, {host['os']}; "
        f"load average {host['load_average']} at the start, {host.get('load_average_end', '-')}"
        " at the end.",
        "",
        "| bench | figure | value | unit | baseline (same run) | baseline value | ratio "
        "| target | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        name = r.script.removesuffix(".py")
        if not r.rows:
            lines.append(f"| {name} | {_fmt(r.status)} | | | | | | | |")
            continue
        note = "" if r.status == "ok" else f" ({_fmt(r.status)})"
        for row in r.rows:
            cells = [
                f"{name}{note}",
                _fmt(row["name"]),
                _fmt(row["value"]),
                _fmt(row["unit"]),
                _fmt(row["baseline"]),
                _fmt(row["baseline_value"]),
                "-" if row["ratio"] is None else f"{row['ratio']:.3g}x",
                _fmt(row["target"]),
                _fmt(row["met"]),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "ratio = value / baseline value. Seconds per script: "]
    lines[-1] += ", ".join(f"{r.script.removesuffix('.py')} {r.seconds:g}" for r in results)
    return "\n".join(lines) + "\n"


def write(results: list[ScriptResult], host: dict[str, Any], quick: bool, out_dir: Path) -> str:
    """Write ``latest.md`` and ``latest.json`` under ``out_dir``; the Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text = markdown(results, host, quick)
    (out_dir / "latest.md").write_text(text)
    document = {"machine": host, "quick": quick, "scripts": [asdict(r) for r in results]}
    (out_dir / "latest.json").write_text(json.dumps(document, indent=2) + "\n")
    return text
