"""What a resource lets clients search and sort by: each field a typed :class:`Target`.

This module builds SQL expressions (a declared subsystem): a target is a field's kind
(which operators and values it takes) and the SQL expression of its value. A resource
declares its standard fields once (:func:`field`, :func:`sort_field`); custom fields
(``custom.<key>``) live in a JSONB column and are typed at request time by the tenant's
definitions (:class:`CustomField`); any other prefix (``consent.<channel>.<purpose>``)
is a :class:`Prefixed` resolver of the resource's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Date, Numeric, case, func, true


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
    EMAILS = "emails"  # text[] of every address of a record
    PHONES = "phones"  # text[] of every number of a record (E.164)


ARRAYS = {Kind.TAGS, Kind.EMAILS, Kind.PHONES}
UNSORTABLE = {Kind.MULTI_ENUM, *ARRAYS}
_AMOUNT = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


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
class CustomField:
    """A tenant's definition of custom field ``key``, as search sees it."""

    key: str
    kind: Kind
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prefixed:
    """Fields named ``<prefix><rest>``: ``resolve(name)`` gives the target or raises
    :class:`UnknownField`; ``hint`` shows the form in the unknown-field message."""

    prefix: str
    hint: str
    resolve: Callable[[str], Target]


@dataclass(frozen=True, kw_only=True)
class Resource:
    """A searchable model: its fields, its sorts, its custom fields and its full text.

    ``custom`` is the model's JSONB column of custom fields (None: it has none);
    ``vector`` its ``tsvector`` column for free text; ``phone_match`` the condition that
    one of its numbers is an E.164 value (for phone-like free text).
    """

    name: str
    model: Any
    fields: Mapping[str, Target]
    sorts: Mapping[str, Target]
    default_sort: str = "-created_at"
    custom: Any = None
    prefixed: tuple[Prefixed, ...] = ()
    vector: Any = None
    phone_match: Callable[[str], ColumnElement[bool]] | None = None
    unsortable_custom: frozenset[Kind] = dc_field(default_factory=lambda: frozenset(UNSORTABLE))


def field(name: str, kind: Kind, column: Any, **kw: Any) -> Target:
    """A standard field's target: ``field("email", Kind.EMAILS, Contact.email_keys)``."""
    return Target(name, kind, column, **kw)


def sort_field(name: str, kind: Kind, column: Any, nullable: bool = True) -> Target:
    """A sort target; text sorts by ``lower(column)``, the expression of the
    ``(tenant_id, lower(...), id)`` indexes a resource creates for them."""
    expr = func.lower(column) if kind in (Kind.TEXT, Kind.EMAIL) else column
    return Target(name, kind, expr, nullable=nullable)


def custom_target(column: Any, name: str, definition: CustomField) -> Target:
    """The target of custom field ``definition`` in the JSONB ``column``.

    Typed values come out through guarded casts: a value of an unexpected JSON type reads
    as missing instead of failing the whole query.
    """
    key, kind = definition.key, definition.kind
    raw = column[key]
    text_value = raw.astext
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
        name, kind, expr, options=definition.options, contains=contains, exists=column.has_key(key)
    )


class UnknownField(ValueError):
    pass


CUSTOM = "custom."


def resolve(resource: Resource, name: str, custom: Mapping[str, CustomField]) -> Target:
    """The target named ``name``; :class:`UnknownField` with a hint when there is none."""
    if name.startswith(CUSTOM) and resource.custom is not None:
        key = name.removeprefix(CUSTOM)
        if key not in custom:
            raise UnknownField(f"no custom field {key!r} on {resource.name}s")
        return custom_target(resource.custom, name, custom[key])
    for prefixed in resource.prefixed:
        if name.startswith(prefixed.prefix):
            return prefixed.resolve(name)
    target = resource.fields.get(name)
    if target is None:
        hints = [*sorted(resource.fields)]
        hints += [f"{CUSTOM}<key>"] if resource.custom is not None else []
        hints += [p.hint for p in resource.prefixed]
        raise UnknownField(f"unknown field; use one of {', '.join(hints)}")
    return target


def resolve_sort(resource: Resource, name: str, custom: Mapping[str, CustomField]) -> Target:
    """The sort target named ``name`` (without the ``-``); :class:`UnknownField` if none."""
    if name.startswith(CUSTOM) and resource.custom is not None:
        definition = custom.get(name.removeprefix(CUSTOM))
        if definition is None:
            raise UnknownField(f"no custom field {name.removeprefix(CUSTOM)!r}")
        if definition.kind in resource.unsortable_custom:
            raise UnknownField(f"cannot sort by a {definition.kind} field")
        target = custom_target(resource.custom, name, definition)
        if target.kind in (Kind.TEXT, Kind.EMAIL, Kind.PHONE, Kind.ENUM):
            return Target(name, target.kind, func.lower(target.expr))
        return target
    standard = resource.sorts.get(name)
    if standard is None:
        hint = f", {CUSTOM}<key>" if resource.custom is not None else ""
        raise UnknownField(f"sort by one of {', '.join(sorted(resource.sorts))}{hint}")
    return standard
