"""``/v1/webhooks``: subscriptions, their secrets, delivery log, redelivery and ping."""

from __future__ import annotations

from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.http import IfMatchDep
from crm_chassis.pagination import Page, PageParamsDep
from crm_chassis.repository import TenantRepository
from fastapi import APIRouter, Body, Response, status

from crm_gateway.webhooks import service
from crm_gateway.webhooks.repository import WebhookRepository
from crm_gateway.webhooks.schemas import (
    DeliveryRead,
    Redelivered,
    RedeliverRange,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)
from crm_gateway.webhooks.service import VIEW

READ = [require_scope("webhooks:read")]
WRITE = [require_scope("webhooks:write")]
router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
async def create_webhook(body: WebhookCreate, call: CallDep, response: Response) -> WebhookCreated:
    """Subscribe a URL to event types (``*`` wildcards); the signing secret is in this
    response only."""
    webhook, secret = await service.create(call, body)
    response.headers["Location"] = f"{VIEW.path}/{webhook.id}"
    response.headers["Cache-Control"] = "no-store"
    return WebhookCreated(**WebhookRead.model_validate(webhook).model_dump(), secret=secret)


@router.get("", dependencies=READ)
async def list_webhooks(call: CallDep, params: PageParamsDep) -> Page[WebhookRead]:
    rows, cursor = await WebhookRepository(call.session, call.actor).page(params)
    return Page(data=[WebhookRead.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/{id:uuid}", dependencies=READ, response_model=WebhookRead)
async def get_webhook(id: UUID, call: CallDep) -> Response:
    repo: TenantRepository[object] = WebhookRepository(call.session, call.actor)
    return VIEW.one(call.actor, await repo.require(id))


@router.patch("/{id:uuid}", dependencies=WRITE, response_model=WebhookRead)
async def update_webhook(
    id: UUID,
    body: WebhookUpdate,
    call: CallDep,
    if_match: IfMatchDep = None,
) -> Response:
    """Change the URL, the filters or the description; ``enabled: true`` re-enables."""
    return VIEW.one(call.actor, await service.update(call, id, body, if_match))


@router.delete("/{id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_webhook(id: UUID, call: CallDep, if_match: IfMatchDep = None) -> None:
    await service.delete(call, id, if_match)


@router.post("/{id:uuid}/secret", dependencies=WRITE)
async def rotate_secret(id: UUID, call: CallDep, response: Response) -> SecretRotated:
    """A new signing secret; deliveries carry both signatures while the old one overlaps."""
    secret, ends = await service.rotate_secret(call, id)
    response.headers["Cache-Control"] = "no-store"
    return SecretRotated(secret=secret, previous_expires_at=ends)


@router.get("/{id:uuid}/deliveries", dependencies=READ)
async def list_deliveries(
    id: UUID,
    call: CallDep,
    params: PageParamsDep,
) -> Page[DeliveryRead]:
    """The delivery log, newest first: each event, its state and every attempt (request
    headers, response status and body, timing)."""
    rows, cursor = await service.deliveries(call, id, params)
    return Page(data=rows, next_cursor=cursor)


@router.post(
    "/{id:uuid}/deliveries/{delivery_id:uuid}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=WRITE,
)
async def redeliver(id: UUID, delivery_id: UUID, call: CallDep) -> Redelivered:
    """Send one delivery again (same ``webhook-id``)."""
    await service.redeliver(call, id, delivery_id)
    return Redelivered(count=1)


@router.post("/{id:uuid}/redeliver", status_code=status.HTTP_202_ACCEPTED, dependencies=WRITE)
async def redeliver_range(
    id: UUID,
    call: CallDep,
    body: RedeliverRange = Body(),
) -> Redelivered:
    """Send again every delivery created in a time range (after a receiver's outage)."""
    return Redelivered(count=await service.redeliver_range(call, id, body.since, body.until))


@router.post("/{id:uuid}/ping", status_code=status.HTTP_202_ACCEPTED, dependencies=WRITE)
async def ping(id: UUID, call: CallDep) -> DeliveryRead:
    """Queue a test event (``crm.gateway.webhook.ping.v1``) for this subscription."""
    return DeliveryRead.model_validate(await service.ping(call, id))
