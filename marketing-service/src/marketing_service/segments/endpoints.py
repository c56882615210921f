from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from crm_chassis.schemas import Strict
from fastapi import APIRouter, Query
from pydantic import Field

from marketing_service.segments import service
from marketing_service.segments.rules import Rule, check_size
from marketing_service.segments.schemas import MemberRead
from marketing_service.segments.service import SEGMENTS

router = crud_router(SEGMENTS, scope="marketing", tags=["segments"])
extra = APIRouter(prefix="/v1/segments", tags=["segments"])
reads = [require_scope("marketing:read")]


class PreviewWrite(Strict):
    rule: Rule
    limit: int = Field(20, ge=0, le=200)
    at: datetime | None = None
    """Evaluate as of this time (default now): how a relative rule will stand."""


def _members(rows: list[Any]) -> list[dict[str, Any]]:
    return [
        MemberRead(
            contact_id=r.id,
            email=r.email,
            first_name=r.first_name,
            last_name=r.last_name,
            entered_at=getattr(r, "entered_at", None),
        ).model_dump(mode="json")
        for r in rows
    ]


@extra.post("/preview", dependencies=reads)
async def preview(body: PreviewWrite, call: CallDep) -> dict[str, Any]:
    """How many contacts a rule holds now, and the first of them (nothing is stored)."""
    check_size(body.rule)
    count, rows = await service.preview(call, body.rule, body.limit, body.at)
    return {"count": count, "data": _members(rows)}


@extra.get("/{id:uuid}/count", dependencies=reads)
async def count(id: UUID, call: CallDep) -> dict[str, int]:
    return {"count": await service.count(call, id)}


@extra.get("/{id:uuid}/members", dependencies=reads)
async def members(
    id: UUID,
    call: CallDep,
    after: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    data = _members(await service.members(call, id, after, limit))
    return {"data": data, "next_after": data[-1]["contact_id"] if len(data) == limit else None}
