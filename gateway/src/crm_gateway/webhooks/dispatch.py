"""From the ``CRM`` stream to deliveries: each event, for each of its tenant's enabled
subscriptions whose filters match its type, becomes a delivery and a job.

Runs in the consumer's transaction with its inbox: a redelivered event queues nothing
twice (and :func:`~crm_gateway.webhooks.service.queue` also refuses a second delivery of
one event to one subscription).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from uuid import UUID

from crm_chassis.consumer import Batched, Consumer
from crm_proto import CloudEvent
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.audit.history import keep
from crm_gateway.webhooks.models import Webhook
from crm_gateway.webhooks.repository import enabled_of_tenants
from crm_gateway.webhooks.service import queue

CONSUMER_NAME = "gateway-webhooks"


def matches(filters: Iterable[str], event_type: str) -> bool:
    """Whether ``event_type`` matches a filter: exact, or with ``*`` wildcards
    (``crm.sales.*`` matches every sales event, ``*`` every event)."""
    return any(f == event_type or fnmatchcase(event_type, f) for f in filters)


async def on_events(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
    """Keep the events that name a record (the audit's change history), and queue the
    deliveries: one query for the subscriptions of all their tenants, then one insert
    and one job per match."""
    await keep(session, events)
    tenants = sorted({UUID(e.tenantid) for e in events})
    by_tenant: dict[str, list[Webhook]] = {}
    for webhook in await enabled_of_tenants(session, tenants):
        by_tenant.setdefault(str(webhook.tenant_id), []).append(webhook)
    for event in events:
        matching = [
            w for w in by_tenant.get(event.tenantid, ()) if matches(w.event_types, event.type)
        ]
        if matching:
            body = event.model_dump(mode="json", exclude_none=True)
            for webhook in matching:
                await queue(session, webhook, body)


WEBHOOKS = Consumer(CONSUMER_NAME, {"crm.>": Batched(on_events)})
