"""``python -m bench`` runs a script as its own process and keeps what it reported, also
when the script fails, says nothing, or runs past its time."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))

_spec = importlib.util.spec_from_file_location("bench_main", BENCH / "__main__.py")
assert _spec is not None and _spec.loader is not None
bench_main = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_main)

LINE = 'print(\'BENCH-RESULT [{"name": "x", "value": 2, "baseline": "b", "baseline_value": 4}]\')'


def script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_a_reporting_script_gives_its_rows(tmp_path: Path) -> None:
    path = script(tmp_path, "good.py", f"import sys\nprint('table', sys.argv[1:])\n{LINE}\n")
    result = bench_main.run_script(path, ["--rows", "5"], limit=60)
    assert result.status == "ok"
    assert result.args == ["--rows", "5"]
    assert [(r["name"], r["ratio"]) for r in result.rows] == [("x", 0.5)]


def test_a_script_without_the_line_is_not_reporting(tmp_path: Path) -> None:
    result = bench_main.run_script(script(tmp_path, "quiet.py", "print('hi')\n"), [], limit=60)
    assert result.rows == []
    assert result.status.startswith("not reporting")


def test_a_failing_script_keeps_its_rows_and_its_exit_status(tmp_path: Path) -> None:
    path = script(tmp_path, "failing.py", f"{LINE}\nraise SystemExit(3)\n")
    result = bench_main.run_script(path, [], limit=60)
    assert result.status == "exit 3"
    assert len(result.rows) == 1


def test_a_script_past_its_time_is_interrupted_and_its_cleanup_runs(tmp_path: Path) -> None:
    marker = tmp_path / "cleaned"
    body = f"""
        import time
        from pathlib import Path
        try:
            time.sleep(60)
        finally:
            Path({str(marker)!r}).write_text("yes")
    """
    result = bench_main.run_script(script(tmp_path, "slow.py", body), [], limit=1)
    assert result.status.startswith("timed out after")
    assert result.seconds < bench_main.GRACE_SECONDS
    assert marker.read_text() == "yes"


def test_a_missing_script_is_listed_not_run(tmp_path: Path) -> None:
    result = bench_main.run_script(tmp_path / "gone.py", [], limit=60)
    assert result.status == "not run: missing"


def test_a_child_left_behind_is_killed_with_its_script(tmp_path: Path) -> None:
    body = """
        import subprocess, sys, time
        # A child that keeps the output pipe open and outlives its parent.
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        time.sleep(60)
    """
    result = bench_main.run_script(script(tmp_path, "leaky.py", body), [], limit=1)
    assert result.status.startswith("timed out after")
    assert result.seconds < bench_main.GRACE_SECONDS
