"""OLAP routes: the cube model, and queries over it."""

from __future__ import annotations

from crm_chassis.auth import ActorDep, require_scope
from fastapi import APIRouter
from fastapi.responses import Response

from analytics_service.exports.render import FormatDep, render
from analytics_service.olap import service
from analytics_service.olap.schemas import CubeInfo, OlapQuery, OlapResult
from analytics_service.runtime import RuntimeDep

router = APIRouter(prefix="/v1/olap", tags=["olap"], dependencies=[require_scope("analytics:read")])


@router.get("/cubes", response_model=list[CubeInfo])
async def cubes() -> list[CubeInfo]:
    """The cubes, their measures, dimensions and hierarchies: what a query may name."""
    return service.describe()


@router.post("/query", response_model=OlapResult)
async def query(
    body: OlapQuery, actor: ActorDep, runtime: RuntimeDep, fmt: FormatDep = "json"
) -> Response | OlapResult:
    """Slice, dice, roll up, drill down and pivot a cube; ``?format=`` for CSV, Parquet,
    PNG or SVG instead of JSON."""
    result = await service.run(runtime.warehouse, actor, body)
    if fmt == "json":
        # Already an OlapResult: serialised once here, not validated again against the
        # response model (which then only describes the route in OpenAPI).
        return Response(result.model_dump_json(), media_type="application/json")
    return await render(
        fmt,
        title=f"{body.cube}: {', '.join(body.measures)}",
        rows=result.data,
        dimensions=result.dimensions,
        measures=result.measures,
    )
