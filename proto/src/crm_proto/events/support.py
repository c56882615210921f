"""Events of support-service (`crm.support.*`): one model per event type.

``crm.support.ticket.created.v1`` and ``crm.support.call.logged.v1`` are the timeline
contract in :mod:`crm_proto.events.activity`; everything else about tickets is here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from crm_proto.registry import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- tickets (V1) ---------------------------------------------------------------------------


class TicketSnapshot(_Payload):
    id: UUID
    number: int
    subject: str
    channel: str
    priority: str
    type: str
    status: str
    requester_id: UUID | None = None
    requester_email: str | None = None
    organisation_id: UUID | None = None
    queue_id: UUID | None = None
    owner_id: UUID | None = None
    """The assignee."""
    team_id: UUID | None = None
    tags: list[str] = []
    custom: dict[str, Any] = {}
    policy_id: UUID | None = None
    solved_at: datetime | None = None
    closed_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.support.ticket.updated.v1")
class TicketUpdated(_Payload):
    """A ticket changed; ``changed`` names its fields that did."""

    ticket: TicketSnapshot
    changed: list[str]


@event_type("crm.support.ticket.deleted.v1")
class TicketDeleted(_Payload):
    """A ticket was deleted."""

    id: UUID


@event_type("crm.support.ticket.status_changed.v1")
class TicketStatusChanged(_Payload):
    """A ticket moved from one status to another (V1)."""

    ticket_id: UUID
    contact_id: UUID | None = None
    account_id: UUID | None = None
    from_status: str
    to_status: str
    reopened: bool = False


@event_type("crm.support.ticket.assigned.v1")
class TicketAssigned(_Payload):
    """A ticket was assigned to a queue and/or an agent, and why (V2)."""

    ticket_id: UUID
    queue_id: UUID | None = None
    assignee_id: UUID | None = None
    previous_assignee_id: UUID | None = None
    reason: str


@event_type("crm.support.ticket.message_added.v1")
class TicketMessageAdded(_Payload):
    """A public message (agent reply or customer message) or an internal note."""

    ticket_id: UUID
    message_id: UUID
    author: str
    """``agent`` or ``customer``."""
    public: bool
    contact_id: UUID | None = None
    channel: str


class SlaMetric(_Payload):
    metric: str
    policy_id: UUID | None = None
    target_seconds: str
    elapsed_seconds: str
    due_at: datetime | None = None
    kind: str = "sla"
    """``sla`` (the customer's) or ``ola`` (between teams)."""


@event_type("crm.support.ticket.sla_warning.v1")
class TicketSlaWarning(_Payload):
    """A metric reached its policy's warning share of the target (V5)."""

    ticket_id: UUID
    metric: SlaMetric


@event_type("crm.support.ticket.sla_breached.v1")
class TicketSlaBreached(_Payload):
    """A metric reached its target unfulfilled (V5); ``actions`` are the escalations
    that followed (``reassigned``, ``priority_raised``, ``notified``)."""

    ticket_id: UUID
    metric: SlaMetric
    actions: list[str] = []
    assignee_id: UUID | None = None
    queue_id: UUID | None = None


# -- configuration: calendars, policies, queues, agents ---------------------------------------


class CalendarSnapshot(_Payload):
    id: UUID
    name: str
    time_zone: str
    hours: dict[str, list[list[str]]]
    holidays: list[str] = []
    country: str | None = None
    subdivision: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.support.calendar.created.v1")
class CalendarCreated(_Payload):
    """A business calendar was created (V4)."""

    calendar: CalendarSnapshot


@event_type("crm.support.calendar.updated.v1")
class CalendarUpdated(_Payload):
    """A business calendar changed; every SLA clock on it is recomputed."""

    calendar: CalendarSnapshot
    changed: list[str]


@event_type("crm.support.calendar.deleted.v1")
class CalendarDeleted(_Payload):
    """A business calendar was deleted."""

    id: UUID


class SlaPolicySnapshot(_Payload):
    id: UUID
    name: str
    kind: str
    position: int
    conditions: dict[str, Any] = {}
    calendar_id: UUID | None = None
    targets: list[dict[str, Any]] = []
    pause_on: dict[str, list[str]] = {}
    warn_share: float
    escalation: dict[str, Any] = {}
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.support.sla_policy.created.v1")
class SlaPolicyCreated(_Payload):
    """An SLA or OLA policy was created (V3, V9)."""

    sla_policy: SlaPolicySnapshot


@event_type("crm.support.sla_policy.updated.v1")
class SlaPolicyUpdated(_Payload):
    """An SLA or OLA policy changed."""

    sla_policy: SlaPolicySnapshot
    changed: list[str]


@event_type("crm.support.sla_policy.deleted.v1")
class SlaPolicyDeleted(_Payload):
    """An SLA or OLA policy was deleted."""

    id: UUID


class QueueSnapshot(_Payload):
    id: UUID
    name: str
    strategy: str
    skills: list[str] = []
    calendar_id: UUID | None = None
    team_id: UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.support.queue.created.v1")
class QueueCreated(_Payload):
    """A queue was created (V2)."""

    queue: QueueSnapshot


@event_type("crm.support.queue.updated.v1")
class QueueUpdated(_Payload):
    """A queue changed."""

    queue: QueueSnapshot
    changed: list[str]


@event_type("crm.support.queue.deleted.v1")
class QueueDeleted(_Payload):
    """A queue was deleted."""

    id: UUID


class TicketFieldSnapshot(_Payload):
    id: UUID
    key: str
    label: str
    kind: str
    options: list[str]
    required: bool
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.support.ticket_field.created.v1")
class TicketFieldCreated(_Payload):
    """A custom field of tickets was defined (V1)."""

    ticket_field: TicketFieldSnapshot


@event_type("crm.support.ticket_field.updated.v1")
class TicketFieldUpdated(_Payload):
    """A custom field of tickets changed (label, options, required)."""

    ticket_field: TicketFieldSnapshot
    changed: list[str]


@event_type("crm.support.ticket_field.deleted.v1")
class TicketFieldDeleted(_Payload):
    """A custom field of tickets was deleted."""

    id: UUID


class AgentSnapshot(_Payload):
    id: UUID
    user_id: UUID
    name: str
    email: str | None = None
    skills: list[str] = []
    capacity: int
    available: bool
    queue_ids: list[UUID] = []
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.support.agent.created.v1")
class AgentCreated(_Payload):
    """An agent was registered for routing (V2)."""

    agent: AgentSnapshot


@event_type("crm.support.agent.updated.v1")
class AgentUpdated(_Payload):
    """An agent's skills, capacity, availability or queues changed."""

    agent: AgentSnapshot
    changed: list[str]


@event_type("crm.support.agent.deleted.v1")
class AgentDeleted(_Payload):
    """An agent was removed from routing."""

    id: UUID


# -- satisfaction (V8) -----------------------------------------------------------------------


@event_type("crm.support.survey.requested.v1")
class SurveyRequested(_Payload):
    """A solved ticket's CSAT/NPS survey is open at ``path`` (a signed link) until
    ``expires_at``; whoever sends it to the requester appends it to the public base URL."""

    survey_id: UUID
    ticket_id: UUID
    contact_id: UUID | None = None
    requester_email: str | None = None
    path: str
    expires_at: datetime


@event_type("crm.support.survey.answered.v1")
class SurveyAnswered(_Payload):
    """The requester rated the service (CSAT 1-5, optionally NPS 0-10) (V8)."""

    survey_id: UUID
    ticket_id: UUID
    contact_id: UUID | None = None
    account_id: UUID | None = None
    assignee_id: UUID | None = None
    rating: int
    nps: int | None = None
    comment: str | None = None


# -- calls (V6) ------------------------------------------------------------------------------


class CallSnapshot(_Payload):
    id: UUID
    direction: str
    from_number: str
    to_number: str
    started_at: datetime
    duration_seconds: int
    outcome: str
    recording_ref: str | None = None
    agent_id: UUID | None = None
    contact_id: UUID | None = None
    ticket_id: UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.support.call.updated.v1")
class CallUpdated(_Payload):
    """A call record changed (its outcome, contact or ticket)."""

    call: CallSnapshot
    changed: list[str]


@event_type("crm.support.call.deleted.v1")
class CallDeleted(_Payload):
    """A call record was deleted."""

    id: UUID


# -- knowledge base (V7) ---------------------------------------------------------------------


class ArticleSnapshot(_Payload):
    id: UUID
    category: str | None = None
    status: str
    draft_title: str
    title: str | None = None
    """The published title (null until first published)."""
    published_version: int = 0
    published_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.support.article.created.v1")
class ArticleCreated(_Payload):
    """A knowledge-base article was drafted."""

    article: ArticleSnapshot


@event_type("crm.support.article.updated.v1")
class ArticleUpdated(_Payload):
    """An article's draft or state changed."""

    article: ArticleSnapshot
    changed: list[str]


@event_type("crm.support.article.deleted.v1")
class ArticleDeleted(_Payload):
    """An article was deleted."""

    id: UUID


@event_type("crm.support.article.published.v1")
class ArticlePublished(_Payload):
    """An article's draft became its published version ``published_version``."""

    article: ArticleSnapshot


@event_type("crm.support.ticket.attachment_added.v1")
class TicketAttachmentAdded(_Payload):
    """A file was attached to a ticket (or one of its messages)."""

    ticket_id: UUID
    attachment_id: UUID
    message_id: UUID | None = None
    filename: str
    content_type: str
    size: int
