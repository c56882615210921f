"""Account use cases. Functions take the :class:`~crm_chassis.crud.Call` and never commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, Crud, changed_columns, load_for_update, patch_model, set_columns
from crm_chassis.errors import ValidationFailed
from crm_chassis.outbox import emit

from contacts_service.accounts import events
from contacts_service.accounts.derive import columns
from contacts_service.accounts.models import Account
from contacts_service.accounts.repository import AccountRepository
from contacts_service.accounts.schemas import AccountWrite
from contacts_service.accounts.view import ACCOUNT
from contacts_service.contacts import events as contact_events
from contacts_service.contacts.repository import ContactRepository
from contacts_service.custom_fields.service import custom_of
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


class Accounts(Crud[Account]):
    """The use cases behind ``crud_router``: the chassis' get and page; an account's own
    create, patch (derived columns, custom fields, hierarchy) and delete."""

    def __init__(self) -> None:
        super().__init__(AccountRepository, ACCOUNT, AccountWrite, events.ACCOUNT_EVENTS)

    async def create(self, call: Call, data: Any) -> Account:
        ACCOUNT.check_writable(call.actor, data.model_dump(exclude_unset=True))
        region = region_of(call)
        repo = AccountRepository(call.session, call.actor)
        await _check_parent(repo, None, data.parent_id)
        custom = await custom_of(call, "account", data.custom, phone_region=region)
        values = columns(data, phone_region=region, custom=custom)
        account = await repo.add(Account(tenant_id=call.tenant_id, **values))
        await emit(call.session, events.created(account))
        return account

    async def patch(self, call: Call, id_: UUID, body: Any, if_match: str | None) -> Account:
        region = region_of(call)
        repo = AccountRepository(call.session, call.actor)
        account = await load_for_update(repo, id_, if_match)
        model, _ = patch_model(ACCOUNT, call.actor, account, AccountWrite, body)
        custom = await custom_of(call, "account", model.custom, phone_region=region, patch=body)
        new = columns(model, phone_region=region, custom=custom)
        changed = changed_columns(account, new, ignore=["search_text"])
        if "parent_id" in changed:
            await _check_parent(repo, account.id, model.parent_id)
        if changed:
            set_columns(account, new, [*changed, "search_text"])
            repo.check_holdable(account)
            await call.session.flush()
            await emit(call.session, events.updated(account, changed))
        return account

    async def delete(self, call: Call, id_: UUID, if_match: str | None) -> None:
        repo = AccountRepository(call.session, call.actor)
        account = await load_for_update(repo, id_, if_match)
        # Unlink the account's contacts and children explicitly (not by the FK's SET
        # NULL) so each record's change is versioned and published like any other, seen
        # by the caller or not.
        for contact in await ContactRepository(call.session, call.tenant_id).of_account(id_):
            contact.account_id = None
            await call.session.flush()
            await emit(call.session, contact_events.updated(contact, ["account_id"]))
        for child in await AccountRepository(call.session, call.tenant_id).children(id_):
            child.parent_id = None
            await call.session.flush()
            await emit(call.session, events.updated(child, ["parent_id"]))
        await emit(call.session, events.deleted(account))
        await repo.delete(account)
