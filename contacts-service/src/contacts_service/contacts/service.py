"""Contact use cases. Functions take keyword arguments and never commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.errors import NotFound, ValidationFailed
from crm_chassis.http import check_if_match
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams
from crm_chassis.resources import assign, patched
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts.repository import AccountRepository
from contacts_service.contacts import events
from contacts_service.contacts.models import Contact
from contacts_service.contacts.repository import ContactRepository
from contacts_service.contacts.schemas import ContactWrite


async def _check_account(session: AsyncSession, tenant_id: UUID, account_id: UUID | None) -> None:
    # Another tenant's account is as unknown as a missing one.
    if account_id is not None and await AccountRepository(session, tenant_id).get(account_id) is None:
        raise ValidationFailed("The account does not exist",
                               errors=[{"field": "account_id", "message": "no such account"}])


async def create(*, session: AsyncSession, tenant_id: UUID, data: ContactWrite) -> Contact:
    await _check_account(session, tenant_id, data.account_id)
    contact = await ContactRepository(session, tenant_id).add(
        Contact(tenant_id=tenant_id, **data.model_dump())
    )
    await emit(session, events.created(contact))
    return contact


async def get(*, session: AsyncSession, tenant_id: UUID, contact_id: UUID,
              for_update: bool = False) -> Contact:
    contact = await ContactRepository(session, tenant_id).get(contact_id, for_update=for_update)
    if contact is None:
        raise NotFound(f"No contact {contact_id}")
    return contact


async def list_page(*, session: AsyncSession, tenant_id: UUID, params: PageParams,
                    email: str | None = None, account_id: UUID | None = None,
                    ) -> tuple[list[Contact], str | None]:
    return await ContactRepository(session, tenant_id).page(params, email=email,
                                                            account_id=account_id)


async def patch(*, session: AsyncSession, tenant_id: UUID, contact_id: UUID, body: Any,
                if_match: str | None) -> Contact:
    contact = await get(session=session, tenant_id=tenant_id, contact_id=contact_id,
                        for_update=True)
    check_if_match(if_match, contact.version)
    _, changes = patched(contact, ContactWrite, body)
    if "account_id" in changes:
        await _check_account(session, tenant_id, changes["account_id"])
    if changes:
        changed = assign(contact, changes)
        await session.flush()
        await emit(session, events.updated(contact, changed))
    return contact


async def delete(*, session: AsyncSession, tenant_id: UUID, contact_id: UUID,
                 if_match: str | None) -> None:
    contact = await get(session=session, tenant_id=tenant_id, contact_id=contact_id,
                        for_update=True)
    check_if_match(if_match, contact.version)
    await emit(session, events.deleted(contact))
    await ContactRepository(session, tenant_id).delete(contact)
