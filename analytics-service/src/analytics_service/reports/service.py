"""Running a report for a caller: scope, period, and cells as JSON carries them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from crm_chassis.auth import Actor
from crm_chassis.errors import NotFound, ValidationFailed

from analytics_service.olap.service import plain
from analytics_service.reports.catalog import REPORTS, Report
from analytics_service.warehouse.store import Warehouse
from analytics_service.warehouse.visibility import tenant_and_visibility


def report_of(name: str) -> Report:
    report = REPORTS.get(name)
    if report is None:
        raise NotFound(f"No report {name!r}; GET /v1/reports lists them")
    return report


def compile_report(
    report: Report, actor: Actor, since: date | None, until: date | None
) -> tuple[str, list[Any]]:
    if since is not None and until is not None and until < since:
        message = "'until' is before 'from'"
        raise ValidationFailed(message, errors=[{"field": "until", "message": message}])
    scope, params = tenant_and_visibility(actor, owner=report.owner, team=report.team)
    if since is not None:
        scope += f" AND {report.date_column} >= ?::DATE"
        params.append(since.isoformat())
    if until is not None:  # inclusive: up to the end of that day
        scope += f" AND {report.date_column} < ?::DATE"
        params.append((until + timedelta(days=1)).isoformat())
    times = report.sql.count("{scope}")
    return report.sql.replace("{scope}", f"({scope})"), params * times


async def run(
    warehouse: Warehouse, actor: Actor, name: str, since: date | None, until: date | None
) -> tuple[Report, list[dict[str, Any]]]:
    report = report_of(name)
    sql, params = compile_report(report, actor, since, until)
    result = await warehouse.read(sql, params)
    rows = [
        {
            c: plain(v, "money" if c in report.money else "")
            for c, v in zip(result.columns, row, strict=True)
        }
        for row in result.rows
    ]
    return report, rows
