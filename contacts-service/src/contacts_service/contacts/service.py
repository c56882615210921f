"""Contact use cases. Functions take the :class:`~crm_chassis.crud.Call` and never commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, Crud, changed_columns, load_for_update, patch_model, set_columns
from crm_chassis.errors import Conflict
from crm_chassis.outbox import emit

from contacts_service.accounts.repository import AccountRepository
from contacts_service.contacts import events
from contacts_service.contacts.derive import columns
from contacts_service.contacts.models import Contact
from contacts_service.contacts.repository import ContactRepository
from contacts_service.contacts.schemas import ContactWrite
from contacts_service.contacts.view import CONTACT
from contacts_service.custom_fields.service import custom_of
from contacts_service.deps import region_of
from contacts_service.links import service as links


async def _company_of(call: Call, account_id: UUID | None) -> str | None:
    if account_id is None:
        return None
    account = await AccountRepository(call.session, call.actor).get(account_id)
    return account.name if account else None


async def create(call: Call, data: ContactWrite, *, phone_region: str | None = None) -> Contact:
    region = phone_region or region_of(call)
    CONTACT.check_writable(call.actor, data.model_dump(exclude_unset=True))
    if data.account_id is not None:
        await links.require_account(call.session, call.actor, data.account_id)
    custom = await custom_of(call, "contact", data.custom, phone_region=region)
    values = columns(data, phone_region=region, custom=custom)
    if values["company"] is None:
        values["company"] = await _company_of(call, data.account_id)
    contact = await ContactRepository(call.session, call.actor).add(
        Contact(tenant_id=call.tenant_id, **values)
    )
    if contact.account_id is not None:
        await links.link(
            call.session, call.tenant_id, contact.id, contact.account_id, role=None, primary=True
        )
    await emit(call.session, events.created(contact))
    return contact


async def patch(
    call: Call,
    contact_id: UUID,
    body: Any,
    if_match: str | None = None,
    *,
    phone_region: str | None = None,
) -> Contact:
    region = phone_region or region_of(call)
    repo = ContactRepository(call.session, call.actor)
    contact = await load_for_update(repo, contact_id, if_match)
    if contact.erased_at is not None:
        raise Conflict(f"Contact {contact_id} was erased; it takes no personal data again")
    model, _ = patch_model(CONTACT, call.actor, contact, ContactWrite, body)
    custom = await custom_of(call, "contact", model.custom, phone_region=region, patch=body)
    new = columns(model, phone_region=region, custom=custom)
    changed = changed_columns(contact, new, ignore=["search_text"])
    if not changed:
        return contact
    if "account_id" in changed and model.account_id is not None:
        await links.require_account(call.session, call.actor, model.account_id)
    before_consent = (contact.do_not_contact, dict(contact.consent))
    set_columns(contact, new, [*changed, "search_text"])
    repo.check_holdable(contact)
    await call.session.flush()
    if "account_id" in changed:
        await links.repoint_primary(call.session, call.tenant_id, contact)
    await emit(
        call.session, events.updated(contact, [c for c in changed if not c.endswith("_keys")])
    )
    if before_consent != (contact.do_not_contact, contact.consent):
        await emit(call.session, events.consent_changed(contact, *before_consent))
    return contact


class Contacts(Crud[Contact]):
    """The use cases behind ``crud_router``: the chassis' get, page and delete; a
    contact's own create and patch (derived columns, custom fields, links, consent)."""

    def __init__(self) -> None:
        super().__init__(ContactRepository, CONTACT, ContactWrite, events.CONTACT_EVENTS)

    async def create(self, call: Call, data: Any) -> Contact:
        return await create(call, data)

    async def patch(self, call: Call, id_: UUID, body: Any, if_match: str | None) -> Contact:
        return await patch(call, id_, body, if_match)
