"""What contacts and accounts let clients search and sort by, declared for the chassis
search compiler (:mod:`crm_chassis.search`).

Standard fields are fixed here; custom fields (``custom.<key>``) are typed by the
tenant's definitions (:func:`custom_fields`); consent flags are
``consent.<channel>.<purpose>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm_chassis.search import (
    CustomField,
    Kind,
    Prefixed,
    Target,
    UnknownField,
    field,
    sort_field,
)
from crm_chassis.search import Resource as SearchResource

from contacts_service.accounts.models import Account
from contacts_service.accounts.schemas import AccountType
from contacts_service.contacts.models import Contact
from contacts_service.contacts.schemas import Channel, ConsentStatus, LifecycleStage
from contacts_service.custom_fields.rules import FieldDef, FieldType

_PURPOSE = re.compile(r"^[A-Za-z0-9_-]{1,60}$")


@dataclass(frozen=True, kw_only=True)
class Resource(SearchResource):
    """A searchable resource of contacts-service."""

    object_type: str
    """The object type its custom fields are defined for."""


def _consent(name: str) -> Target:
    channel, _, purpose = name.removeprefix("consent.").partition(".")
    if channel not in {c.value for c in Channel} or not _PURPOSE.match(purpose):
        raise UnknownField(
            "consent filters are consent.<channel>.<purpose>, e.g. consent.email.marketing"
        )
    return Target(
        name,
        Kind.ENUM,
        Contact.consent[channel][purpose].astext,
        options=tuple(s.value for s in ConsentStatus),
    )


def _standard(model: Any) -> dict[str, Target]:
    return {
        "id": field("id", Kind.UUID, model.id, nullable=False),
        "owner_id": field("owner_id", Kind.UUID, model.owner_id),
        "tags": field("tags", Kind.TAGS, model.tags),
        "external_id": field("external_id", Kind.KEY, model.external_id),
        "created_at": field("created_at", Kind.DATETIME, model.created_at, nullable=False),
        "updated_at": field("updated_at", Kind.DATETIME, model.updated_at, nullable=False),
    }


CONTACT = Resource(
    name="contact",
    model=Contact,
    object_type="contact",
    fields={
        **_standard(Contact),
        # derive.search_text holds the names and the company: their words are in the
        # vector. last_name has its own (tenant_id, lower(last_name), id) index instead:
        # both at once would mislead the planner (it takes them for independent).
        **{
            n: field(n, Kind.TEXT, getattr(Contact, n), vector=Contact.search_vector)
            for n in ("first_name", "company")
        },
        **{
            n: field(n, Kind.TEXT, getattr(Contact, n))
            for n in ("last_name", "title", "membership_level")
        },
        "email": field("email", Kind.EMAILS, Contact.email_keys),
        "phone": field("phone", Kind.PHONES, Contact.phone_keys),
        "account_id": field("account_id", Kind.UUID, Contact.account_id),
        "lifecycle_stage": field(
            "lifecycle_stage",
            Kind.ENUM,
            Contact.lifecycle_stage,
            options=tuple(s.value for s in LifecycleStage),
        ),
        "member_since": field("member_since", Kind.DATE, Contact.member_since),
        "do_not_contact": field(
            "do_not_contact", Kind.BOOL, Contact.do_not_contact, nullable=False
        ),
    },
    sorts={
        "created_at": sort_field("created_at", Kind.DATETIME, Contact.created_at, nullable=False),
        "updated_at": sort_field("updated_at", Kind.DATETIME, Contact.updated_at, nullable=False),
        **{
            n: sort_field(n, Kind.TEXT, getattr(Contact, n))
            for n in ("first_name", "last_name", "title", "company", "membership_level")
        },
        "email": sort_field("email", Kind.EMAIL, Contact.email),
        "lifecycle_stage": sort_field("lifecycle_stage", Kind.ENUM, Contact.lifecycle_stage),
        "member_since": sort_field("member_since", Kind.DATE, Contact.member_since),
    },
    custom=Contact.custom,
    prefixed=(Prefixed("consent.", "consent.<channel>.<purpose>", _consent),),
    vector=Contact.search_vector,
    phone_match=lambda e164: Contact.phone_keys.contains([e164]),
)

ACCOUNT = Resource(
    name="account",
    model=Account,
    object_type="account",
    fields={
        **_standard(Account),
        # name has its (tenant_id, lower(name), id) index; domains are stored lower-case
        # and have (tenant_id, domain); the industry's words are in the search vector.
        "name": field("name", Kind.TEXT, Account.name, nullable=False),
        "domain": field("domain", Kind.TEXT, Account.domain, lowered=True),
        "industry": field("industry", Kind.TEXT, Account.industry, vector=Account.search_vector),
        "website": field("website", Kind.TEXT, Account.website),
        "type": field("type", Kind.ENUM, Account.type, options=tuple(t.value for t in AccountType)),
        "employees": field("employees", Kind.NUMBER, Account.employees),
        "phone": field("phone", Kind.PHONE, Account.phone),
        "parent_id": field("parent_id", Kind.UUID, Account.parent_id),
    },
    sorts={
        "created_at": sort_field("created_at", Kind.DATETIME, Account.created_at, nullable=False),
        "updated_at": sort_field("updated_at", Kind.DATETIME, Account.updated_at, nullable=False),
        "name": sort_field("name", Kind.TEXT, Account.name, nullable=False),
        "domain": sort_field("domain", Kind.TEXT, Account.domain),
        "industry": sort_field("industry", Kind.TEXT, Account.industry),
        "type": sort_field("type", Kind.ENUM, Account.type),
        "employees": sort_field("employees", Kind.NUMBER, Account.employees),
    },
    custom=Account.custom,
    vector=Account.search_vector,
    phone_match=lambda e164: Account.phone == e164,
)

_CUSTOM_KINDS = {
    FieldType.TEXT: Kind.TEXT,
    FieldType.URL: Kind.TEXT,
    FieldType.EMAIL: Kind.EMAIL,
    FieldType.PHONE: Kind.PHONE,
    FieldType.NUMBER: Kind.NUMBER,
    FieldType.MONEY: Kind.MONEY,
    FieldType.DATE: Kind.DATE,
    FieldType.BOOL: Kind.BOOL,
    FieldType.ENUM: Kind.ENUM,
    FieldType.MULTI_ENUM: Kind.MULTI_ENUM,
}


def custom_fields(definitions: Mapping[str, FieldDef]) -> dict[str, CustomField]:
    """The tenant's custom field definitions as the search compiler reads them."""
    return {
        key: CustomField(d.key, _CUSTOM_KINDS[d.type], d.options) for key, d in definitions.items()
    }
