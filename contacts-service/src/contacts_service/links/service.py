"""Contact-account links with a role label (C2); the primary link is ``contact.account_id``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.crud import Call
from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.outbox import emit
from crm_proto.events.contacts import ContactAccountLinked, ContactAccountUnlinked
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts.repository import AccountRepository
from contacts_service.events import events
from contacts_service.links.models import ContactAccount
from contacts_service.links.repository import LinkRepository
from contacts_service.links.schemas import LinkWrite


async def require_account(session: AsyncSession, who: Actor | UUID, account_id: UUID) -> None:
    # Another tenant's account, or one the caller may not see, is as unknown as a missing one.
    if not await AccountRepository(session, who).exists(account_id):
        raise ValidationFailed(
            "The account does not exist",
            errors=[{"field": "account_id", "message": "no such account"}],
        )


async def of_contact(
    session: AsyncSession, tenant_id: UUID, contact_id: UUID
) -> list[ContactAccount]:
    return await LinkRepository(session, tenant_id).of_contact(contact_id)


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
    repo = LinkRepository(session, tenant_id)
    if primary:
        await repo.demote_others(contact_id, keep=account_id)
    row = await repo.upsert(contact_id, account_id, role=role, primary=primary)
    data = ContactAccountLinked(
        contact_id=contact_id, account_id=account_id, role=role, primary=primary
    )
    await emit(
        session,
        events.event(
            "crm.contacts.contact_account.linked.v1", data, tenant_id=tenant_id, subject=contact_id
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
    was_primary = await LinkRepository(session, tenant_id).remove(contact_id, account_id)
    if was_primary is None:
        if missing_ok:
            return False
        raise NotFound(f"Contact {contact_id} is not linked to account {account_id}")
    data = ContactAccountUnlinked(contact_id=contact_id, account_id=account_id)
    await emit(
        session,
        events.event(
            "crm.contacts.contact_account.unlinked.v1",
            data,
            tenant_id=tenant_id,
            subject=contact_id,
        ),
    )
    return was_primary


async def repoint_primary(session: AsyncSession, tenant_id: UUID, contact: Any) -> None:
    """Make the links agree with a changed ``contact.account_id``."""
    if contact.account_id is None:
        await LinkRepository(session, tenant_id).demote_others(contact.id, keep=None)
        return
    existing = {ln.account_id: ln.role for ln in await of_contact(session, tenant_id, contact.id)}
    await link(
        session,
        tenant_id,
        contact.id,
        contact.account_id,
        role=existing.get(contact.account_id),
        primary=True,
    )


# Use cases behind the endpoints: they keep contact.account_id equal to the primary link.


async def _contact(call: Call, contact_id: UUID) -> Any:
    from contacts_service.contacts.repository import ContactRepository

    return await ContactRepository(call.session, call.actor).require(contact_id, for_update=True)


async def links_of(call: Call, contact_id: UUID) -> list[ContactAccount]:
    await _contact(call, contact_id)
    return await of_contact(call.session, call.tenant_id, contact_id)


async def put_link(
    call: Call, contact_id: UUID, account_id: UUID, data: LinkWrite
) -> ContactAccount:
    from contacts_service.contacts import events as contact_events

    contact = await _contact(call, contact_id)
    await require_account(call.session, call.actor, account_id)
    primary = data.primary or contact.account_id is None
    row = await link(
        call.session, call.tenant_id, contact_id, account_id, role=data.role, primary=primary
    )
    if primary and contact.account_id != account_id:
        contact.account_id = account_id
        await call.session.flush()
        await emit(call.session, contact_events.updated(contact, ["account_id"]))
    return row


async def remove_link(call: Call, contact_id: UUID, account_id: UUID) -> None:
    from contacts_service.contacts import events as contact_events

    contact = await _contact(call, contact_id)
    was_primary = await unlink(call.session, call.tenant_id, contact_id, account_id)
    if was_primary or contact.account_id == account_id:
        contact.account_id = None
        await call.session.flush()
        await emit(call.session, contact_events.updated(contact, ["account_id"]))
