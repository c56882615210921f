"""Every report and query as JSON, CSV, Parquet, or a chart (PNG, SVG): one renderer.

A result is rows of named cells: the dimensions (what it is grouped by) and the measures
(numbers). ``?format=`` chooses; JSON is the route's own response model.
"""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
import pandas as pd
from fastapi import Query
from fastapi.responses import Response

Format = Literal["json", "csv", "parquet", "png", "svg"]
FormatDep = Annotated[Format, Query(alias="format")]

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "png": "image/png",
    "svg": "image/svg+xml",
}


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def to_parquet(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    """Parquet written by DuckDB (no pyarrow needed); decimal strings stay exact."""
    frame = pd.DataFrame([[_cell(r.get(c)) for c in columns] for r in rows], columns=columns)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "result.parquet"
        conn = duckdb.connect()
        try:
            conn.register("result", frame)
            conn.execute(f"COPY result TO '{target}' (FORMAT PARQUET)")
        finally:
            conn.close()
        return target.read_bytes()


def _cell(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def encode(
    fmt: Format,
    *,
    title: str,
    rows: list[dict[str, Any]],
    dimensions: list[str],
    measures: list[str],
    kind: str | None = None,
) -> tuple[bytes, str]:
    columns = dimensions + measures
    if fmt == "csv":
        return to_csv(rows, columns), MEDIA[fmt]
    if fmt == "parquet":
        return to_parquet(rows, columns), MEDIA[fmt]
    if fmt in ("png", "svg"):
        from analytics_service.exports.charts import chart  # matplotlib loads on first use

        return chart(
            fmt, title=title, rows=rows, dimensions=dimensions, measures=measures, kind=kind
        ), MEDIA[fmt]
    raise ValueError(f"not a binary format: {fmt}")


async def render(
    fmt: Format,
    *,
    title: str,
    rows: list[dict[str, Any]],
    dimensions: list[str],
    measures: list[str],
    kind: str | None = None,
    filename: str = "report",
) -> Response:
    """The result in ``fmt`` (not JSON), drawn or written in a worker thread."""
    body, media = await asyncio.to_thread(
        lambda: encode(
            fmt, title=title, rows=rows, dimensions=dimensions, measures=measures, kind=kind
        )
    )
    headers = {"Content-Disposition": f'inline; filename="{filename}.{fmt}"'}
    return Response(body, media_type=media, headers=headers)
