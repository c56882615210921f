"""Account use cases. Functions take the :class:`~crm_chassis.crud.Call` and never commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import (
    Call,
    changed_columns,
    load_for_update,
    patch_model,
    removed_keys,
    set_columns,
)
from crm_chassis.errors import ValidationFailed
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams

from contacts_service.accounts import events
from contacts_service.accounts.derive import columns
from contacts_service.accounts.models import Account
from contacts_service.accounts.repository import AccountFilters, AccountRepository
from contacts_service.accounts.schemas import AccountWrite
from contacts_service.accounts.view import ACCOUNT
from contacts_service.contacts import events as contact_events
from contacts_service.contacts.repository import ContactRepository
from contacts_service.custom_fields.service import checked_values
from contacts_service.deps import region_of


async def _check_parent(
    repo: AccountRepository, account_id: UUID | None, parent_id: UUID | None
) -> None:
    if parent_id is None:
        return
    error = None
    if parent_id == account_id:
        error = "an account cannot be its own parent"
    elif not await repo.exists(parent_id):
        error = "no such account"
    elif account_id is not None and account_id in await repo.ancestors(parent_id):
        error = "the parent is below this account in the hierarchy"
    if error:
        raise ValidationFailed(
            "Invalid parent account", errors=[{"field": "parent_id", "message": error}]
        )


async def create(call: Call, data: AccountWrite, *, phone_region: str | None = None) -> Account:
    phone_region = phone_region or region_of(call)
    ACCOUNT.check_writable(call.actor, data.model_dump(exclude_unset=True))
    repo = AccountRepository(call.session, call.actor)
    await _check_parent(repo, None, data.parent_id)
    custom = await checked_values(
        call.session,
        call.tenant_id,
        "account",
        data.custom,
        phone_region=phone_region,
        enforce_required=True,
    )
    values = columns(data, phone_region=phone_region, custom=custom)
    account = await repo.add(Account(tenant_id=call.tenant_id, **values))
    await emit(call.session, events.created(account))
    return account


async def get(call: Call, account_id: UUID) -> Account:
    return await AccountRepository(call.session, call.actor).require(account_id)


async def list_page(
    call: Call, params: PageParams, filters: AccountFilters
) -> tuple[list[Account], str | None]:
    repo = AccountRepository(call.session, call.actor)
    return await repo.page(params, repo.filtered(filters))


async def patch(
    call: Call,
    account_id: UUID,
    body: Any,
    if_match: str | None = None,
    *,
    phone_region: str | None = None,
) -> Account:
    phone_region = phone_region or region_of(call)
    repo = AccountRepository(call.session, call.actor)
    account = await load_for_update(repo, account_id, if_match)
    model, _ = patch_model(ACCOUNT, call.actor, account, AccountWrite, body)
    custom = await checked_values(
        call.session,
        call.tenant_id,
        "account",
        model.custom,
        phone_region=phone_region,
        enforce_required=False,
        removed=removed_keys(body),
    )
    new = columns(model, phone_region=phone_region, custom=custom)
    changed = changed_columns(account, new, ignore=["search_text"])
    if "parent_id" in changed:
        await _check_parent(repo, account.id, model.parent_id)
    if changed:
        set_columns(account, new, [*changed, "search_text"])
        repo.check_holdable(account)
        await call.session.flush()
        await emit(call.session, events.updated(account, changed))
    return account


async def delete(call: Call, account_id: UUID, if_match: str | None = None) -> None:
    repo = AccountRepository(call.session, call.actor)
    account = await load_for_update(repo, account_id, if_match)
    # Unlink the account's contacts and children explicitly (not by the FK's SET NULL)
    # so each record's change is versioned and published like any other. The service
    # does it for every contact and child, seen by the caller or not.
    for contact in await ContactRepository(call.session, call.tenant_id).of_account(account.id):
        contact.account_id = None
        await call.session.flush()
        await emit(call.session, contact_events.updated(contact, ["account_id"]))
    for child in await AccountRepository(call.session, call.tenant_id).children(account.id):
        child.parent_id = None
        await call.session.flush()
        await emit(call.session, events.updated(child, ["parent_id"]))
    await emit(call.session, events.deleted(account))
    await repo.delete(account)


class Accounts:
    """The use cases behind ``crud_router``: accounts as callers see them."""

    view = ACCOUNT
    write = AccountWrite
    create = staticmethod(create)
    get = staticmethod(get)
    page = staticmethod(list_page)
    patch = staticmethod(patch)
    delete = staticmethod(delete)
