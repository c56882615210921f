"""contacts-service's events applied to the local contacts projection (with the chassis
:class:`~crm_chassis.projection.Projection`: an older version never overwrites a newer).

Merges and erasures are not versions of one record: a merge marks the merged-away rows
deleted and points them at the survivor (an undo brings them back), an erasure blanks
every personal field for good. Each handler says which contacts changed, so the caller
re-scores them and re-evaluates their segments in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_chassis.projection import Projection
from crm_proto.events.contacts import ContactSnapshot
from sqlalchemy import delete, false, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_service.contacts.models import (
    ListMember,
    ProjectedContact,
    ProjectedDeal,
    ProjectedOrder,
)

CONTACTS = Projection(ProjectedContact.__table__)
_C = ProjectedContact

ERASED_VALUES: Mapping[str, Any] = {
    "email": None,
    "first_name": None,
    "last_name": None,
    "title": None,
    "company": None,
    "country": None,
    "city": None,
    "membership_level": None,
    "consent": {},
    "tags": [],
    "custom": {},
    "do_not_contact": True,
    "erased": True,
}


def row_of(contact: ContactSnapshot) -> dict[str, Any]:
    """The projection's columns from a contact's snapshot."""
    address = next((a for a in contact.addresses if a.primary), None) or (
        contact.addresses[0] if contact.addresses else None
    )
    return {
        "email": contact.email.lower() if contact.email else None,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "title": contact.title,
        "company": contact.company,
        "lifecycle_stage": contact.lifecycle_stage,
        "owner_id": contact.owner_id,
        "team_id": contact.team_id,
        "account_id": contact.account_id,
        "country": address.country if address else None,
        "city": address.city if address else None,
        "membership_level": contact.membership_level,
        "do_not_contact": contact.do_not_contact,
        "consent": contact.consent,
        "tags": sorted(contact.tags),
        "custom": contact.custom,
        "contact_created_at": contact.created_at,
    }


async def apply_snapshot(
    session: AsyncSession, tenant_id: UUID, contact: ContactSnapshot, sequence: int | None
) -> bool:
    """Write the snapshot unless a newer version is held. The caller then calls
    :func:`keep_erased` for what it wrote (one query for a run of snapshots)."""
    if sequence is None:
        raise ValueError(f"contact {contact.id} event carries no sequence")
    values = row_of(contact)
    return await CONTACTS.upsert(
        session, tenant_id=tenant_id, id=contact.id, sequence=sequence, values=values
    )


async def keep_erased(session: AsyncSession, tenant_id: UUID, contact_ids: list[UUID]) -> None:
    """Blank again what a later version wrote to an erased contact: erasure is for good."""
    if contact_ids:
        await session.execute(
            update(_C)
            .where(_C.tenant_id == tenant_id, _C.id.in_(contact_ids), _C.erased.is_(True))
            .values(dict(ERASED_VALUES))
        )


async def mark_merged(
    session: AsyncSession, tenant_id: UUID, survivor_id: UUID, merged_ids: list[UUID]
) -> None:
    await session.execute(
        update(_C)
        .where(_C.tenant_id == tenant_id, _C.id.in_(merged_ids))
        .values(deleted=True, merged_into=survivor_id)
    )


async def survivors(
    session: AsyncSession, tenant_id: UUID, contact_ids: list[UUID]
) -> dict[UUID, UUID]:
    """Merged-away contacts among ``contact_ids`` -> the contact they were merged into,
    their rows held (shared) until the transaction ends: touches recorded now for a
    contact a merge is moving are either seen by that merge or moved here."""
    rows = await session.execute(
        select(_C.id, _C.merged_into)
        .where(_C.tenant_id == tenant_id, _C.id.in_(contact_ids))
        .order_by(_C.id)
        .with_for_update(read=True)
    )
    return {r.id: r.merged_into for r in rows if r.merged_into is not None}


async def unmark_merged(session: AsyncSession, tenant_id: UUID, restored_ids: list[UUID]) -> None:
    await session.execute(
        update(_C)
        .where(_C.tenant_id == tenant_id, _C.id.in_(restored_ids), _C.merged_into.is_not(None))
        .values(deleted=False, merged_into=None)
    )


async def erase(session: AsyncSession, tenant_id: UUID, contact_id: UUID) -> None:
    """Blank the contact's personal data for good (the row stays, as its id does)."""
    stmt = insert(_C).values(tenant_id=tenant_id, id=contact_id, sequence=0, **ERASED_VALUES)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[_C.tenant_id, _C.id], set_=dict(ERASED_VALUES))
    )


async def add_list_members(
    session: AsyncSession, tenant_id: UUID, list_id: UUID, contact_ids: list[UUID]
) -> None:
    if contact_ids:
        rows = [{"tenant_id": tenant_id, "list_id": list_id, "contact_id": c} for c in contact_ids]
        await session.execute(insert(ListMember).values(rows).on_conflict_do_nothing())


async def remove_list_members(
    session: AsyncSession, tenant_id: UUID, list_id: UUID, contact_ids: list[UUID] | None
) -> None:
    stmt = delete(ListMember).where(
        ListMember.tenant_id == tenant_id, ListMember.list_id == list_id
    )
    if contact_ids is not None:
        stmt = stmt.where(ListMember.contact_id.in_(contact_ids))
    await session.execute(stmt)


async def add_order(
    session: AsyncSession,
    tenant_id: UUID,
    order_id: UUID,
    *,
    account_id: UUID | None,
    deal_id: UUID | None,
    ordered_at: datetime,
) -> list[UUID]:
    """Keep an order (once: a redelivery changes nothing); the contacts it concerns, whose
    order rules may now answer differently: its deal's contact and its account's."""
    contact_id = None
    if deal_id is not None:
        contact_id = await session.scalar(
            select(ProjectedDeal.contact_id).where(
                ProjectedDeal.tenant_id == tenant_id, ProjectedDeal.id == deal_id
            )
        )
    await session.execute(
        insert(ProjectedOrder)
        .values(
            tenant_id=tenant_id,
            id=order_id,
            account_id=account_id,
            contact_id=contact_id,
            ordered_at=ordered_at,
        )
        .on_conflict_do_nothing()
    )
    concerned = {contact_id} if contact_id else set()
    if account_id is not None:
        concerned.update(
            await session.scalars(
                select(_C.id).where(_C.tenant_id == tenant_id, _C.account_id == account_id)
            )
        )
    return sorted(concerned)


async def upsert_deal(
    session: AsyncSession, tenant_id: UUID, deal_id: UUID, values: Mapping[str, Any]
) -> None:
    stmt = insert(ProjectedDeal).values(tenant_id=tenant_id, id=deal_id, **values)
    set_ = {k: v for k, v in values.items() if v is not None or k in ("won", "closed_at")}
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ProjectedDeal.tenant_id, ProjectedDeal.id],
            set_=set_ or {"tenant_id": tenant_id},
        )
    )


def live() -> Any:
    """Contacts a segment or a send may consider: present, not erased."""
    return (_C.deleted.is_(False)) & (_C.erased.is_(false()))
