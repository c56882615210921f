"""From the ``CRM`` stream to deliveries: each event, for each of its tenant's enabled
subscriptions whose filters match its type, becomes a delivery and a job.

Runs in the consumer's transaction with its inbox: a redelivered event queues nothing
twice (and :func:`~crm_gateway.webhooks.service.queue` also refuses a second delivery of
one event to one subscription).
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.consumer import Consumer
from crm_proto import CloudEvent
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.webhooks.repository import WebhookRepository
from crm_gateway.webhooks.service import queue

CONSUMER_NAME = "gateway-webhooks"


def matches(filters: Iterable[str], event_type: str) -> bool:
    """Whether ``event_type`` matches a filter: exact, or with ``*`` wildcards
    (``crm.sales.*`` matches every sales event, ``*`` every event)."""
    return any(f == event_type or fnmatchcase(event_type, f) for f in filters)


async def on_any_event(session: AsyncSession, event: CloudEvent) -> None:
    actor = Actor.system(UUID(event.tenantid))
    body = event.model_dump(mode="json", exclude_none=True)
    for webhook in await WebhookRepository(session, actor).enabled():
        if matches(webhook.event_types, event.type):
            await queue(session, webhook, body)


WEBHOOKS = Consumer(CONSUMER_NAME, {"crm.>": on_any_event})
