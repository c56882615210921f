"""Journeys (M4): not built yet; the hooks the rest of the service calls are here."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession


async def enroll_on_trigger(
    session: AsyncSession, tenant_id: UUID, trigger: str, pairs: Sequence[tuple[UUID, UUID]]
) -> None:
    """Enroll contacts into the journeys ``trigger`` starts (none yet)."""


async def exit_contacts(
    session: AsyncSession, tenant_id: UUID, contact_ids: Sequence[UUID], *, reason: str
) -> None:
    """Take contacts out of every journey (merged away, erased)."""
