"""The field-level change history of a record, from its events.

The dispatcher keeps every event that names its aggregate (``subject``) in
``record_events``; the history compares each event's snapshot of the record with the one
before it and lists, per event, every field that changed with its old and new value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from crm_proto import CloudEvent
from sqlalchemy import DateTime, Index, Integer, String, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from crm_gateway.base import Base


class RecordEvent(Base):
    """One event about one record, as published."""

    __tablename__ = "record_events"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID]
    subject: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sequence: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)

    __table_args__ = (Index("ix_record_events_subject", "tenant_id", "subject", "time"),)


def snapshot_of(subject: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The record's state an event carries: the payload object whose ``id`` is the
    event's subject (``{"contact": {...}}``), or None (a deletion, an action)."""
    for value in data.values():
        if isinstance(value, dict) and str(value.get("id")) == subject:
            return value
    return None


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """``{field: {"from": old, "to": new}}`` of every field that differs."""
    before, after = before or {}, after or {}
    skip = {"version", "updated_at"}
    return {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in sorted(set(before) | set(after))
        if name not in skip and before.get(name) != after.get(name)
    }


def history(rows: Sequence[RecordEvent]) -> list[dict[str, Any]]:
    """The record's events, oldest first, each with the fields it changed."""
    out: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for row in rows:
        current = snapshot_of(row.subject, row.data)
        out.append(
            {
                "time": row.time,
                "type": row.type,
                "source": row.source,
                "sequence": row.sequence,
                "event_id": row.event_id,
                "changes": changes(previous, current) if current is not None else {},
            }
        )
        if current is not None:
            previous = current
    return out


async def keep(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
    """Store the events that name a record (once each, whatever redeliveries)."""
    rows = [
        {
            "id": new_id(), "tenant_id": UUID(e.tenantid), "subject": e.subject,
            "event_id": e.id, "type": e.type, "source": e.source, "time": e.time,
            "sequence": e.sequence, "data": e.data,
        }
        for e in events
        if e.subject
    ]  # fmt: skip
    if rows:
        await session.execute(insert(RecordEvent).values(rows).on_conflict_do_nothing())


async def events_of(session: AsyncSession, tenant_id: UUID, subject: str) -> list[RecordEvent]:
    stmt = (
        select(RecordEvent)
        .where(RecordEvent.tenant_id == tenant_id, RecordEvent.subject == subject)
        .order_by(RecordEvent.time, RecordEvent.sequence, RecordEvent.id)
        .limit(1000)
    )
    return list((await session.execute(stmt)).scalars())
