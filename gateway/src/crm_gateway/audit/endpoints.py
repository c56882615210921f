"""``GET /v1/audit``: the tenant's audit log, newest first, for its admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from crm_chassis.db import SessionDep
from crm_chassis.errors import NotFound
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from crm_gateway.audit.history import events_of, history
from crm_gateway.audit.repository import AuditFilter, AuditRepository
from crm_gateway.identity.deps import AdminDep

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    actor_id: UUID | None
    method: str
    path: str
    resource: str | None
    resource_id: str | None
    status: int
    duration_ms: int
    request_id: str | None
    client: str | None
    at: datetime


@router.get("")
async def list_audit(
    session: SessionDep,
    admin: AdminDep,
    params: PageParamsDep,
    actor_id: UUID | None = None,
    method: Literal["POST", "PUT", "PATCH", "DELETE"] | None = None,
    resource: Annotated[str | None, Query(max_length=100)] = None,
    resource_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    request_id: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[AuditRead]:
    """Writes of the tenant: who, method, path, resource, status, time, request id."""
    where = AuditFilter(actor_id, method, resource, resource_id, status, since, until, request_id)
    rows, cursor = await AuditRepository(session, admin.tenant_id).page(params, where)
    return Page(data=[AuditRead.model_validate(r) for r in rows], next_cursor=cursor)


class FieldChange(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: Any = Field(alias="from", serialization_alias="from")
    to: Any


class HistoryEntry(BaseModel):
    time: datetime
    type: str
    source: str
    sequence: int | None
    event_id: str
    changes: dict[str, FieldChange]


@router.get("/records/{id:uuid}", response_model_by_alias=True)
async def record_history(id: UUID, session: SessionDep, admin: AdminDep) -> list[HistoryEntry]:
    """The field-level change history of a record of any service, from its events, oldest
    first. Events carry every field, so this is for admins (no field allow-list applies)."""
    rows = await events_of(session, admin.tenant_id, str(id))
    if not rows:
        raise NotFound(f"No events about {id}")
    return [HistoryEntry.model_validate(entry) for entry in history(rows)]
