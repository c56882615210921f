"""The search schemas of contacts-service: the request body is the chassis' own
(:mod:`crm_chassis.search.request`, re-exported here), the phone lookup's answer is ours.
"""

from __future__ import annotations

from crm_chassis.search.request import (
    MAX_FILTERS,
    MAX_GROUPS,
    MAX_QUERY,
    Filter,
    FilterGroup,
    Operator,
    SearchRequest,
    field_path,
    parse_request,
)
from pydantic import BaseModel

from contacts_service.contacts.schemas import ContactRead

__all__ = [
    "MAX_FILTERS",
    "MAX_GROUPS",
    "MAX_QUERY",
    "ContactMatches",
    "Filter",
    "FilterGroup",
    "Operator",
    "SearchRequest",
    "field_path",
    "parse_request",
]


class ContactMatches(BaseModel):
    """The contacts a phone number belongs to (no pagination: a handful at most)."""

    data: list[ContactRead]
