"""Model routes: start a run (a long task), follow it, read versions and results."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.tasks import TaskProgress
from fastapi import APIRouter, Body, Response

from analytics_service.exports.render import FormatDep, render
from analytics_service.runs import service
from analytics_service.runs.models import ModelRun
from analytics_service.runs.options import OPTIONS
from analytics_service.runs.schemas import CustomerScores, RunInfo, RunRead, RunStatus

router = APIRouter(tags=["models"], dependencies=[require_scope("analytics:read")])
WRITE = [require_scope("analytics:write")]


@router.post(
    "/v1/models/{model}/runs", status_code=202, response_model=TaskProgress, dependencies=WRITE
)
async def start_run(
    model: str, call: CallDep, response: Response, body: dict[str, Any] | None = Body(default=None)
) -> TaskProgress:
    """Train or score ``model`` on the tenant's warehouse data, as a long task."""
    task = await service.start(call, model, body or {})
    response.headers["Location"] = f"/v1/models/{model}/runs/{task.id}"
    return TaskProgress.of(task)


@router.get("/v1/models/{model}/runs", response_model=list[RunInfo])
async def list_runs(model: str, call: CallDep) -> list[RunInfo]:
    """The versions of ``model``, newest first, without their results."""
    return [RunInfo.model_validate(r) for r in await service.versions(call, model)]


@router.get("/v1/models/{model}/runs/{id:uuid}", response_model=RunStatus)
async def get_run(model: str, id: UUID, call: CallDep) -> RunStatus:
    found = await service.get(call, model, id)
    if isinstance(found, ModelRun):
        return RunStatus(id=id, model=model, status="succeeded", run=RunRead.model_validate(found))
    return RunStatus(id=id, model=model, status=found.status, task=TaskProgress.of(found))


_LEADING = (
    "customer_id",
    "customer_kind",
    "month",
    "model",
    "by",
    "key",
    "antecedents",
    "consequents",
    "segment",
)


def _column_order(name: str) -> tuple[int, str]:
    """Identifying columns first (JSONB keeps no key order), then the rest by name."""
    return (_LEADING.index(name) if name in _LEADING else len(_LEADING), name)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}


@router.get("/v1/models/{model}/latest", response_model=RunRead)
async def latest_run(model: str, call: CallDep, fmt: FormatDep = "json") -> Response | RunRead:
    """The newest version with its results; ``?format=`` exports or charts the results."""
    run = await service.latest(call, model)
    if fmt == "json":
        return RunRead.model_validate(run)
    rows = [_flat(r) for r in run.results]
    columns = sorted(rows[0], key=_column_order) if rows else []
    numeric = [
        c for c in columns if rows and isinstance(rows[0][c], int | float) and c != "version"
    ]
    return await render(
        fmt,
        title=f"{model} v{run.version}",
        rows=rows,
        dimensions=[c for c in columns if c not in numeric],
        measures=numeric,
        filename=f"{model}-v{run.version}",
    )


@router.get("/v1/models/basket/also-bought", response_model=list[dict[str, Any]])
async def also_bought(product: str, call: CallDep) -> list[dict[str, Any]]:
    """Customers who bought ``product`` also bought: the latest rules from it alone."""
    run = await service.latest(call, "basket")
    single = [
        r for r in run.results if r["antecedents"] == [product] and len(r["consequents"]) == 1
    ]
    single.sort(key=lambda r: (-r["confidence"], -r["lift"]))
    return [
        {
            "product": r["consequents"][0],
            "confidence": r["confidence"],
            "lift": r["lift"],
            "support": r["support"],
            "version": run.version,
        }
        for r in single[:10]
    ]


@router.get("/v1/customers/{id:uuid}/scores", response_model=CustomerScores)
async def customer_scores(id: UUID, call: CallDep) -> CustomerScores:
    """A customer's (contact's or account's) latest RFM segment, CLV, churn risk and
    cluster, for a CRM screen."""
    scores: dict[str, dict[str, Any]] = {}
    for model in OPTIONS:
        run = await service.RunRepository(call.session, call.tenant_id).latest(model)
        row = next(
            (r for r in (run.results if run else []) if r.get("customer_id") == str(id)), None
        )
        if run is not None and row is not None:
            scores[model] = {**row, "version": run.version}
    return CustomerScores(customer_id=id, scores=scores)
