"""Events of marketing-service (`crm.marketing.*`): one model per event type.

The email activity a contact's timeline shows (``email.sent``, ``email.opened``,
``email.clicked``) is the contract in :mod:`crm_proto.events.activity`; this module holds
the rest: segments and their membership, campaigns, bounces, consent, tracked behaviour,
scores, journeys, and the requests marketing makes of other services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from crm_proto.registry import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- segments (M1) -------------------------------------------------------------------------


class SegmentSnapshot(_Payload):
    id: UUID
    name: str
    description: str | None = None
    rule: dict[str, Any]
    """The rule tree (``all`` / ``any`` / ``not`` over field, tag, event and deal rules)."""
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.marketing.segment.created.v1")
class SegmentCreated(_Payload):
    """A segment was defined."""

    segment: SegmentSnapshot


@event_type("crm.marketing.segment.updated.v1")
class SegmentUpdated(_Payload):
    """A segment's name or rule changed; its membership is re-evaluated."""

    segment: SegmentSnapshot
    changed: list[str]


@event_type("crm.marketing.segment.deleted.v1")
class SegmentDeleted(_Payload):
    """A segment was deleted (its members left it with it, without ``left`` events)."""

    id: UUID


@event_type("crm.marketing.segment.entered.v1")
class SegmentEntered(_Payload):
    """A contact started to match a segment's rule."""

    segment_id: UUID
    contact_id: UUID


@event_type("crm.marketing.segment.left.v1")
class SegmentLeft(_Payload):
    """A contact no longer matches a segment's rule (or was erased or merged away)."""

    segment_id: UUID
    contact_id: UUID


# -- campaigns (M2, M6) --------------------------------------------------------------------


class CampaignSnapshot(_Payload):
    id: UUID
    name: str
    channel: str
    purpose: str
    segment_id: UUID | None = None
    list_id: UUID | None = None
    subject: str
    status: str
    scheduled_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.marketing.campaign.created.v1")
class CampaignCreated(_Payload):
    """A campaign was drafted."""

    campaign: CampaignSnapshot


@event_type("crm.marketing.campaign.updated.v1")
class CampaignUpdated(_Payload):
    """A campaign changed (content, schedule, status); ``changed`` names the fields."""

    campaign: CampaignSnapshot
    changed: list[str]


@event_type("crm.marketing.campaign.deleted.v1")
class CampaignDeleted(_Payload):
    """A draft campaign was deleted."""

    id: UUID


@event_type("crm.marketing.campaign.completed.v1")
class CampaignCompleted(_Payload):
    """Every recipient of a campaign was sent to, skipped or failed."""

    campaign_id: UUID
    sent: int
    skipped: int
    bounced: int
    failed: int


@event_type("crm.marketing.campaign.winner_picked.v1")
class CampaignWinnerPicked(_Payload):
    """An A/B test ended: the winning variant goes to the rest of the audience (M6)."""

    campaign_id: UUID
    metric: Literal["open", "click"]
    winner: str
    rates: dict[str, float]
    p_value: float | None = None
    """Two-sided p-value of the difference between the two best variants."""


@event_type("crm.marketing.email.bounced.v1")
class EmailBounced(_Payload):
    """A marketing email bounced or drew a complaint; the address is suppressed."""

    message_id: UUID
    campaign_id: UUID | None = None
    contact_id: UUID | None = None
    kind: Literal["hard", "soft", "complaint"]
    reason: str | None = None


# -- consent (M7) --------------------------------------------------------------------------


@event_type("crm.marketing.contact.unsubscribed.v1")
class ContactUnsubscribed(_Payload):
    """A contact withdrew consent for a channel and purpose (one-click or preferences);
    contacts-service records it as denied."""

    contact_id: UUID
    channel: str
    purpose: str
    source: Literal["one_click", "preferences", "complaint"]
    message_id: UUID | None = None


@event_type("crm.marketing.contact.subscribed.v1")
class ContactSubscribed(_Payload):
    """A contact granted consent for a channel and purpose on the preference page."""

    contact_id: UUID
    channel: str
    purpose: str


# -- tracking, scoring (M3, M5) ------------------------------------------------------------


@event_type("crm.marketing.behaviour.tracked.v1")
class BehaviourTracked(_Payload):
    """A page visit, form or custom behavioural event of a contact was recorded."""

    contact_id: UUID
    kind: str
    name: str | None = None
    properties: dict[str, Any] = {}
    occurred_at: datetime


class ScoreContribution(_Payload):
    rule_id: UUID | None = None
    name: str
    kind: Literal["fit", "engagement", "adjustment"]
    points: float


@event_type("crm.marketing.score.changed.v1")
class ScoreChanged(_Payload):
    """A contact's lead score changed; ``contributions`` explain the new score."""

    contact_id: UUID
    score: int
    previous: int
    contributions: list[ScoreContribution] = []


class ScoringRuleSnapshot(_Payload):
    id: UUID
    name: str
    kind: str
    points: int
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.marketing.scoring_rule.created.v1")
class ScoringRuleCreated(_Payload):
    """A lead scoring rule was defined."""

    scoring_rule: ScoringRuleSnapshot


@event_type("crm.marketing.scoring_rule.updated.v1")
class ScoringRuleUpdated(_Payload):
    """A lead scoring rule changed."""

    scoring_rule: ScoringRuleSnapshot
    changed: list[str]


@event_type("crm.marketing.scoring_rule.deleted.v1")
class ScoringRuleDeleted(_Payload):
    """A lead scoring rule was deleted."""

    id: UUID


# -- journeys (M4) -------------------------------------------------------------------------


class JourneySnapshot(_Payload):
    id: UUID
    name: str
    status: str
    published_version: int
    allow_reentry: bool
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.marketing.journey.created.v1")
class JourneyCreated(_Payload):
    """A journey was drafted."""

    journey: JourneySnapshot


@event_type("crm.marketing.journey.updated.v1")
class JourneyUpdated(_Payload):
    """A journey changed: published anew, paused or resumed."""

    journey: JourneySnapshot
    changed: list[str]


@event_type("crm.marketing.journey.deleted.v1")
class JourneyDeleted(_Payload):
    """A journey was deleted."""

    id: UUID


@event_type("crm.marketing.journey.enrolled.v1")
class JourneyEnrolled(_Payload):
    """A contact entered a journey (at the version then published)."""

    journey_id: UUID
    journey_version: int
    contact_id: UUID
    enrollment_id: UUID


@event_type("crm.marketing.journey.completed.v1")
class JourneyCompleted(_Payload):
    """A contact reached the end of a journey."""

    journey_id: UUID
    contact_id: UUID
    enrollment_id: UUID


@event_type("crm.marketing.task.requested.v1")
class TaskRequested(_Payload):
    """A journey asks sales-service to create a task for the contact's owner (S10)."""

    contact_id: UUID
    owner_id: UUID | None = None
    title: str
    type: Literal["call", "meeting", "todo", "email", "other"] = "todo"
    due_at: datetime | None = None
    journey_id: UUID | None = None


@event_type("crm.marketing.contact.tag_requested.v1")
class ContactTagRequested(_Payload):
    """A journey asks contacts-service to add a tag to a contact."""

    contact_id: UUID
    tag: str
    journey_id: UUID | None = None
