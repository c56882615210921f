"""Account use cases. Functions take keyword arguments and never commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.errors import ValidationFailed
from crm_chassis.http import check_if_match
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams
from crm_chassis.resources import patched
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts import events
from contacts_service.accounts.derive import columns
from contacts_service.accounts.models import Account
from contacts_service.accounts.repository import AccountFilters, AccountRepository
from contacts_service.accounts.schemas import AccountRead, AccountWrite
from contacts_service.contacts import events as contact_events
from contacts_service.contacts.repository import ContactRepository
from contacts_service.custom_fields.service import checked_values


async def _check_parent(
    repo: AccountRepository, account_id: UUID | None, parent_id: UUID | None
) -> None:
    if parent_id is None:
        return
    error = None
    if parent_id == account_id:
        error = "an account cannot be its own parent"
    elif await repo.get(parent_id) is None:
        error = "no such account"
    elif account_id is not None and account_id in await repo.ancestors(parent_id):
        error = "the parent is below this account in the hierarchy"
    if error:
        raise ValidationFailed(
            "Invalid parent account", errors=[{"field": "parent_id", "message": error}]
        )


async def create(
    *, session: AsyncSession, tenant_id: UUID, data: AccountWrite, phone_region: str
) -> Account:
    repo = AccountRepository(session, tenant_id)
    await _check_parent(repo, None, data.parent_id)
    custom = await checked_values(
        session, tenant_id, "account", data.custom, phone_region=phone_region, enforce_required=True
    )
    account = await repo.add(
        Account(tenant_id=tenant_id, **columns(data, phone_region=phone_region, custom=custom))
    )
    await emit(session, events.created(account))
    return account


async def get(
    *, session: AsyncSession, tenant_id: UUID, account_id: UUID, for_update: bool = False
) -> Account:
    return await AccountRepository(session, tenant_id).require(account_id, for_update=for_update)


async def list_page(
    *, session: AsyncSession, tenant_id: UUID, params: PageParams, filters: AccountFilters
) -> tuple[list[Account], str | None]:
    return await AccountRepository(session, tenant_id).page(params, filters)


async def patch(
    *,
    session: AsyncSession,
    tenant_id: UUID,
    account_id: UUID,
    body: Any,
    if_match: str | None,
    phone_region: str,
) -> Account:
    repo = AccountRepository(session, tenant_id)
    account = await get(
        session=session, tenant_id=tenant_id, account_id=account_id, for_update=True
    )
    check_if_match(if_match, account.version)
    current = AccountRead.model_validate(account).model_dump(mode="json")
    model, _ = patched(current, AccountWrite, body)
    removed = (
        {k for k, v in body["custom"].items() if v is None}
        if isinstance(body.get("custom"), dict)
        else set()
    )
    custom = await checked_values(
        session,
        tenant_id,
        "account",
        model.custom,
        phone_region=phone_region,
        enforce_required=False,
        removed=removed,
    )
    new = columns(model, phone_region=phone_region, custom=custom)
    changed = sorted(
        k
        for k, v in new.items()
        if k != "search_text" and _comparable(getattr(account, k)) != _comparable(v)
    )
    if "parent_id" in changed:
        await _check_parent(repo, account.id, model.parent_id)
    if changed:
        for key in [*changed, "search_text"]:
            setattr(account, key, new[key])
        await session.flush()
        await emit(session, events.updated(account, changed))
    return account


def _comparable(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value


async def delete(
    *, session: AsyncSession, tenant_id: UUID, account_id: UUID, if_match: str | None
) -> None:
    repo = AccountRepository(session, tenant_id)
    account = await get(
        session=session, tenant_id=tenant_id, account_id=account_id, for_update=True
    )
    check_if_match(if_match, account.version)
    # Unlink the account's contacts and children explicitly (not by the FK's SET NULL)
    # so each record's change is versioned and published like any other.
    for contact in await ContactRepository(session, tenant_id).of_account(account.id):
        contact.account_id = None
        await session.flush()
        await emit(session, contact_events.updated(contact, ["account_id"]))
    for child in await repo.children(account.id):
        child.parent_id = None
        await session.flush()
        await emit(session, events.updated(child, ["parent_id"]))
    await emit(session, events.deleted(account))
    await repo.delete(account)
