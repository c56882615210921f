"""Report routes: the catalogue and each report, in every export format."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from crm_chassis.auth import ActorDep, require_scope
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from analytics_service.exports.render import FormatDep, render
from analytics_service.reports import service
from analytics_service.reports.catalog import REPORTS
from analytics_service.runtime import RuntimeDep

router = APIRouter(
    prefix="/v1/reports", tags=["reports"], dependencies=[require_scope("analytics:read")]
)


class ReportInfo(BaseModel):
    name: str
    title: str
    description: str
    dimensions: list[str]
    measures: list[str]


class ReportResult(BaseModel):
    name: str
    title: str
    dimensions: list[str]
    measures: list[str]
    data: list[dict[str, Any]]


@router.get("", response_model=list[ReportInfo])
async def catalogue() -> list[ReportInfo]:
    return [
        ReportInfo(
            name=r.name,
            title=r.title,
            description=r.description,
            dimensions=list(r.dimensions),
            measures=list(r.measures),
        )
        for r in REPORTS.values()
    ]


@router.get("/{name}", response_model=ReportResult)
async def report(
    name: str,
    actor: ActorDep,
    runtime: RuntimeDep,
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query()] = None,
    fmt: FormatDep = "json",
) -> Response | ReportResult:
    """One report over ``from``..``until`` (inclusive, by the report's date);
    ``?format=csv|parquet|png|svg`` for an export or a chart."""
    found, rows = await service.run(runtime.warehouse, actor, name, since, until)
    if fmt != "json":
        return await render(
            fmt,
            title=found.title,
            rows=rows,
            dimensions=list(found.dimensions),
            measures=list(found.measures),
            kind=found.chart,
            filename=found.name,
        )
    return ReportResult(
        name=found.name,
        title=found.title,
        dimensions=list(found.dimensions),
        measures=list(found.measures),
        data=rows,
    )
