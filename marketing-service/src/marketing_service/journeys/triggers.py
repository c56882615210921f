"""What starts journeys: a segment entered, an event received (see :mod:`engine`)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession


async def segment_entered(
    session: AsyncSession, tenant_id: UUID, pairs: Sequence[tuple[UUID, UUID]]
) -> None:
    """Enroll contacts that entered segments into the journeys those segments trigger."""
    from marketing_service.journeys import engine

    await engine.enroll_on_trigger(session, tenant_id, "segment_entered", pairs)


async def event_received(
    session: AsyncSession, tenant_id: UUID, pairs: Sequence[tuple[tuple[str, str | None], UUID]]
) -> None:
    """Enroll contacts whose behaviour (kind, name) triggers journeys."""
    from marketing_service.journeys import engine

    if pairs:
        await engine.enroll_on_trigger(session, tenant_id, "event", pairs)
