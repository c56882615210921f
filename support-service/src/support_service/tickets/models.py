from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.ids import new_id
from crm_chassis.orm import Entity, Owned, utcnow
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from support_service.base import Base

UNSOLVED = ("new", "open", "pending", "on-hold")
UNSOLVED_SQL = "status IN ('new', 'open', 'pending', 'on-hold')"


class Ticket(Entity, Owned, Base):
    """A customer's case (V1). ``owner_id`` is the assignee, ``team_id`` their team."""

    __tablename__ = "tickets"

    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    requester_id: Mapped[UUID | None] = mapped_column()
    requester_email: Mapped[str | None] = mapped_column(String(320))
    organisation_id: Mapped[UUID | None] = mapped_column()
    queue_id: Mapped[UUID | None] = mapped_column()
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(100)), server_default="{}")
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    policy_id: Mapped[UUID | None] = mapped_column()
    solved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_tickets_tenant_created", "tenant_id", "created_at", "id"),
        Index("uq_tickets_tenant_number", "tenant_id", "number", unique=True),
        # A queue's or an assignee's tickets of one status, in the keyset order (newest
        # first, id breaking ties): a page is read off the index with no sort.
        Index(
            "ix_tickets_queue_status_keyset", "tenant_id", "queue_id", "status", "created_at", "id"
        ),
        Index(
            "ix_tickets_owner_status_keyset", "tenant_id", "owner_id", "status", "created_at", "id"
        ),
        # The agent's working lists (a queue's or their own unsolved tickets, newest first)
        # read the first page straight off these, whatever unsolved statuses they ask for.
        # The list query repeats UNSOLVED_SQL literally (TicketRepository.filtered), or a
        # prepared statement's generic plan could not prove the predicate from parameters.
        Index(
            "ix_tickets_unsolved_queue",
            "tenant_id",
            "queue_id",
            "created_at",
            "id",
            postgresql_where=text(UNSOLVED_SQL),
        ),
        Index(
            "ix_tickets_unsolved_owner",
            "tenant_id",
            "owner_id",
            "created_at",
            "id",
            postgresql_where=text(UNSOLVED_SQL),
        ),
        Index("ix_tickets_tenant_requester", "tenant_id", "requester_id"),
    )


class TicketField(Entity, Base):
    """A tenant's custom field of tickets: its key in ``custom``, kind, options and
    whether every ticket must have it."""

    __tablename__ = "ticket_fields"

    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    options: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'"))
    required: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (
        Index("uq_ticket_fields_tenant_key", "tenant_id", "key", unique=True),
        Index("ix_ticket_fields_tenant_created", "tenant_id", "created_at", "id"),
    )


class TicketEvent(Base):
    """One entry of a ticket's history: what the SLA clock is derived from, and the
    status and assignment history shown to users. Append-only."""

    __tablename__ = "ticket_events"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID] = mapped_column()
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    actor_id: Mapped[UUID | None] = mapped_column()

    __table_args__ = (Index("ix_ticket_events_ticket", "tenant_id", "ticket_id", "at", "id"),)


class TicketMessage(Base):
    """A public message (agent or customer) or an internal note of a ticket."""

    __tablename__ = "ticket_messages"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[UUID] = mapped_column()
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    author: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[UUID | None] = mapped_column()
    public: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    from_address: Mapped[str | None] = mapped_column(String(320))
    message_id: Mapped[str | None] = mapped_column(String(998))
    """The RFC 5322 Message-ID it was received or sent with, for threading replies."""
    delivery: Mapped[str | None] = mapped_column(String(16))
    """For an outgoing email reply: queued, sent, failed."""

    __table_args__ = (
        Index("ix_ticket_messages_ticket", "tenant_id", "ticket_id", "created_at", "id"),
        # A message delivered twice at once is taken once (the second insert is a 409).
        Index(
            "uq_ticket_messages_message_id",
            "tenant_id",
            "message_id",
            unique=True,
            postgresql_where=text("message_id IS NOT NULL"),
        ),
    )


class TicketCounter(Base):
    """The last ticket number of each tenant."""

    __tablename__ = "ticket_counters"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
