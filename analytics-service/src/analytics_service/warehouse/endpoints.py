"""The warehouse's routes: rebuild with progress, Parquet export, what is loaded."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis import tasks
from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.tasks import TaskProgress
from fastapi import APIRouter, Response

from analytics_service.runtime import RuntimeDep
from analytics_service.warehouse import rebuild
from analytics_service.warehouse.schema import FACT_DATES

router = APIRouter(prefix="/v1/warehouse", tags=["warehouse"])
ADMIN = [require_scope("analytics:admin")]
READ = [require_scope("analytics:read")]


@router.post("/rebuild", status_code=202, dependencies=ADMIN, response_model=TaskProgress)
async def start_rebuild(call: CallDep, response: Response) -> TaskProgress:
    """Replay the whole stream into a fresh warehouse and swap it in when done."""
    task = await tasks.start(
        call.session,
        rebuild.KIND,
        tenant_id=call.tenant_id,
        key=rebuild.KEY,
        stale_after=rebuild.STALE,
    )
    response.headers["Location"] = f"/v1/warehouse/rebuilds/{task.id}"
    return TaskProgress.of(task)


@router.get("/rebuilds/{id:uuid}", dependencies=ADMIN, response_model=TaskProgress)
async def get_rebuild(id: UUID, call: CallDep) -> TaskProgress:
    task = await tasks.get(call.session, tenant_id=call.tenant_id, task_id=id, kind=rebuild.KIND)
    return TaskProgress.of(task)


@router.get("/status", dependencies=READ)
async def status(call: CallDep, runtime: RuntimeDep) -> dict[str, Any]:
    """The caller's tenant's rows per fact table and its newest loaded event."""
    counts = " UNION ALL ".join(
        f"SELECT '{t}' AS fact, count(*) AS n FROM {t} WHERE tenant_id = $1" for t in FACT_DATES
    )
    tenant = [str(call.tenant_id)]
    found = await runtime.warehouse.read(counts, tenant)
    newest = await runtime.warehouse.read(
        "SELECT count(*), max(time) FROM raw_events WHERE tenant_id = $1", tenant
    )
    events, last = newest.rows[0]
    return {"events": events, "last_event_at": last, "facts": dict(found.rows)}


@router.post("/parquet", dependencies=ADMIN)
async def export_parquet(runtime: RuntimeDep) -> dict[str, Any]:
    """Write every fact table as date-partitioned Parquet (see docs/analytics.md)."""
    folder = runtime.settings.parquet_path
    counts = await runtime.warehouse.run(runtime.warehouse.export_parquet_now, folder)
    return {"path": str(folder), "rows": counts}
