"""SQL of the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.pagination import PageParams, apply_keyset, page_of
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    actor_id: UUID | None = None
    method: str | None = None
    resource: str | None = None
    resource_id: str | None = None
    status: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    request_id: str | None = None


class AuditRepository:
    def __init__(self, session: AsyncSession, tenant_id: UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def page(
        self, params: PageParams, where: AuditFilter
    ) -> tuple[list[AuditEntry], str | None]:
        t = AuditEntry
        stmt = select(t).where(t.tenant_id == self.tenant_id)
        equal: dict[str, Any] = {
            "actor_id": where.actor_id, "method": where.method, "resource": where.resource,
            "resource_id": where.resource_id, "status": where.status,
            "request_id": where.request_id,
        }  # fmt: skip
        for name, value in equal.items():
            if value is not None:
                stmt = stmt.where(getattr(t, name) == value)
        if where.since is not None:
            stmt = stmt.where(t.at >= where.since)
        if where.until is not None:
            stmt = stmt.where(t.at < where.until)
        stmt, sort = apply_keyset(
            stmt, params, sortable={"at": t.at}, id_column=t.id, default="-at"
        )
        rows = (await self.session.execute(stmt)).scalars().all()
        return page_of(rows, params, sort, lambda r: (r.at, r.id))
