"""Every event sales-service consumes, with its handler, registered in this one place.

- ``sales-contacts``: a merge of contacts re-points what sales holds about the merged
  contacts (deals, deal roles, converted leads) to the survivor; an erasure removes the
  personal data sales holds about the contact (the lead's fields, roles), keeping amounts.
- ``sales-requests``: a marketing journey's "create a task" step becomes a task for the
  contact's owner (or unassigned), once per request.
"""

from __future__ import annotations

from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.consumer import Consumer, Typed
from crm_chassis.crud import Call
from crm_chassis.outbox import emit
from crm_proto import CloudEvent
from crm_proto.events.contacts import ContactErased, ContactMerged
from crm_proto.events.marketing import TaskRequested
from sqlalchemy.ext.asyncio import AsyncSession

from sales_service.deals import events as deal_events
from sales_service.deals.repository import DealContactRepository, DealRepository
from sales_service.leads.repository import LeadRepository
from sales_service.leads.service import EVENTS as LEAD_EVENTS
from sales_service.tasks.schemas import TaskWrite
from sales_service.tasks.service import TASKS

PERSONAL = ("first_name", "last_name", "email", "phone", "title", "website")


async def on_contact_merged(session: AsyncSession, event: CloudEvent, data: ContactMerged) -> None:
    actor = Actor.system(UUID(event.tenantid))
    merged, survivor = list(data.merged_ids), data.survivor_id
    deals = DealRepository(session, actor)
    for deal in await deals.of_contacts(merged):
        deal.contact_id = survivor
        await session.flush()
        await emit(session, deal_events.updated(deal, ["contact_id"]))
    await DealContactRepository(session, actor).repoint(merged, survivor)
    for lead in await LeadRepository(session, actor).by_contact(merged):
        lead.converted_contact_id = survivor
        await session.flush()
        await emit(session, LEAD_EVENTS.updated(lead, ["converted_contact_id"]))


async def on_contact_erased(session: AsyncSession, event: CloudEvent, data: ContactErased) -> None:
    actor = Actor.system(UUID(event.tenantid))
    for lead in await LeadRepository(session, actor).by_contact([data.contact_id]):
        if lead.erased_at is not None:
            continue
        for name in PERSONAL:
            setattr(lead, name, None)
        lead.custom, lead.qualification, lead.erased_at = {}, {}, data.erased_at
        await session.flush()
        await emit(session, LEAD_EVENTS.updated(lead, [*PERSONAL, "custom", "qualification"]))
    await DealContactRepository(session, actor).erase_roles(data.contact_id)


CONTACTS = Consumer(
    "sales-contacts",
    handlers={
        "crm.contacts.contact.merged.v1": Typed(on_contact_merged),
        "crm.contacts.contact.erased.v1": Typed(on_contact_erased),
    },
)


async def on_task_requested(session: AsyncSession, event: CloudEvent, data: TaskRequested) -> None:
    call = Call(session=session, actor=Actor.system(UUID(event.tenantid)))
    task = TaskWrite(
        type=data.type,
        title=data.title[:255],
        description="Requested by a marketing journey" if data.journey_id else None,
        due_at=data.due_at,
        contact_id=data.contact_id,
        owner_id=data.owner_id,
    )
    await TASKS.create(call, task)


REQUESTS = Consumer(
    "sales-requests",
    handlers={"crm.marketing.task.requested.v1": Typed(on_task_requested)},
)

CONSUMERS = [CONTACTS, REQUESTS]
