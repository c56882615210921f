"""The benchmark table's rules: which lines count, how rows are checked, what is listed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report import (
    NotReporting,
    collect,
    markdown,
    parse_result,
    result_line,
    result_row,
    write,
)

HOST = {
    "cpu": "Test CPU",
    "cores": 2,
    "cores_usable": 2,
    "memory_gib": 4.0,
    "python": "3.11.9",
    "os": "Linux",
    "date": "2026-12-02 06:00 UTC",
    "load_average": 1.0,
    "commit": "abc1234",
}


def test_a_row_is_its_ratio_to_the_baseline() -> None:
    row = result_row("relay", 40.0, "events/s", "raw publish_async", 80.0, target="ratio >= 0.5")
    assert row["ratio"] == 0.5
    assert row["met"] is None
    assert result_row("x", 1.0, "ms", "none", 0.0)["ratio"] is None


def test_the_last_result_line_counts_and_ratios_are_filled_in() -> None:
    first = result_line([result_row("a", 1.0, "ms", "b", 1.0)])
    last = json.dumps([{"name": "a", "value": 3, "baseline": "b", "baseline_value": 2}])
    output = f"noise\n{first}\nmore noise\nBENCH-RESULT {last}\ntrailing\n"
    (row,) = parse_result(output)
    assert row["value"] == 3.0
    assert row["ratio"] == 1.5
    assert row["met"] is None


@pytest.mark.parametrize(
    "output",
    [
        "a table only\n",
        "BENCH-RESULT {not json\n",
        "BENCH-RESULT []\n",
        'BENCH-RESULT {"name": "a", "value": 1}\n',
        'BENCH-RESULT [{"value": 1}]\n',
        'BENCH-RESULT [{"name": "a"}]\n',
        'BENCH-RESULT [{"name": "a", "value": "fast"}]\n',
        'BENCH-RESULT [{"name": "a", "value": true}]\n',
        'BENCH-RESULT [{"name": "a", "value": NaN}]\n',
        'BENCH-RESULT [{"name": "a", "value": 1, "met": "yes"}]\n',
        ' BENCH-RESULT [{"name": "a", "value": 1}]\n',
    ],
)
def test_output_without_a_usable_line_is_not_reporting(output: str) -> None:
    with pytest.raises(NotReporting):
        parse_result(output)


def test_a_script_without_the_line_is_listed_as_not_reporting() -> None:
    result = collect("support_sla.py", [], "its own table\n", 0, 3.0)
    assert result.rows == []
    assert result.status.startswith("not reporting")
    assert "| support_sla | not reporting" in markdown([result], HOST, quick=True)


def test_a_failed_or_stopped_script_keeps_its_rows_and_says_so() -> None:
    line = result_line([result_row("read", 10.0, "req/s", "bare", 40.0, met=False)])
    failed = collect("read_path.py", [], line, 1, 5.0)
    assert failed.status == "exit 1"
    assert len(failed.rows) == 1
    stopped = collect("search.py", [], "loading...\n", None, 90.0)
    assert stopped.status.startswith("timed out after 90 s; not reporting")


def test_the_table_is_written_as_markdown_and_json(tmp_path: Path) -> None:
    rows = [result_row("relay", 40.0, "events/s", "raw", 80.0, target="ratio >= 0.5", met=True)]
    results = [
        collect("relay.py", ["--events", "10"], result_line(rows), 0, 2.0),
        collect("olap.py", [], "nothing\n", 0, 1.0),
    ]
    text = write(results, HOST, True, tmp_path)
    assert (tmp_path / "latest.md").read_text() == text
    assert "| relay | relay | 40.00 | events/s | raw | 80.00 | 0.5x | ratio >= 0.5 | yes |" in text
    assert "Test CPU, 2 cores" in text
    document = json.loads((tmp_path / "latest.json").read_text())
    assert document["machine"]["cpu"] == "Test CPU"
    assert document["scripts"][0]["status"] == "ok"
    assert document["scripts"][0]["rows"][0]["ratio"] == 0.5
    assert document["scripts"][1]["rows"] == []
