"""Activity events that sales-, support- and marketing-service WILL publish (their contract).

These services do not publish yet. contacts-service builds each customer's timeline (C8)
from these events, so their payloads are fixed here first, kept minimal: the ids that tie
the activity to a contact and/or an account, and what a timeline line needs to read well.
When a service starts publishing one of these types it owns the model and may ADD
optional fields; anything that breaks a consumer is a new ``.v2`` type.

Conventions of every payload here: ``contact_id`` and ``account_id`` are the ids of
contacts-service records (either may be null, an activity with neither is not shown on
any timeline); money is a decimal string with an ISO 4217 ``currency``; times are aware
UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from crm_proto.registry import event_type


class _Activity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: UUID | None = None
    """The contact (person) the activity concerns, if any."""
    account_id: UUID | None = None
    """The account (company) the activity concerns, if any."""


# -- sales-service -------------------------------------------------------------------------


@event_type("crm.sales.deal.created.v1")
class DealCreated(_Activity):
    """A deal (opportunity) was created; contract for sales-service (S5)."""

    deal_id: UUID
    name: str
    pipeline_id: UUID | None = None
    stage: str
    amount: str | None = None
    currency: str | None = None
    owner_id: UUID | None = None


@event_type("crm.sales.deal.stage_changed.v1")
class DealStageChanged(_Activity):
    """A deal moved to another stage; contract for sales-service (S4)."""

    deal_id: UUID
    name: str
    from_stage: str | None = None
    to_stage: str
    won: bool | None = None
    """True when the new stage is closed-won, False when closed-lost, else null."""
    amount: str | None = None
    currency: str | None = None


@event_type("crm.sales.quote.sent.v1")
class QuoteSent(_Activity):
    """A quote was sent to the customer; contract for sales-service (S8)."""

    quote_id: UUID
    deal_id: UUID | None = None
    number: str
    total: str
    currency: str
    sent_at: datetime


@event_type("crm.sales.task.completed.v1")
class TaskCompleted(_Activity):
    """A task (call, meeting, to-do) was completed; contract for sales-service (S10)."""

    task_id: UUID
    title: str
    type: Literal["call", "meeting", "todo", "email", "other"] = "todo"
    completed_by: str | None = None
    completed_at: datetime


# -- support-service -----------------------------------------------------------------------


@event_type("crm.support.ticket.created.v1")
class TicketCreated(_Activity):
    """A support ticket was opened; contract for support-service (V1)."""

    ticket_id: UUID
    number: str | None = None
    subject: str
    priority: str
    channel: str


@event_type("crm.support.call.logged.v1")
class CallLogged(_Activity):
    """A phone call was logged; contract for support-service (V6)."""

    call_id: UUID
    direction: Literal["inbound", "outbound"]
    number: str | None = None
    started_at: datetime
    duration_seconds: int = 0
    outcome: str | None = None
    ticket_id: UUID | None = None


# -- marketing-service ---------------------------------------------------------------------


@event_type("crm.marketing.email.sent.v1")
class EmailSent(_Activity):
    """A campaign or journey email was sent to a contact; contract for marketing (M2)."""

    message_id: UUID
    campaign_id: UUID | None = None
    subject: str
    to: str


@event_type("crm.marketing.email.opened.v1")
class EmailOpened(_Activity):
    """A contact opened a marketing email; contract for marketing-service (M3)."""

    message_id: UUID
    campaign_id: UUID | None = None
    subject: str | None = None


@event_type("crm.marketing.email.clicked.v1")
class EmailClicked(_Activity):
    """A contact clicked a link in a marketing email; contract for marketing (M3)."""

    message_id: UUID
    campaign_id: UUID | None = None
    subject: str | None = None
    url: str
