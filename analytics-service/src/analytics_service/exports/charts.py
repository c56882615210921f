"""Charts with matplotlib (no screen: the Agg and SVG backends), PNG or SVG.

The default chart type follows the data: a line over time when the first dimension is a
date level, bars over categories otherwise, a pie for one measure of shares (a
``share``-like measure over few categories) and a table-like bar for a single number. A
``heatmap`` (a report asks for it: cohort retention) spreads the first dimension down and
the second across, coloured by the last measure.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def default_kind(dimensions: list[str], measures: list[str], rows: int) -> str:
    if (dimensions and dimensions[0].startswith("date.")) or (
        dimensions and dimensions[0] in ("month", "period", "cohort")
    ):
        return "line"
    if len(measures) == 1 and measures[0] in ("share", "revenue_share") and rows <= 8:
        return "pie"
    return "bar"


def _number(value: Any) -> float:
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _label(row: dict[str, Any], dimensions: list[str]) -> str:
    return " / ".join(str(row.get(d)) for d in dimensions) if dimensions else "total"


def chart(
    fmt: str,
    *,
    title: str,
    rows: list[dict[str, Any]],
    dimensions: list[str],
    measures: list[str],
    kind: str | None = None,
) -> bytes:
    kind = kind or default_kind(dimensions, measures, len(rows))
    labels = [_label(r, dimensions) for r in rows]
    figure: Figure = plt.figure(figsize=(8, 4.5), dpi=100)
    try:
        axes = figure.add_subplot()
        axes.set_title(title)
        if kind == "heatmap" and len(dimensions) >= 2 and measures:
            _heatmap(figure, axes, rows, dimensions, measures[-1])
        elif kind == "pie" and measures:
            axes.pie([_number(r.get(measures[0])) for r in rows], labels=labels, autopct="%1.0f%%")
        elif kind == "line":
            for m in measures:
                axes.plot(labels, [_number(r.get(m)) for r in rows], marker="o", label=m)
        else:
            width = 0.8 / max(len(measures), 1)
            for i, m in enumerate(measures):
                xs = [x + i * width for x in range(len(rows))]
                axes.bar(xs, [_number(r.get(m)) for r in rows], width=width, label=m)
            axes.set_xticks([x + 0.4 - width / 2 for x in range(len(rows))], labels)
        if kind not in ("pie", "heatmap"):
            axes.legend()
            axes.tick_params(axis="x", labelrotation=45)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format=fmt)
        return out.getvalue()
    finally:
        plt.close(figure)


def _heatmap(
    figure: Figure, axes: Any, rows: list[dict[str, Any]], dimensions: list[str], measure: str
) -> None:
    down = list(dict.fromkeys(str(r.get(dimensions[0])) for r in rows))
    across = sorted(
        {r.get(dimensions[1]) for r in rows}, key=lambda v: (not isinstance(v, int), str(v))
    )
    grid = [[float("nan")] * len(across) for _ in down]
    for r in rows:
        i, j = down.index(str(r.get(dimensions[0]))), across.index(r.get(dimensions[1]))
        grid[i][j] = _number(r.get(measure))
    image = axes.imshow(grid or [[float("nan")]], cmap="viridis", aspect="auto")
    axes.set_yticks(range(len(down)), down)
    axes.set_xticks(range(len(across)), [str(v) for v in across])
    axes.set_ylabel(dimensions[0])
    axes.set_xlabel(dimensions[1])
    for i, line in enumerate(grid):
        for j, value in enumerate(line):
            if value == value:  # not NaN: a cell with data
                axes.text(j, i, f"{value:.2g}", ha="center", va="center", color="white")
    figure.colorbar(image, ax=axes, label=measure)
