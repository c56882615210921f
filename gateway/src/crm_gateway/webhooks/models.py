"""Subscriptions, their deliveries (one per event and subscription) and each attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import Entity, utcnow
from sqlalchemy import DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from crm_gateway.base import Base


class Webhook(Entity, Base):
    """A subscription: events whose type matches one of ``event_types`` go to ``url``.

    ``secrets`` holds the signing secrets (``whsec_...``) newest first, each with the time
    it stops being used (``null`` for the current one): after a rotation both sign every
    delivery until the old one's overlap ends. They are kept as they are, not hashed: the
    dispatcher needs them to sign.
    """

    __tablename__ = "webhooks"

    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    description: Mapped[str | None] = mapped_column(String(500))
    secrets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_webhooks_tenant_created", "tenant_id", "created_at", "id"),)


class Delivery(Base):
    """One event for one subscription. Its id is the ``webhook-id`` of every attempt, so a
    receiver de-duplicates retries and redeliveries by it."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID]
    webhook_id: Mapped[UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(200))
    event: Mapped[dict[str, Any]] = mapped_column(JSONB, comment="the CloudEvent, the body")
    state: Mapped[str] = mapped_column(
        String(16), server_default=text("'pending'"), comment="pending, delivered, failed"
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("uq_webhook_deliveries_event", "webhook_id", "event_id", unique=True),
        Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at", "id"),
    )


class Attempt(Base):
    """One try of a delivery: what was sent, what came back, how long it took."""

    __tablename__ = "webhook_attempts"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    delivery_id: Mapped[UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    url: Mapped[str] = mapped_column(String(2048))
    request_headers: Mapped[dict[str, str]] = mapped_column(JSONB)
    status: Mapped[int | None] = mapped_column(SmallInteger, comment="null: no response")
    response_body: Mapped[str | None] = mapped_column(Text, comment="its first 2 KB")
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)
