"""Account use cases. Functions take keyword arguments and never commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.errors import NotFound
from crm_chassis.http import check_if_match
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams
from crm_chassis.resources import assign, patched
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts import events
from contacts_service.accounts.models import Account
from contacts_service.accounts.repository import AccountRepository
from contacts_service.accounts.schemas import AccountWrite
from contacts_service.contacts import events as contact_events
from contacts_service.contacts.repository import ContactRepository


async def create(*, session: AsyncSession, tenant_id: UUID, data: AccountWrite) -> Account:
    account = await AccountRepository(session, tenant_id).add(
        Account(tenant_id=tenant_id, **data.model_dump())
    )
    await emit(session, events.created(account))
    return account


async def get(*, session: AsyncSession, tenant_id: UUID, account_id: UUID,
              for_update: bool = False) -> Account:
    account = await AccountRepository(session, tenant_id).get(account_id, for_update=for_update)
    if account is None:
        raise NotFound(f"No account {account_id}")
    return account


async def list_page(*, session: AsyncSession, tenant_id: UUID, params: PageParams,
                    domain: str | None = None) -> tuple[list[Account], str | None]:
    return await AccountRepository(session, tenant_id).page(params, domain=domain)


async def patch(*, session: AsyncSession, tenant_id: UUID, account_id: UUID, body: Any,
                if_match: str | None) -> Account:
    account = await get(session=session, tenant_id=tenant_id, account_id=account_id,
                        for_update=True)
    check_if_match(if_match, account.version)
    _, changes = patched(account, AccountWrite, body)
    if changes:
        changed = assign(account, changes)
        await session.flush()
        await emit(session, events.updated(account, changed))
    return account


async def delete(*, session: AsyncSession, tenant_id: UUID, account_id: UUID,
                 if_match: str | None) -> None:
    account = await get(session=session, tenant_id=tenant_id, account_id=account_id,
                        for_update=True)
    check_if_match(if_match, account.version)
    # Unlink the account's contacts explicitly (not by the FK's SET NULL) so each
    # contact's change is versioned and published like any other.
    contacts = ContactRepository(session, tenant_id)
    for contact in await contacts.of_account(account.id):
        contact.account_id = None
        await session.flush()
        await emit(session, contact_events.updated(contact, ["account_id"]))
    await emit(session, events.deleted(account))
    await AccountRepository(session, tenant_id).delete(account)
