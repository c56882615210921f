"""Campaign use cases: drafts (CRUD), scheduling, cancelling, outcomes, feedback."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis import jobs
from crm_chassis.crud import Call, Crud, View, load_for_update
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import Conflict, NotFound
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_chassis.repository import TenantRepository
from crm_proto.events import marketing

from marketing_service.campaigns import recipients
from marketing_service.campaigns.models import Campaign
from marketing_service.campaigns.schemas import CampaignRead, CampaignWrite
from marketing_service.campaigns.sender import START, bounce
from marketing_service.consent import service as consent
from marketing_service.events import SOURCE

VIEW = View("campaign", CampaignRead, path="/v1/campaigns")
EVENTS = EntityEvents.of(SOURCE, "crm.marketing.campaign", marketing)
EDITABLE = ("draft", "scheduled")


class CampaignRepository(TenantRepository[Campaign]):
    model = Campaign
    label = "campaign"
    sortable = {"created_at": Campaign.created_at, "name": Campaign.name}


def _columns(data: CampaignWrite) -> dict[str, Any]:
    return data.model_dump(mode="json")


class Campaigns(Crud[Campaign]):
    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        if changed and entity.status not in EDITABLE:
            raise Conflict(f"A {entity.status} campaign cannot be changed")

    async def before_delete(self, call: Call, entity: Any) -> None:
        if entity.status not in EDITABLE:
            raise Conflict(f"A {entity.status} campaign cannot be deleted")
        await jobs.cancel(
            call.session, tenant_id=call.tenant_id, dedupe_key=f"campaign-start:{entity.id}"
        )


CAMPAIGNS = Campaigns(CampaignRepository, VIEW, CampaignWrite, EVENTS, columns=_columns)


async def _transition(call: Call, id_: UUID, if_match: str | None, status: str) -> Campaign:
    campaign = await load_for_update(CampaignRepository(call.session, call.actor), id_, if_match)
    if campaign.status not in EDITABLE:
        raise Conflict(f"The campaign is {campaign.status}")
    campaign.status = status
    return campaign


async def schedule(call: Call, id_: UUID, at: Any, if_match: str | None) -> Campaign:
    """Send at ``at`` (now when None): a chassis job starts the campaign then."""
    campaign = await _transition(call, id_, if_match, "scheduled")
    campaign.scheduled_at = at or utcnow()
    await jobs.schedule(
        call.session,
        kind=START,
        due_at=campaign.scheduled_at,
        tenant_id=call.tenant_id,
        payload={"campaign_id": str(id_)},
        dedupe_key=f"campaign-start:{id_}",
        replace=True,
    )
    await call.session.flush()
    await emit(call.session, EVENTS.updated(campaign, ["scheduled_at", "status"]))
    return campaign


async def cancel(call: Call, id_: UUID, if_match: str | None) -> Campaign:
    campaign = await load_for_update(CampaignRepository(call.session, call.actor), id_, if_match)
    if campaign.status in ("sent", "cancelled"):
        raise Conflict(f"The campaign is {campaign.status}")
    campaign.status = "cancelled"
    await jobs.cancel(call.session, tenant_id=call.tenant_id, dedupe_key=f"campaign-start:{id_}")
    await call.session.flush()
    await emit(call.session, EVENTS.updated(campaign, ["status"]))
    return campaign


async def stats(call: Call, id_: UUID) -> dict[str, Any]:
    await CampaignRepository(call.session, call.actor).require(id_)
    counts = await recipients.counts(call.session, id_)
    rates = await recipients.variant_rates(call.session, id_)
    return {
        "campaign_id": id_,
        "recipients": counts,
        "variants": {v: {"sent": s, "opened": o, "clicked": c} for v, (s, o, c) in rates.items()},
    }


async def recipients_page(call: Call, id_: UUID, after: UUID | None, limit: int) -> list[Any]:
    await CampaignRepository(call.session, call.actor).require(id_)
    return await recipients.page(call.session, call.tenant_id, id_, after, limit)


async def feedback(call: Call, message_id: UUID, kind: str, reason: str | None) -> None:
    """A bounce or complaint reported after the send; a complaint also unsubscribes."""
    recipient = await recipients.get(call.session, call.tenant_id, message_id)
    if recipient is None:
        raise NotFound(f"No message {message_id}")
    await bounce(
        call.session,
        call.tenant_id,
        recipient.id,
        recipient.contact_id,
        recipient.campaign_id,
        kind,
        reason,
    )
    if kind == "complaint":
        campaign = await call.session.get(Campaign, recipient.campaign_id)
        purpose = campaign.purpose if campaign else "marketing"
        await consent.unsubscribe(
            call.session,
            call.tenant_id,
            recipient.contact_id,
            "email",
            purpose,
            source="complaint",
            message_id=message_id,
        )
