"""Every event marketing-service consumes, with its handler, registered in this one place.

- ``marketing-contacts``: contacts-service's contacts (created, updated, deleted, merged,
  merge undone, erased) into the contacts projection, and its static lists' members;
- ``marketing-sales``: sales-service's deals, for the deal rules of segments.

Each handler applies the change and then re-scores and re-segments the contacts it
touched (:mod:`reactions`), in the consumer's transaction with its inbox row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from crm_chassis.consumer import Batched, Consumer, Typed
from crm_proto import CloudEvent, payload_model
from crm_proto.events import activity, contacts, sales
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service import reactions
from marketing_service.contacts import projection
from marketing_service.journeys import engine as journeys
from marketing_service.segments import membership
from marketing_service.tracking import touchpoints


def _tenant(event: CloudEvent) -> UUID:
    return UUID(event.tenantid)


async def on_contacts_changed(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
    """Created and updated contacts, a run at a time: each snapshot applied, then the
    contacts that changed re-scored and re-segmented together (a few queries per run,
    not per event)."""
    changed: dict[UUID, list[UUID]] = {}
    for event in events:
        data = payload_model(event.type).model_validate(event.data)
        tenant_id = _tenant(event)
        if await projection.apply_snapshot(session, tenant_id, data.contact, event.sequence):
            changed.setdefault(tenant_id, []).append(data.contact.id)
    for tenant_id, contact_ids in changed.items():
        unique = list(dict.fromkeys(contact_ids))
        await projection.keep_erased(session, tenant_id, unique)
        await reactions.contacts_changed(session, tenant_id, unique)


CONTACT_CHANGES = Batched(on_contacts_changed)


async def on_contact_deleted(session: AsyncSession, event: CloudEvent, data: Any) -> None:
    tenant_id = _tenant(event)
    await membership.drop_contacts(session, tenant_id, [data.id])
    await projection.CONTACTS.tombstone(
        session, tenant_id=tenant_id, id=data.id, sequence=event.sequence
    )


async def on_contact_merged(
    session: AsyncSession, event: CloudEvent, data: contacts.ContactMerged
) -> None:
    tenant_id = _tenant(event)
    await membership.drop_contacts(session, tenant_id, data.merged_ids)
    await projection.mark_merged(session, tenant_id, data.survivor_id, data.merged_ids)
    await touchpoints.move(session, tenant_id, data.merged_ids, data.survivor_id)
    await journeys.exit_contacts(session, tenant_id, data.merged_ids, reason="merged")
    await reactions.contacts_changed(session, tenant_id, [data.survivor_id])


async def on_merge_undone(
    session: AsyncSession, event: CloudEvent, data: contacts.MergeUndone
) -> None:
    if data.kind != "contact":
        return
    tenant_id = _tenant(event)
    await projection.unmark_merged(session, tenant_id, data.restored_ids)
    await touchpoints.move_back(session, tenant_id, data.restored_ids)
    await reactions.contacts_changed(session, tenant_id, [data.survivor_id, *data.restored_ids])


async def on_contact_erased(
    session: AsyncSession, event: CloudEvent, data: contacts.ContactErased
) -> None:
    tenant_id = _tenant(event)
    await membership.drop_contacts(session, tenant_id, [data.contact_id])
    await projection.erase(session, tenant_id, data.contact_id)
    await touchpoints.erase(session, tenant_id, data.contact_id)
    await journeys.exit_contacts(session, tenant_id, [data.contact_id], reason="erased")


async def on_list_members_added(
    session: AsyncSession, event: CloudEvent, data: contacts.ListMembersAdded
) -> None:
    await projection.add_list_members(session, _tenant(event), data.list_id, data.member_ids)


async def on_list_members_removed(
    session: AsyncSession, event: CloudEvent, data: contacts.ListMembersRemoved
) -> None:
    await projection.remove_list_members(session, _tenant(event), data.list_id, data.member_ids)


async def on_list_deleted(
    session: AsyncSession, event: CloudEvent, data: contacts.ListDeleted
) -> None:
    await projection.remove_list_members(session, _tenant(event), data.id, None)


async def on_deal_created(
    session: AsyncSession, event: CloudEvent, data: activity.DealCreated
) -> None:
    tenant_id = _tenant(event)
    values = {"contact_id": data.contact_id, "stage": data.stage, "won": None}
    await projection.upsert_deal(session, tenant_id, data.deal_id, values)
    if data.contact_id:
        await reactions.contacts_changed(session, tenant_id, [data.contact_id])


async def on_deal_stage_changed(
    session: AsyncSession, event: CloudEvent, data: activity.DealStageChanged
) -> None:
    tenant_id = _tenant(event)
    values = {
        "contact_id": data.contact_id,
        "stage": data.to_stage,
        "won": data.won,
        "closed_at": event.time if data.won is not None else None,
    }
    await projection.upsert_deal(session, tenant_id, data.deal_id, values)
    if data.contact_id:
        await reactions.contacts_changed(session, tenant_id, [data.contact_id])


async def on_order_created(
    session: AsyncSession, event: CloudEvent, data: sales.OrderCreated
) -> None:
    tenant_id = _tenant(event)
    concerned = await projection.add_order(
        session,
        tenant_id,
        data.order_id,
        account_id=data.account_id,
        deal_id=data.deal_id,
        ordered_at=data.ordered_at,
    )
    if concerned:
        await reactions.contacts_changed(session, tenant_id, concerned)


CONTACTS = Consumer(
    "marketing-contacts",
    handlers={
        "crm.contacts.contact.created.v1": CONTACT_CHANGES,
        "crm.contacts.contact.updated.v1": CONTACT_CHANGES,
        "crm.contacts.contact.deleted.v1": Typed(on_contact_deleted),
        "crm.contacts.contact.merged.v1": Typed(on_contact_merged),
        "crm.contacts.merge.undone.v1": Typed(on_merge_undone),
        "crm.contacts.contact.erased.v1": Typed(on_contact_erased),
        "crm.contacts.list.members_added.v1": Typed(on_list_members_added),
        "crm.contacts.list.members_removed.v1": Typed(on_list_members_removed),
        "crm.contacts.list.deleted.v1": Typed(on_list_deleted),
    },
)

SALES = Consumer(
    "marketing-sales",
    handlers={
        "crm.sales.deal.created.v1": Typed(on_deal_created),
        "crm.sales.deal.stage_changed.v1": Typed(on_deal_stage_changed),
        "crm.sales.order.created.v1": Typed(on_order_created),
    },
)

CONSUMERS = [CONTACTS, SALES]
