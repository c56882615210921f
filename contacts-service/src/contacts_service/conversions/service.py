"""Lead conversion, contacts' side (S3): the consumer of ``crm.sales.lead.converted.v1``.

sales-service allocated the ids. A record with that id that does not exist yet is created
with it; one that exists (chosen by the user after the duplicate check, or made by an
earlier delivery of this same event) only has its EMPTY fields filled from the lead:
nothing a user entered is ever overwritten. The consumer's inbox makes a redelivered
event a no-op; the fill-only merge makes even a replay of the stream harmless.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.consumer import Consumer, Typed
from crm_chassis.crud import Call
from crm_chassis.outbox import emit
from crm_proto import CloudEvent
from crm_proto.events.sales import ConvertedAccount, ConvertedContact, LeadConverted
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.accounts import derive as account_derive
from contacts_service.accounts import events as account_events
from contacts_service.accounts.models import Account
from contacts_service.accounts.repository import AccountRepository
from contacts_service.accounts.schemas import AccountWrite
from contacts_service.accounts.service import Accounts
from contacts_service.common.schemas import PHONE_PATTERN
from contacts_service.contacts import derive as contact_derive
from contacts_service.contacts import events as contact_events
from contacts_service.contacts import service as contacts
from contacts_service.contacts.models import Contact
from contacts_service.contacts.repository import ContactRepository
from contacts_service.contacts.schemas import ContactWrite
from contacts_service.deps import region_of
from contacts_service.links import service as links

_PHONE = re.compile(PHONE_PATTERN)
_WEBSITE = re.compile(r"^https?://\S+$")


def _empty_fields(record: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The given values of ``values`` whose field on ``record`` is empty."""
    return {k: v for k, v in values.items() if v not in (None, "") and not getattr(record, k)}


def _account_values(data: ConvertedAccount, owner_id: UUID | None) -> dict[str, Any]:
    return {
        "name": data.name,
        "website": data.website if data.website and _WEBSITE.match(data.website) else None,
        "phone": data.phone if data.phone and _PHONE.match(data.phone) else None,
        "owner_id": owner_id,
    }


def _contact_values(
    data: ConvertedContact, account: ConvertedAccount | None, owner_id: UUID | None
) -> dict[str, Any]:
    phone = data.phone if data.phone and _PHONE.match(data.phone) else None
    return {
        "first_name": data.first_name, "last_name": data.last_name, "title": data.title,
        "email": data.email, "phone": phone, "owner_id": owner_id,
        "account_id": account.id if account else None,
        "company": account.name if account else None,
    }  # fmt: skip


async def _account(call: Call, data: ConvertedAccount, owner_id: UUID | None) -> None:
    repo = AccountRepository(call.session, call.actor)
    values = _account_values(data, owner_id)
    existing = await repo.get(data.id, for_update=True)
    if existing is not None:
        fill = _empty_fields(existing, {k: v for k, v in values.items() if k != "owner_id"})
        if fill:
            await Accounts().patch(call, existing.id, {k: str(v) for k, v in fill.items()}, None)
        return
    given = {k: v for k, v in values.items() if v is not None}
    write = AccountWrite(**given | {"name": data.name or "Unnamed account"})
    columns = account_derive.columns(write, phone_region=region_of(call), custom={})
    account = await repo.add(Account(id=data.id, tenant_id=call.tenant_id, **columns))
    await emit(call.session, account_events.created(account))


async def _contact(
    call: Call, data: ConvertedContact, account: ConvertedAccount | None, owner_id: UUID | None
) -> None:
    repo = ContactRepository(call.session, call.actor)
    values = _contact_values(data, account, owner_id)
    existing = await repo.get(data.id, for_update=True)
    if existing is not None:
        fill = _empty_fields(existing, {k: v for k, v in values.items() if k != "owner_id"})
        if fill and existing.erased_at is None:  # an erased contact takes no data again
            await contacts.patch(call, existing.id, {k: str(v) for k, v in fill.items()})
        return
    write = ContactWrite(**{k: v for k, v in values.items() if v is not None})
    columns = contact_derive.columns(write, phone_region=region_of(call), custom={})
    contact = await repo.add(Contact(id=data.id, tenant_id=call.tenant_id, **columns))
    if contact.account_id is not None:
        await links.link(
            call.session, call.tenant_id, contact.id, contact.account_id, role=None, primary=True
        )
    await emit(call.session, contact_events.created(contact))


async def on_lead_converted(session: AsyncSession, event: CloudEvent, data: LeadConverted) -> None:
    call = Call(session=session, actor=Actor.system(UUID(event.tenantid)))
    if data.account is not None:
        await _account(call, data.account, data.owner_id)
    await _contact(call, data.contact, data.account, data.owner_id)


CONVERSIONS = Consumer(
    "contacts-lead-conversions",
    handlers={"crm.sales.lead.converted.v1": Typed(on_lead_converted)},
)
