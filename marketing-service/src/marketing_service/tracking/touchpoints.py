"""All SQL of touchpoints: recorded, moved by merges, blanked by erasure, read per contact."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.tracking.models import Touchpoint as T


async def record(
    session: AsyncSession,
    tenant_id: UUID,
    contact_id: UUID,
    kind: str,
    *,
    name: str | None = None,
    channel: str = "web",
    campaign_id: UUID | None = None,
    message_id: UUID | None = None,
    properties: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    source: str | None = None,
) -> None:
    await record_many(
        session,
        [
            {
                "tenant_id": tenant_id,
                "contact_id": contact_id,
                "kind": kind,
                "name": name,
                "channel": channel,
                "campaign_id": campaign_id,
                "message_id": message_id,
                "properties": properties or {},
                "occurred_at": occurred_at,
                "source": source,
            }
        ],
    )


async def record_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        values = [{**r, "id": new_id()} for r in rows]
        for v in values:
            if v.get("occurred_at") is None:
                v.pop("occurred_at", None)
        await session.execute(insert(T), values)


async def exists(session: AsyncSession, tenant_id: UUID, message_id: UUID, kind: str) -> bool:
    stmt = select(T.id).where(T.tenant_id == tenant_id, T.message_id == message_id, T.kind == kind)
    return (await session.execute(stmt.limit(1))).first() is not None


async def move(
    session: AsyncSession, tenant_id: UUID, from_ids: Sequence[UUID], to_id: UUID
) -> None:
    """A merge: the merged-away contacts' touches become the survivor's (undo-able)."""
    await session.execute(
        update(T)
        .where(T.tenant_id == tenant_id, T.contact_id.in_(from_ids))
        .values(original_contact_id=T.contact_id, contact_id=to_id)
    )


async def move_back(session: AsyncSession, tenant_id: UUID, restored_ids: Sequence[UUID]) -> None:
    await session.execute(
        update(T)
        .where(T.tenant_id == tenant_id, T.original_contact_id.in_(restored_ids))
        .values(contact_id=T.original_contact_id, original_contact_id=None)
    )


async def erase(session: AsyncSession, tenant_id: UUID, contact_id: UUID) -> None:
    """Keep the touch (campaign, kind, time: no personal data) without what it said."""
    await session.execute(
        update(T)
        .where(T.tenant_id == tenant_id, T.contact_id == contact_id)
        .values(properties={}, source=None)
    )


async def of_contact(
    session: AsyncSession,
    tenant_id: UUID,
    contact_id: UUID,
    *,
    kinds: Sequence[str] | None,
    before: tuple[datetime, UUID] | None,
    limit: int,
) -> list[T]:
    stmt = select(T).where(T.tenant_id == tenant_id, T.contact_id == contact_id)
    if kinds:
        stmt = stmt.where(T.kind.in_(kinds))
    if before is not None:
        stmt = stmt.where(tuple_(T.occurred_at, T.id) < tuple_(*before))
    stmt = stmt.order_by(T.occurred_at.desc(), T.id.desc()).limit(limit)
    return list(await session.scalars(stmt))


async def times_of(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID], since: datetime
) -> list[Any]:
    """(contact, kind, name, occurred_at) of the contacts' touches since ``since``."""
    stmt = select(T.contact_id, T.kind, T.name, T.occurred_at).where(
        T.tenant_id == tenant_id, T.contact_id.in_(contact_ids), T.occurred_at >= since
    )
    return list((await session.execute(stmt)).all())
