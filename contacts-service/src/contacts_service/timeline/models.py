from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import utcnow
from sqlalchemy import BigInteger, DateTime, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from contacts_service.base import Base


class TimelineEntry(Base):
    """One line of a contact's or account's timeline (C8), made from one event.

    Written only by the timeline consumer: ``event_id`` is unique per tenant, so a
    redelivered event never makes a second line. ``ref`` names the thing the line stands
    for (``note:<id>``) when later events replace or remove the line (a note's edit,
    an attachment's removal); ``sequence`` is the version of that thing last applied.
    No foreign keys: events about a contact may arrive before contacts-service has it
    (lead conversion allocates ids first), and merge re-points the columns.
    """

    __tablename__ = "timeline_entries"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID]
    contact_id: Mapped[UUID | None]
    account_id: Mapped[UUID | None]
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[UUID]
    ref: Mapped[str | None] = mapped_column(String(200))
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=text("now()")
    )

    __table_args__ = (
        Index("uq_timeline_entries_tenant_event", "tenant_id", "event_id", unique=True),
        Index(
            "uq_timeline_entries_tenant_ref",
            "tenant_id",
            "ref",
            unique=True,
            postgresql_where=text("ref IS NOT NULL"),
        ),
        Index("ix_timeline_entries_contact", "tenant_id", "contact_id", "occurred_at", "id"),
        Index("ix_timeline_entries_account", "tenant_id", "account_id", "occurred_at", "id"),
    )
