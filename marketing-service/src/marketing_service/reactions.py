"""What follows a change to what marketing knows of contacts, in the same transaction:
their scores are recomputed, then their segments re-evaluated (a score is a segment field),
and the journeys those segments trigger start."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from crm_chassis.orm import utcnow
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.scoring import service as scoring
from marketing_service.segments import membership


async def contacts_changed(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID]
) -> None:
    now = utcnow()
    await scoring.refresh(session, tenant_id, contact_ids, now)
    await membership.refresh_contacts(session, tenant_id, contact_ids, now)
