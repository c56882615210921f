from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.orm import Entity
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketing_service.base import Base


class Campaign(Entity, Base):
    """An email campaign (M2) to a segment or a static list; ``ab_test`` holds its
    variants (M6). ``status``: draft, scheduled, sending, sent, cancelled."""

    __tablename__ = "campaigns"

    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20), server_default=sql("'email'"))
    purpose: Mapped[str] = mapped_column(String(60), server_default=sql("'marketing'"))
    segment_id: Mapped[UUID | None]
    list_id: Mapped[UUID | None]
    subject: Mapped[str] = mapped_column(String(500))
    html: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    rate_per_second: Mapped[int] = mapped_column(Integer, server_default=sql("20"))
    ab_test: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    winner: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), server_default=sql("'draft'"))
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    send_generation: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    """Which run of the sender owns the campaign now (a crashed run's successor takes
    over by raising it)."""

    __table_args__ = (Index("ix_campaigns_tenant_created", "tenant_id", "created_at", "id"),)


class Recipient(Base):
    """One recipient of a campaign; its id is the message's id (tokens, Message-ID).

    ``status``: held (A/B rest, waiting for the winner), pending, sending (claimed by a
    sender, not handed over), sent, skipped (consent refused at send time), bounced,
    complained, failed (gave up after transient failures).

    ``unrecorded``: set with ``sent`` when the send is decided, holding what its touchpoint
    and ``email.sent`` event need (the subject, the address); cleared when they are
    written, a batch at a time (by the run that sent it, or the next one after a crash).
    """

    __tablename__ = "campaign_recipients"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID]
    campaign_id: Mapped[UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[UUID]
    variant: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    clicked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unrecorded: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("uq_campaign_recipients_contact", "campaign_id", "contact_id", unique=True),
        Index(
            "ix_campaign_recipients_unrecorded",
            "campaign_id",
            postgresql_where=sql("unrecorded IS NOT NULL"),
        ),
        Index("ix_campaign_recipients_status", "campaign_id", "status"),
        Index("ix_campaign_recipients_tenant_contact", "tenant_id", "contact_id"),
    )
