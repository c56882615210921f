"""Events of the gateway (`crm.gateway.*`): one model per event type.

Teams and roles are administered at the gateway (G2) and carried in tokens; webhook
subscriptions (G4) announce their changes, and above all when the dispatcher disables
one, so an operator or an integrator's monitoring can react.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from crm_proto.registry import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamSnapshot(_Payload):
    id: UUID
    name: str
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.gateway.team.created.v1")
class TeamCreated(_Payload):
    """A team of users was created (G2)."""

    team: TeamSnapshot


@event_type("crm.gateway.team.updated.v1")
class TeamUpdated(_Payload):
    """A team changed; ``changed`` names its fields that did."""

    team: TeamSnapshot
    changed: list[str]


@event_type("crm.gateway.team.deleted.v1")
class TeamDeleted(_Payload):
    """A team was deleted."""

    id: UUID


class RoleSnapshot(_Payload):
    id: UUID
    name: str
    scopes: list[str]
    visibility: Literal["own", "team", "all"]
    fields: dict[str, list[str]]
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.gateway.role.created.v1")
class RoleCreated(_Payload):
    """A tenant-defined role was created (G2)."""

    role: RoleSnapshot


@event_type("crm.gateway.role.updated.v1")
class RoleUpdated(_Payload):
    """A tenant-defined role changed: tokens issued from now on carry the change."""

    role: RoleSnapshot
    changed: list[str]


@event_type("crm.gateway.role.deleted.v1")
class RoleDeleted(_Payload):
    """A tenant-defined role was deleted."""

    id: UUID


class WebhookSnapshot(_Payload):
    """A subscription as events show it: never its secrets."""

    id: UUID
    url: str
    event_types: list[str]
    description: str | None = None
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime


@event_type("crm.gateway.webhook.created.v1")
class WebhookCreated(_Payload):
    """A webhook subscription was created (G4)."""

    webhook: WebhookSnapshot


@event_type("crm.gateway.webhook.updated.v1")
class WebhookUpdated(_Payload):
    """A webhook subscription changed."""

    webhook: WebhookSnapshot
    changed: list[str]


@event_type("crm.gateway.webhook.deleted.v1")
class WebhookDeleted(_Payload):
    """A webhook subscription was deleted."""

    id: UUID


@event_type("crm.gateway.webhook.disabled.v1")
class WebhookDisabled(_Payload):
    """The dispatcher disabled a subscription: its endpoint answered 410 Gone, or every
    attempt of a delivery failed for about three days."""

    webhook: WebhookSnapshot
    reason: str


@event_type("crm.gateway.webhook.ping.v1")
class WebhookPing(_Payload):
    """A test delivery a subscriber asked for (``POST /v1/webhooks/{id}/ping``); it is
    sent to that subscription only, never published on the bus."""

    webhook_id: UUID
