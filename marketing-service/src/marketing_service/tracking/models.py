"""Touchpoints (M8): every touch of a contact, kept for segments, scoring and attribution.

One row per send, open, click, page visit, form or custom behavioural event, with its
campaign, channel and time. Segment event rules and engagement scoring read this table;
``original_contact_id`` remembers where a merge moved a row from, so an undo moves it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from sqlalchemy import DateTime, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketing_service.base import Base


class Touchpoint(Base):
    __tablename__ = "touchpoints"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID]
    contact_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(500))
    """The page path, the custom event's name, or the clicked URL."""
    channel: Mapped[str] = mapped_column(String(20), server_default=text("'web'"))
    campaign_id: Mapped[UUID | None]
    message_id: Mapped[UUID | None]
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    original_contact_id: Mapped[UUID | None]
    source: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_touchpoints_contact", "tenant_id", "contact_id", "kind", "occurred_at"),
        Index("ix_touchpoints_campaign", "tenant_id", "campaign_id", "kind"),
    )


class TrackingKey(Base):
    """A tenant's public key for browsers posting to ``/v1/track`` (not a secret: it only
    lets the holder report behaviour)."""

    __tablename__ = "tracking_keys"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_tracking_keys_tenant", "tenant_id"),)
