"""Webhook subscription use cases, taking ``call`` first and never committing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, View, load_for_update
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import BadRequest, NotFound, ValidationFailed
from crm_chassis.jobs import schedule
from crm_chassis.orm import utcnow
from crm_chassis.outbox import EventSource, emit
from crm_chassis.pagination import PageParams
from crm_proto.events import gateway
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.identity.models import Tenant
from crm_gateway.webhooks.models import Delivery, Webhook
from crm_gateway.webhooks.repository import DeliveryRepository, WebhookRepository
from crm_gateway.webhooks.schemas import (
    AttemptRead,
    DeliveryRead,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
)
from crm_gateway.webhooks.signing import new_secret
from crm_gateway.webhooks.targets import RefusedTarget, check_target

DELIVER = "webhook.deliver"
SOURCE = EventSource("gateway")
EVENTS = EntityEvents.of(SOURCE, "crm.gateway.webhook", gateway)
VIEW = View("webhook", WebhookRead, path="/v1/webhooks")
ROTATION_OVERLAP = timedelta(hours=24)


async def allows_private(session: AsyncSession, tenant_id: UUID) -> bool:
    tenant = await session.get(Tenant, tenant_id)
    return bool(tenant and tenant.allow_private_webhooks)


async def _check_url(call: Call, url: str) -> None:
    try:
        await check_target(url, allow_private=await allows_private(call.session, call.tenant_id))
    except RefusedTarget as exc:
        raise ValidationFailed(
            f"The URL is refused: {exc}", errors=[{"field": "url", "message": str(exc)}]
        ) from exc


def active_secrets(webhook: Webhook, now: datetime | None = None) -> list[str]:
    """The secrets that sign a delivery now: the current one and any still overlapping."""
    now = now or utcnow()
    return [
        s["secret"]
        for s in webhook.secrets
        if s.get("expires_at") is None or datetime.fromisoformat(s["expires_at"]) > now
    ]


async def create(call: Call, data: WebhookCreate) -> tuple[Webhook, str]:
    """A new subscription and its secret; 422 for a URL deliveries may not go to."""
    await _check_url(call, data.url)
    secret = new_secret()
    webhook = Webhook(
        tenant_id=call.tenant_id,
        url=data.url,
        event_types=sorted(set(data.event_types)),
        description=data.description,
        secrets=[{"secret": secret, "expires_at": None}],
    )
    await WebhookRepository(call.session, call.actor).add(webhook)
    await emit(call.session, EVENTS.created(webhook))
    return webhook, secret


async def update(call: Call, id_: UUID, data: WebhookUpdate, if_match: str | None) -> Webhook:
    repo = WebhookRepository(call.session, call.actor)
    webhook: Webhook = await load_for_update(repo, id_, if_match)
    changed: list[str] = []
    if data.url is not None and data.url != webhook.url:
        await _check_url(call, data.url)
        webhook.url, changed = data.url, [*changed, "url"]
    if data.event_types is not None:
        webhook.event_types, changed = sorted(set(data.event_types)), [*changed, "event_types"]
    if "description" in data.model_fields_set:
        webhook.description, changed = data.description, [*changed, "description"]
    if data.enabled is not None and data.enabled == (webhook.disabled_at is not None):
        webhook.disabled_at = None if data.enabled else utcnow()
        webhook.disabled_reason = None if data.enabled else "disabled by the subscriber"
        changed += ["disabled_at", "disabled_reason"]
    if changed:
        await call.session.flush()
        await emit(call.session, EVENTS.updated(webhook, changed))
    return webhook


async def delete(call: Call, id_: UUID, if_match: str | None) -> None:
    repo = WebhookRepository(call.session, call.actor)
    webhook = await load_for_update(repo, id_, if_match)
    await emit(call.session, EVENTS.deleted(webhook))
    await repo.delete(webhook)


async def rotate_secret(call: Call, id_: UUID) -> tuple[str, datetime]:
    """A new current secret; the old ones keep signing for :data:`ROTATION_OVERLAP`."""
    webhook = await WebhookRepository(call.session, call.actor).require(id_, for_update=True)
    ends = utcnow() + ROTATION_OVERLAP
    kept = [
        {**s, "expires_at": s.get("expires_at") or ends.isoformat()}
        for s in webhook.secrets
        if s["secret"] in active_secrets(webhook)
    ]
    secret = new_secret()
    webhook.secrets = [{"secret": secret, "expires_at": None}, *kept]
    await call.session.flush()
    return secret, ends


async def queue(session: AsyncSession, webhook: Webhook, event: dict[str, Any]) -> UUID | None:
    """A delivery of ``event`` to ``webhook`` and the job that sends it; None if that
    event was queued for it before (events arrive at least once)."""
    delivery_id = await DeliveryRepository(session).insert_new(
        tenant_id=webhook.tenant_id,
        webhook_id=webhook.id,
        event_id=event["id"],
        event_type=event["type"],
        event=event,
        next_attempt_at=utcnow(),
    )
    if delivery_id is not None:
        await _schedule_job(session, webhook.tenant_id, delivery_id, utcnow())
    return delivery_id


async def _schedule(session: AsyncSession, delivery: Delivery) -> None:
    assert delivery.next_attempt_at is not None
    await _schedule_job(session, delivery.tenant_id, delivery.id, delivery.next_attempt_at)


async def _schedule_job(
    session: AsyncSession,
    tenant_id: UUID,
    delivery_id: UUID,
    due_at: datetime,
    *,
    dedupe: bool = True,
) -> None:
    """The job of the delivery's next attempt. ``dedupe=False`` for a redelivery asked
    through the API: its attempt may be running right now, and folding the new job into
    that one would lose the redelivery."""
    await schedule(
        session,
        kind=DELIVER,
        due_at=due_at,
        payload={"delivery": str(delivery_id)},
        tenant_id=tenant_id,
        dedupe_key=f"delivery:{delivery_id}" if dedupe else None,
        replace=dedupe,
    )


async def ping(call: Call, id_: UUID) -> Delivery:
    """A test delivery to the subscription, whatever its filters."""
    webhook = await WebhookRepository(call.session, call.actor).require(id_)
    event = SOURCE.event(
        "crm.gateway.webhook.ping.v1",
        gateway.WebhookPing(webhook_id=webhook.id),
        tenant_id=call.tenant_id,
        subject=webhook.id,
    )
    delivery_id = await queue(call.session, webhook, event.model_dump(mode="json"))
    assert delivery_id is not None  # a new event id
    delivery = await DeliveryRepository(call.session).of_webhook(webhook.id, delivery_id)
    assert delivery is not None
    return delivery


async def redeliver(call: Call, id_: UUID, delivery_id: UUID) -> Delivery:
    """Send a delivery again, with the same ``webhook-id``, whatever its state."""
    webhook = await WebhookRepository(call.session, call.actor).require(id_)
    repo = DeliveryRepository(call.session)
    delivery = await repo.of_webhook(webhook.id, delivery_id, for_update=True)
    if delivery is None:
        raise NotFound(f"No delivery {delivery_id}")
    await _again(call.session, delivery)
    return delivery


async def redeliver_range(call: Call, id_: UUID, since: datetime, until: datetime) -> int:
    """Send again every delivery of the subscription created in ``[since, until)``."""
    if until <= since:
        raise BadRequest("until must be after since")
    webhook = await WebhookRepository(call.session, call.actor).require(id_)
    deliveries = await DeliveryRepository(call.session).in_range(webhook.id, since, until)
    for delivery in deliveries:
        await _again(call.session, delivery)
    return len(deliveries)


async def _again(session: AsyncSession, delivery: Delivery) -> None:
    delivery.state, delivery.next_attempt_at = "pending", utcnow()
    await session.flush()
    await _schedule_job(
        session, delivery.tenant_id, delivery.id, delivery.next_attempt_at, dedupe=False
    )


async def deliveries(
    call: Call, id_: UUID, params: PageParams
) -> tuple[list[DeliveryRead], str | None]:
    """The subscription's delivery log, newest first, each with its attempts."""
    webhook = await WebhookRepository(call.session, call.actor).require(id_)
    repo = DeliveryRepository(call.session)
    rows, cursor = await repo.page(webhook.id, params)
    attempts = await repo.attempts([r.id for r in rows])
    out = []
    for row in rows:
        read = DeliveryRead.model_validate(row)
        read.log = [AttemptRead.model_validate(a) for a in attempts.get(row.id, [])]
        out.append(read)
    return out, cursor
