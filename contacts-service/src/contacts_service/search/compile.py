"""The chassis search compiler bound to contacts-service: custom field definitions of
:mod:`contacts_service.custom_fields` and phone numbers read in the tenant's region.

The compiler itself (filters to SQL conditions, sorts, full text) is
:mod:`crm_chassis.search`; this module only adapts what contacts knows to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import partial

from crm_chassis import search
from crm_chassis.search import Filter, FilterGroup, PhoneReader, Sort, is_narrow, text_condition
from sqlalchemy import ColumnElement

from contacts_service.common.phones import to_e164
from contacts_service.custom_fields.rules import FieldDef
from contacts_service.search.fields import Resource, custom_fields

__all__ = [
    "Sort",
    "compile_filter",
    "compile_filters",
    "compile_sort",
    "is_narrow",
    "phone_query",
    "phone_reader",
    "text_condition",
]

_PHONE_QUERY = re.compile(r"^\+?[0-9 ().\-/]+$")


def phone_reader(region: str) -> PhoneReader:
    """Phone numbers as written by a tenant whose default region is ``region``."""
    return partial(to_e164, default_region=region)


def compile_filter(
    f: Filter, resource: Resource, definitions: Mapping[str, FieldDef], *, phone_region: str
) -> ColumnElement[bool]:
    """One filter as a condition; :class:`~crm_chassis.search.Invalid` naming the bad part."""
    custom = custom_fields(definitions)
    return search.compile_filter(f, resource, custom, phone=phone_reader(phone_region))


def compile_filters(
    groups: Sequence[FilterGroup],
    resource: Resource,
    definitions: Mapping[str, FieldDef],
    *,
    phone_region: str,
) -> tuple[ColumnElement[bool], list[dict[str, str]]]:
    """The groups as one condition (OR of ANDs; no groups = everything), and the errors."""
    custom = custom_fields(definitions)
    return search.compile_filters(groups, resource, custom, phone=phone_reader(phone_region))


def compile_sort(
    sort: str | None, resource: Resource, definitions: Mapping[str, FieldDef]
) -> tuple[Sort | None, list[dict[str, str]]]:
    return search.compile_sort(sort, resource, custom_fields(definitions))


def phone_query(query: str, region: str) -> tuple[str | None, str] | None:
    """(E.164 or None, digits) when ``query`` reads as a phone number, else None."""
    text = query.strip()
    if not _PHONE_QUERY.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if not 6 <= len(digits) <= 15:
        return None
    return to_e164(text, region), digits
