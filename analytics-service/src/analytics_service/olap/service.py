"""OLAP use cases: describe the cubes, run a query and shape its pivot."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm_chassis.auth import Actor

from analytics_service.olap.compile import compile_query
from analytics_service.olap.cubes import CUBES
from analytics_service.olap.schemas import (
    CubeInfo,
    DimensionInfo,
    MeasureInfo,
    OlapQuery,
    OlapResult,
    Pivot,
)
from analytics_service.warehouse.store import Warehouse


def describe() -> list[CubeInfo]:
    return [
        CubeInfo(
            name=c.name,
            description=c.description,
            measures=[
                MeasureInfo(name=m.name, kind=m.kind, description=m.description) for m in c.measures
            ],
            dimensions=[
                DimensionInfo(name=d.name, description=d.description) for d in c.dimensions
            ],
            hierarchies={k: list(v) for k, v in c.hierarchies.items()},
        )
        for c in CUBES.values()
    ]


def plain(value: Any, kind: str = "") -> Any:
    """A cell as JSON carries it: money as a decimal string, never a float."""
    if isinstance(value, Decimal):
        return str(value) if kind == "money" else float(value)
    return value


async def run(warehouse: Warehouse, actor: Actor, query: OlapQuery) -> OlapResult:
    compiled = compile_query(query, actor)
    result = await warehouse.read(compiled.sql, compiled.params)
    kinds = {m.name: m.kind for m in compiled.cube.measures}
    data = [
        {
            name: plain(value, kinds.get(name, ""))
            for name, value in zip(result.columns, row, strict=True)
        }
        for row in result.rows
    ]
    query = compiled.query
    pivot = _pivot(data, compiled.dimensions, query) if query.columns else None
    return OlapResult(
        cube=query.cube,
        dimensions=compiled.dimensions,
        measures=query.measures,
        data=data,
        pivot=pivot,
        query=query,
    )


def _pivot(data: list[dict[str, Any]], dimensions: list[str], query: OlapQuery) -> Pivot:
    """Rows by the row dimensions (and currency), columns by the column dimensions; each
    cell holds the measures of that crossing (None where no fact crosses)."""
    across = [d for d in dimensions if d in query.columns]
    down = [d for d in dimensions if d not in across]
    row_keys = list(dict.fromkeys(tuple(r[d] for d in down) for r in data))
    col_keys = list(dict.fromkeys(tuple(r[d] for d in across) for r in data))
    cells: dict[tuple[Any, ...], dict[str, Any]] = {
        (tuple(r[d] for d in down), tuple(r[d] for d in across)): {m: r[m] for m in query.measures}
        for r in data
    }
    return Pivot(
        rows=[list(k) for k in row_keys],
        columns=[list(k) for k in col_keys],
        cells=[[cells.get((rk, ck)) for ck in col_keys] for rk in row_keys],
    )
