"""What can be searched and sorted: each field of contacts and accounts as a typed target.

A :class:`Target` tells the compiler the kind of a field (which operators and values it
takes) and the SQL expression of its value. Standard fields are fixed here; custom fields
(``custom.<key>``) are typed by the tenant's definitions; consent flags are
``consent.<channel>.<purpose>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Date, Numeric, case, func, true
from sqlalchemy.orm import InstrumentedAttribute

from contacts_service.accounts.models import Account
from contacts_service.accounts.schemas import AccountType
from contacts_service.contacts.models import Contact
from contacts_service.contacts.schemas import Channel, ConsentStatus, LifecycleStage
from contacts_service.custom_fields.rules import FieldDef, FieldType


class Kind(StrEnum):
    TEXT = "text"  # compared case-insensitively
    KEY = "key"  # an identifier from elsewhere, compared exactly
    ENUM = "enum"
    UUID = "uuid"
    NUMBER = "number"
    MONEY = "money"  # compared by amount
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    EMAIL = "email"  # one lower-case address
    PHONE = "phone"  # one E.164 number
    TAGS = "tags"  # text[] of tags
    MULTI_ENUM = "multi_enum"  # JSON array of options
    EMAILS = "emails"  # text[] of every address of a contact
    PHONES = "phones"  # text[] of every number of a contact (E.164)


ARRAYS = {Kind.TAGS, Kind.EMAILS, Kind.PHONES}
_AMOUNT = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_PURPOSE = re.compile(r"^[A-Za-z0-9_-]{1,60}$")


@dataclass(frozen=True)
class Target:
    """One searchable field: its kind and the SQL expression of its value.

    ``contains`` (custom fields) builds ``custom @> {key: value}``: equality through the
    GIN index on ``custom``. ``exists`` overrides the default presence test. ``vector``
    lets eq and starts_with on a text field first narrow by the full-text index.
    """

    name: str
    kind: Kind
    expr: ColumnElement[Any]
    nullable: bool = True
    options: tuple[str, ...] = ()
    contains: Callable[[Any], ColumnElement[bool]] | None = None
    exists: ColumnElement[bool] | None = None
    vector: Any = None
    """The record's ``search_vector`` when this field's words are in it (a GIN prefilter)."""
    lowered: bool = False
    """Values are stored lower-case: compare the column itself, as its index has it."""

    def present(self) -> ColumnElement[bool]:
        """True where the record has a value for this field."""
        if self.exists is not None:
            return self.exists
        if self.kind in ARRAYS:
            return func.cardinality(self.expr) > 0
        if not self.nullable:
            return true()
        if self.kind is Kind.TEXT:
            return self.expr.isnot(None) & (self.expr != "")
        return self.expr.isnot(None)


@dataclass(frozen=True)
class Resource:
    """A searchable model: its fields, its sorts, and how full text and phones match."""

    name: str
    model: Any
    object_type: str
    fields: Mapping[str, Target]
    sorts: Mapping[str, Target]
    phone_match: Callable[[str], ColumnElement[bool]]
    consent: InstrumentedAttribute[Any] | None = None
    default_sort: str = "-created_at"
    sortable_custom: frozenset[FieldType] = field(
        default_factory=lambda: frozenset(FieldType) - {FieldType.MULTI_ENUM}
    )


def _t(name: str, kind: Kind, column: Any, **kw: Any) -> Target:
    return Target(name, kind, column, **kw)


def _standard(model: Any) -> dict[str, Target]:
    return {
        "id": _t("id", Kind.UUID, model.id, nullable=False),
        "owner_id": _t("owner_id", Kind.UUID, model.owner_id),
        "tags": _t("tags", Kind.TAGS, model.tags),
        "external_id": _t("external_id", Kind.KEY, model.external_id),
        "created_at": _t("created_at", Kind.DATETIME, model.created_at, nullable=False),
        "updated_at": _t("updated_at", Kind.DATETIME, model.updated_at, nullable=False),
    }


def _sort(name: str, kind: Kind, column: Any, nullable: bool = True) -> Target:
    # Text sorts by lower(column): the expression of the (tenant_id, lower(...), id) indexes.
    expr = func.lower(column) if kind in (Kind.TEXT, Kind.EMAIL) else column
    return Target(name, kind, expr, nullable=nullable)


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
            n: _t(n, Kind.TEXT, getattr(Contact, n), vector=Contact.search_vector)
            for n in ("first_name", "company")
        },
        **{
            n: _t(n, Kind.TEXT, getattr(Contact, n))
            for n in ("last_name", "title", "membership_level")
        },
        "email": _t("email", Kind.EMAILS, Contact.email_keys),
        "phone": _t("phone", Kind.PHONES, Contact.phone_keys),
        "account_id": _t("account_id", Kind.UUID, Contact.account_id),
        "lifecycle_stage": _t(
            "lifecycle_stage",
            Kind.ENUM,
            Contact.lifecycle_stage,
            options=tuple(s.value for s in LifecycleStage),
        ),
        "member_since": _t("member_since", Kind.DATE, Contact.member_since),
        "do_not_contact": _t("do_not_contact", Kind.BOOL, Contact.do_not_contact, nullable=False),
    },
    sorts={
        "created_at": _sort("created_at", Kind.DATETIME, Contact.created_at, nullable=False),
        "updated_at": _sort("updated_at", Kind.DATETIME, Contact.updated_at, nullable=False),
        **{
            n: _sort(n, Kind.TEXT, getattr(Contact, n))
            for n in ("first_name", "last_name", "title", "company", "membership_level")
        },
        "email": _sort("email", Kind.EMAIL, Contact.email),
        "lifecycle_stage": _sort("lifecycle_stage", Kind.ENUM, Contact.lifecycle_stage),
        "member_since": _sort("member_since", Kind.DATE, Contact.member_since),
    },
    phone_match=lambda e164: Contact.phone_keys.contains([e164]),
    consent=Contact.consent,
)

ACCOUNT = Resource(
    name="account",
    model=Account,
    object_type="account",
    fields={
        **_standard(Account),
        # name has its (tenant_id, lower(name), id) index; domains are stored lower-case
        # and have (tenant_id, domain); the industry's words are in the search vector.
        "name": _t("name", Kind.TEXT, Account.name, nullable=False),
        "domain": _t("domain", Kind.TEXT, Account.domain, lowered=True),
        "industry": _t("industry", Kind.TEXT, Account.industry, vector=Account.search_vector),
        "website": _t("website", Kind.TEXT, Account.website),
        "type": _t("type", Kind.ENUM, Account.type, options=tuple(t.value for t in AccountType)),
        "employees": _t("employees", Kind.NUMBER, Account.employees),
        "phone": _t("phone", Kind.PHONE, Account.phone),
        "parent_id": _t("parent_id", Kind.UUID, Account.parent_id),
    },
    sorts={
        "created_at": _sort("created_at", Kind.DATETIME, Account.created_at, nullable=False),
        "updated_at": _sort("updated_at", Kind.DATETIME, Account.updated_at, nullable=False),
        "name": _sort("name", Kind.TEXT, Account.name, nullable=False),
        "domain": _sort("domain", Kind.TEXT, Account.domain),
        "industry": _sort("industry", Kind.TEXT, Account.industry),
        "type": _sort("type", Kind.ENUM, Account.type),
        "employees": _sort("employees", Kind.NUMBER, Account.employees),
    },
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


def custom_target(resource: Resource, name: str, definition: FieldDef) -> Target:
    """The target of custom field ``definition`` in ``resource``'s ``custom`` JSONB.

    Typed values come out through guarded casts: a value of an unexpected JSON type reads
    as missing instead of failing the whole query.
    """
    column = resource.model.custom
    key = definition.key
    raw = column[key]
    text_value = raw.astext
    kind = _CUSTOM_KINDS[definition.type]
    expr: ColumnElement[Any]
    if kind is Kind.NUMBER:
        expr = case((func.jsonb_typeof(raw) == "number", text_value.cast(Numeric)))
    elif kind is Kind.MONEY:
        amount = raw["amount"].astext
        expr = case((amount.regexp_match(_AMOUNT).isnot(None), amount.cast(Numeric)))
    elif kind is Kind.DATE:
        expr = case((text_value.regexp_match(_ISO_DATE).isnot(None), text_value.cast(Date)))
    elif kind is Kind.BOOL:
        expr = case((func.jsonb_typeof(raw) == "boolean", text_value.cast(Boolean)))
    elif kind is Kind.MULTI_ENUM:
        expr = raw
    else:
        expr = text_value
    # Equality as containment, through the GIN index: not for case-insensitive text, nor
    # for money, whose amounts compare as numbers ("250" == "250.00").
    exact = kind not in (Kind.TEXT, Kind.MONEY)
    contains = (lambda v: column.contains({key: v})) if exact else None
    return Target(
        name,
        kind,
        expr,
        options=definition.options,
        contains=contains,
        exists=column.has_key(key),
    )


class UnknownField(ValueError):
    pass


def resolve(resource: Resource, name: str, definitions: Mapping[str, FieldDef]) -> Target:
    """The target named ``name``; :class:`UnknownField` with a hint when there is none."""
    if name.startswith("custom."):
        key = name.removeprefix("custom.")
        if key not in definitions:
            raise UnknownField(f"no custom field {key!r} on {resource.name}s")
        return custom_target(resource, name, definitions[key])
    if name.startswith("consent.") and resource.consent is not None:
        channel, _, purpose = name.removeprefix("consent.").partition(".")
        if channel not in {c.value for c in Channel} or not _PURPOSE.match(purpose):
            raise UnknownField(
                "consent filters are consent.<channel>.<purpose>, e.g. consent.email.marketing"
            )
        return Target(
            name,
            Kind.ENUM,
            resource.consent[channel][purpose].astext,
            options=tuple(s.value for s in ConsentStatus),
        )
    target = resource.fields.get(name)
    if target is None:
        raise UnknownField(
            f"unknown field; use one of {', '.join(sorted(resource.fields))}, custom.<key>"
            + (", consent.<channel>.<purpose>" if resource.consent is not None else "")
        )
    return target


def resolve_sort(resource: Resource, name: str, definitions: Mapping[str, FieldDef]) -> Target:
    """The sort target named ``name`` (without the ``-``); :class:`UnknownField` if none."""
    if name.startswith("custom."):
        definition = definitions.get(name.removeprefix("custom."))
        if definition is None:
            raise UnknownField(f"no custom field {name.removeprefix('custom.')!r}")
        if definition.type not in resource.sortable_custom:
            raise UnknownField(f"cannot sort by a {definition.type} field")
        target = custom_target(resource, name, definition)
        if target.kind in (Kind.TEXT, Kind.EMAIL, Kind.PHONE, Kind.ENUM):
            return Target(name, target.kind, func.lower(target.expr))
        return target
    standard = resource.sorts.get(name)
    if standard is None:
        raise UnknownField(f"sort by one of {', '.join(sorted(resource.sorts))}, custom.<key>")
    return standard
