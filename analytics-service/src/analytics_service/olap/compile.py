"""An OLAP query to SQL: every identifier looked up in the cube model, every value bound.

Nothing a client sends reaches the SQL text but as a parameter: names are checked
against :data:`~analytics_service.olap.cubes.CUBES` (an unknown one is a 422 naming the
field), and the text is assembled from the cube's own fragments. The tenant and the
caller's visibility are always in the WHERE. Money measures are always grouped by
currency: amounts in two currencies are never added up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_chassis.auth import Actor
from crm_chassis.errors import ValidationFailed

from analytics_service.olap.cubes import CUBES, Cube
from analytics_service.olap.schemas import Drill, Filter, OlapQuery
from analytics_service.warehouse.visibility import tenant_and_visibility

_OPS = {"eq": "=", "neq": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


@dataclass(frozen=True)
class Compiled:
    cube: Cube
    query: OlapQuery
    dimensions: list[str]
    sql: str
    params: list[Any]


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": field, "message": message}])


def cube_of(name: str) -> Cube:
    cube = CUBES.get(name)
    if cube is None:
        raise _invalid("cube", f"no cube {name!r}; GET /v1/olap/cubes lists them")
    return cube


def apply_drill(cube: Cube, query: OlapQuery, drill: Drill) -> OlapQuery:
    """The query one step down or up ``drill.dimension``'s hierarchy."""
    found = cube.hierarchy_of(drill.dimension)
    if found is None:
        raise _invalid("drill.dimension", f"{drill.dimension!r} is on no hierarchy of {cube.name}")
    _, levels = found
    at = levels.index(drill.dimension)
    step = 1 if drill.direction == "down" else -1
    if not 0 <= at + step < len(levels):
        where = "finest" if step == 1 else "coarsest"
        raise _invalid("drill.direction", f"{drill.dimension!r} is the {where} level")
    target = levels[at + step]

    def swap(names: list[str]) -> list[str]:
        return [target if n == drill.dimension else n for n in names]

    rows, columns, filters = swap(query.rows), swap(query.columns), list(query.filters)
    if drill.dimension not in query.rows + query.columns:
        rows.append(target)
    if drill.direction == "down":
        if drill.value is None:
            raise _invalid("drill.value", "drilling down needs the member to open")
        filters.append(Filter(dimension=drill.dimension, op="eq", value=drill.value))
    else:  # rolling up undoes a drill-down: no filter left on the target level or finer
        finer = set(levels[at + step :])
        filters = [f for f in filters if f.dimension not in finer]
    return query.model_copy(update={"rows": rows, "columns": columns, "filters": filters})


def _condition(cube: Cube, index: int, f: Filter, params: list[Any]) -> str:
    dimension = cube.dimension(f.dimension)
    if dimension is None:
        raise _invalid(
            f"filters[{index}].dimension", f"no dimension {f.dimension!r} in {cube.name}"
        )
    if f.op in ("in", "not_in", "between"):
        values = f.values or []
        if not values or (f.op == "between" and len(values) != 2):
            count = "two values" if f.op == "between" else "values"
            raise _invalid(f"filters[{index}].values", f"{f.op!r} needs {count}")
        params.extend(values)
        if f.op == "between":
            return f"({dimension.sql})::VARCHAR BETWEEN ?::VARCHAR AND ?::VARCHAR"
        marks = ", ".join("?::VARCHAR" for _ in values)
        negate = "NOT " if f.op == "not_in" else ""
        return f"({dimension.sql})::VARCHAR {negate}IN ({marks})"
    if f.value is None:
        raise _invalid(f"filters[{index}].value", f"{f.op!r} needs a value")
    params.append(f.value)
    # A number or a boolean compares as one (TRY_CAST: a text member is simply no match,
    # never a conversion error); anything else compares as text.
    if isinstance(f.value, bool):
        return f"TRY_CAST(({dimension.sql}) AS BOOLEAN) {_OPS[f.op]} ?"
    if isinstance(f.value, int | float):
        return f"TRY_CAST(({dimension.sql}) AS DOUBLE) {_OPS[f.op]} ?"
    return f"({dimension.sql})::VARCHAR {_OPS[f.op]} ?::VARCHAR"


def compile_query(query: OlapQuery, actor: Actor) -> Compiled:
    cube = cube_of(query.cube)
    if query.drill is not None:
        query = apply_drill(cube, query, query.drill).model_copy(update={"drill": None})
    measures = []
    for i, name in enumerate(query.measures):
        measure = cube.measure(name)
        if measure is None:
            raise _invalid(f"measures[{i}]", f"no measure {name!r} in {cube.name}")
        measures.append(measure)
    dimensions = list(dict.fromkeys(query.rows + query.columns))
    money = any(m.kind == "money" for m in measures)
    if money and "currency" not in dimensions and cube.dimension("currency") is not None:
        dimensions.append("currency")
    selected = []
    for name in dimensions:
        dimension = cube.dimension(name)
        if dimension is None:
            side = "rows" if name in query.rows else "columns"
            raise _invalid(side, f"no dimension {name!r} in {cube.name}")
        selected.append(f'{dimension.sql} AS "{name}"')
    scope, params = tenant_and_visibility(actor, owner=cube.owner, team=cube.team)
    where = [scope]
    where += [_condition(cube, i, f, params) for i, f in enumerate(query.filters)]
    selected += [f'{m.sql} AS "{m.name}"' for m in measures]
    group = (
        f" GROUP BY {', '.join(str(i + 1) for i in range(len(dimensions)))}" if dimensions else ""
    )
    order = (
        f" ORDER BY {', '.join(str(i + 1) for i in range(len(dimensions)))}" if dimensions else ""
    )
    sql = (
        f"SELECT {', '.join(selected)} FROM {cube.source} "
        f"WHERE {' AND '.join(where)}{group}{order} LIMIT {int(query.limit)}"
    )
    return Compiled(cube, query, dimensions, sql, params)
