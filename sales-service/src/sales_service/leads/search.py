"""What leads let clients search and sort by, for the chassis search compiler."""

from __future__ import annotations

from typing import Any

from crm_chassis.crud import Call
from crm_chassis.custom_fields import search_fields
from crm_chassis.errors import ValidationFailed
from crm_chassis.search import (
    Kind,
    Resource,
    SearchRepository,
    SearchRequest,
    compile_filters,
    compile_sort,
    field,
    sort_field,
    text_condition,
)
from sqlalchemy import and_

from sales_service.leads.custom_fields import definitions
from sales_service.leads.models import STATUSES, Lead

_TEXT = ("first_name", "last_name", "company", "title", "country", "territory", "source")

LEADS = Resource(
    name="lead",
    model=Lead,
    fields={
        "id": field("id", Kind.UUID, Lead.id, nullable=False),
        **{name: field(name, Kind.TEXT, getattr(Lead, name)) for name in _TEXT},
        "email": field("email", Kind.TEXT, Lead.email),
        "status": field("status", Kind.ENUM, Lead.status, nullable=False, options=STATUSES),
        "rating": field("rating", Kind.ENUM, Lead.rating, options=("hot", "warm", "cold")),
        "estimated_value": field("estimated_value", Kind.NUMBER, Lead.estimated_value_amount),
        "currency": field("currency", Kind.KEY, Lead.estimated_value_currency),
        "owner_id": field("owner_id", Kind.UUID, Lead.owner_id),
        "created_at": field("created_at", Kind.DATETIME, Lead.created_at, nullable=False),
        "converted_at": field("converted_at", Kind.DATETIME, Lead.converted_at),
    },
    sorts={
        "created_at": sort_field("created_at", Kind.DATETIME, Lead.created_at, nullable=False),
        "updated_at": sort_field("updated_at", Kind.DATETIME, Lead.updated_at, nullable=False),
        "last_name": sort_field("last_name", Kind.TEXT, Lead.last_name),
        "company": sort_field("company", Kind.TEXT, Lead.company),
        "estimated_value": sort_field("estimated_value", Kind.NUMBER, Lead.estimated_value_amount),
    },
    custom=Lead.custom,
    vector=Lead.search_vector,
)


async def search(call: Call, request: SearchRequest) -> tuple[list[Any], str | None]:
    """One page of the leads matching ``request``; every mistake in one 422."""
    custom = search_fields(await definitions(call)) if _names_custom(request) else {}
    where, errors = compile_filters(request.filter_groups, LEADS, custom)
    sort, sort_errors = compile_sort(request.sort, LEADS, custom)
    errors += sort_errors
    if errors or sort is None:
        raise ValidationFailed("The search request is invalid", errors=errors)
    repo = SearchRepository(call.session, call.actor, Lead)
    query = (request.query or "").strip()
    if query:
        lexemes = await repo.lexemes(query)
        if not lexemes:
            raise ValidationFailed(
                "The query has no words to search for",
                errors=[{"field": "query", "message": "has no searchable words"}],
            )
        where = and_(where, text_condition(LEADS, lexemes=lexemes, phone=None))
    return await repo.page(where, sort, limit=request.limit, cursor=request.cursor)


def _names_custom(request: SearchRequest) -> bool:
    return any(name.startswith("custom.") for name in request.fields_named())
