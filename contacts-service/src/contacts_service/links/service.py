"""Contact-account links with a role label (C2); the primary link is ``contact.account_id``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.outbox import emit
from crm_proto.events.contacts import ContactAccountLinked, ContactAccountUnlinked
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts.repository import AccountRepository
from contacts_service.events import events
from contacts_service.links.models import ContactAccount
from contacts_service.links.schemas import LinkWrite


async def require_account(session: AsyncSession, tenant_id: UUID, account_id: UUID) -> None:
    # Another tenant's account is as unknown as a missing one.
    if await AccountRepository(session, tenant_id).get(account_id) is None:
        raise ValidationFailed(
            "The account does not exist",
            errors=[{"field": "account_id", "message": "no such account"}],
        )


async def of_contact(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID
) -> list[ContactAccount]:
    stmt = (
        select(ContactAccount)
        .where(ContactAccount.tenant_id == tenant_id, ContactAccount.contact_id == contact_id)
        .order_by(ContactAccount.is_primary.desc(), ContactAccount.created_at)
    )
    return list((await session.execute(stmt)).scalars())


async def link(
    session: AsyncSession,
    tenant_id: UUID,
    contact_id: UUID,
    account_id: UUID,
    *,
    role: str | None,
    primary: bool,
) -> ContactAccount:
    """Create or update the link; a primary link demotes the contact's others."""
    if primary:
        await session.execute(
            update(ContactAccount)
            .where(
                ContactAccount.tenant_id == tenant_id,
                ContactAccount.contact_id == contact_id,
                ContactAccount.account_id != account_id,
            )
            .values(is_primary=False)
        )
    row = (
        await session.execute(
            insert(ContactAccount)
            .values(
                contact_id=contact_id,
                account_id=account_id,
                tenant_id=tenant_id,
                role=role,
                is_primary=primary,
            )
            .on_conflict_do_update(
                index_elements=["contact_id", "account_id"],
                set_={"role": role, "is_primary": primary},
            )
            .returning(ContactAccount)
        )
    ).scalar_one()
    await emit(
        session,
        events.event(
            "crm.contacts.contact_account.linked.v1",
            ContactAccountLinked(
                contact_id=contact_id, account_id=account_id, role=role, primary=primary
            ),
            tenant_id=tenant_id,
            subject=contact_id,
        ),
    )
    return row


async def unlink(
    session: AsyncSession,
    tenant_id: UUID,
    contact_id: UUID,
    account_id: UUID,
    *,
    missing_ok: bool = False,
) -> bool:
    """Remove the link; True when it was the primary one."""
    row = (
        await session.execute(
            delete(ContactAccount)
            .where(
                ContactAccount.tenant_id == tenant_id,
                ContactAccount.contact_id == contact_id,
                ContactAccount.account_id == account_id,
            )
            .returning(ContactAccount.is_primary)
        )
    ).first()
    if row is None:
        if missing_ok:
            return False
        raise NotFound(f"Contact {contact_id} is not linked to account {account_id}")
    await emit(
        session,
        events.event(
            "crm.contacts.contact_account.unlinked.v1",
            ContactAccountUnlinked(contact_id=contact_id, account_id=account_id),
            tenant_id=tenant_id,
            subject=contact_id,
        ),
    )
    return bool(row.is_primary)


# Use cases behind the endpoints: they keep contact.account_id equal to the primary link.


async def _contact(session: AsyncSession, tenant_id: UUID, contact_id: UUID) -> Any:
    from contacts_service.contacts.repository import ContactRepository

    contact = await ContactRepository(session, tenant_id).get(contact_id, for_update=True)
    if contact is None:
        raise NotFound(f"No contact {contact_id}")
    return contact


async def links_of(
    *, session: AsyncSession, tenant_id: UUID, contact_id: UUID
) -> list[ContactAccount]:
    await _contact(session, tenant_id, contact_id)
    return await of_contact(session, tenant_id, contact_id)


async def put_link(
    *, session: AsyncSession, tenant_id: UUID, contact_id: UUID, account_id: UUID, data: LinkWrite
) -> ContactAccount:
    from contacts_service.contacts import events as contact_events

    contact = await _contact(session, tenant_id, contact_id)
    await require_account(session, tenant_id, account_id)
    primary = data.primary or contact.account_id is None
    row = await link(session, tenant_id, contact_id, account_id, role=data.role, primary=primary)
    if primary and contact.account_id != account_id:
        contact.account_id = account_id
        await session.flush()
        await emit(session, contact_events.updated(contact, ["account_id"]))
    return row


async def remove_link(
    *, session: AsyncSession, tenant_id: UUID, contact_id: UUID, account_id: UUID
) -> None:
    from contacts_service.contacts import events as contact_events

    contact = await _contact(session, tenant_id, contact_id)
    was_primary = await unlink(session, tenant_id, contact_id, account_id)
    if was_primary or contact.account_id == account_id:
        contact.account_id = None
        await session.flush()
        await emit(session, contact_events.updated(contact, ["account_id"]))
