"""Contact use cases. Functions take keyword arguments and never commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.errors import Conflict
from crm_chassis.http import check_if_match
from crm_chassis.outbox import emit
from crm_chassis.pagination import PageParams
from crm_chassis.resources import patched
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts.repository import AccountRepository
from contacts_service.contacts import events
from contacts_service.contacts.derive import columns
from contacts_service.contacts.models import Contact
from contacts_service.contacts.repository import ContactFilters, ContactRepository
from contacts_service.contacts.schemas import ContactRead, ContactWrite
from contacts_service.custom_fields.service import checked_values
from contacts_service.links import service as links
from contacts_service.links.models import ContactAccount


async def _company_of(
    session: AsyncSession, tenant_id: UUID, account_id: UUID | None
) -> str | None:
    if account_id is None:
        return None
    account = await AccountRepository(session, tenant_id).get(account_id)
    return account.name if account else None


async def create(
    *, session: AsyncSession, tenant_id: UUID, data: ContactWrite, phone_region: str
) -> Contact:
    if data.account_id is not None:
        await links.require_account(session, tenant_id, data.account_id)
    custom = await checked_values(
        session, tenant_id, "contact", data.custom, phone_region=phone_region, enforce_required=True
    )
    values = columns(data, phone_region=phone_region, custom=custom)
    if values["company"] is None:
        values["company"] = await _company_of(session, tenant_id, data.account_id)
    contact = await ContactRepository(session, tenant_id).add(
        Contact(tenant_id=tenant_id, **values)
    )
    if contact.account_id is not None:
        await links.link(
            session, tenant_id, contact.id, contact.account_id, role=None, primary=True
        )
    await emit(session, events.created(contact))
    return contact


async def get(
    *, session: AsyncSession, tenant_id: UUID, contact_id: UUID, for_update: bool = False
) -> Contact:
    return await ContactRepository(session, tenant_id).require(contact_id, for_update=for_update)


async def list_page(
    *, session: AsyncSession, tenant_id: UUID, params: PageParams, filters: ContactFilters
) -> tuple[list[Contact], str | None]:
    return await ContactRepository(session, tenant_id).page(params, filters)


async def patch(
    *,
    session: AsyncSession,
    tenant_id: UUID,
    contact_id: UUID,
    body: Any,
    if_match: str | None,
    phone_region: str,
) -> Contact:
    contact = await get(
        session=session, tenant_id=tenant_id, contact_id=contact_id, for_update=True
    )
    check_if_match(if_match, contact.version)
    if contact.erased_at is not None:
        raise Conflict(f"Contact {contact_id} was erased; it takes no personal data again")
    current = ContactRead.model_validate(contact).model_dump(mode="json")
    model, _ = patched(current, ContactWrite, body)
    removed = (
        {k for k, v in (body.get("custom") or {}).items() if v is None}
        if isinstance(body.get("custom"), dict)
        else set()
    )
    custom = await checked_values(
        session,
        tenant_id,
        "contact",
        model.custom,
        phone_region=phone_region,
        enforce_required=False,
        removed=removed,
    )
    new = columns(model, phone_region=phone_region, custom=custom)
    changed = sorted(
        k
        for k, v in new.items()
        if k != "search_text" and _comparable(getattr(contact, k)) != _comparable(v)
    )
    if not changed:
        return contact
    if "account_id" in changed and model.account_id is not None:
        await links.require_account(session, tenant_id, model.account_id)
    before_consent = (contact.do_not_contact, dict(contact.consent))
    for key in [*changed, "search_text"]:
        setattr(contact, key, new[key])
    await session.flush()
    if "account_id" in changed:
        await _repoint_primary_link(session, tenant_id, contact)
    await emit(session, events.updated(contact, [c for c in changed if not c.endswith("_keys")]))
    if before_consent != (contact.do_not_contact, contact.consent):
        await emit(session, events.consent_changed(contact, *before_consent))
    return contact


async def _repoint_primary_link(session: AsyncSession, tenant_id: UUID, contact: Contact) -> None:
    if contact.account_id is None:
        await session.execute(
            update(ContactAccount)
            .where(ContactAccount.tenant_id == tenant_id, ContactAccount.contact_id == contact.id)
            .values(is_primary=False)
        )
    else:
        existing = {
            link.account_id: link.role
            for link in await links.of_contact(session, tenant_id, contact.id)
        }
        await links.link(
            session,
            tenant_id,
            contact.id,
            contact.account_id,
            role=existing.get(contact.account_id),
            primary=True,
        )


def _comparable(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value


async def delete(
    *, session: AsyncSession, tenant_id: UUID, contact_id: UUID, if_match: str | None
) -> None:
    contact = await get(
        session=session, tenant_id=tenant_id, contact_id=contact_id, for_update=True
    )
    check_if_match(if_match, contact.version)
    await emit(session, events.deleted(contact))
    await ContactRepository(session, tenant_id).delete(contact)
