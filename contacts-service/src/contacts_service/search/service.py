"""Search use cases: contacts and accounts by filter groups and text; contacts by phone."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.auth import Actor
from crm_chassis.errors import ValidationFailed
from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.common.phones import to_e164
from contacts_service.contacts.models import Contact
from contacts_service.custom_fields.service import definitions
from contacts_service.search.compile import (
    compile_filters,
    compile_sort,
    is_narrow,
    phone_query,
    text_condition,
)
from contacts_service.search.fields import Resource
from contacts_service.search.repository import SearchRepository
from contacts_service.search.schemas import SearchRequest


async def search(
    *,
    session: AsyncSession,
    actor: Actor,
    resource: Resource,
    request: SearchRequest,
    phone_region: str,
) -> tuple[list[Any], str | None]:
    """One page of ``resource`` records matching ``request``, and the next cursor.

    Every mistake in the request (filters, sort) is reported in one 422.
    """
    fields = [f.field for g in request.filter_groups for f in g.filters]
    custom = any(n.startswith("custom.") for n in [*fields, (request.sort or "").lstrip("-")])
    defs = await definitions(session, actor.tenant_id, resource.object_type) if custom else {}
    where, errors = compile_filters(
        request.filter_groups, resource, defs, phone_region=phone_region
    )
    sort, sort_errors = compile_sort(request.sort, resource, defs)
    errors += sort_errors
    if errors or sort is None:
        raise ValidationFailed("The search request is invalid", errors=errors)
    repo = SearchRepository(session, actor, resource.model)
    common_tags = await repo.common_tags() if "tags" in fields else frozenset()
    fenced = is_narrow(request.filter_groups, resource, common_tags=common_tags)
    query = (request.query or "").strip()
    if query:
        phone = phone_query(query, phone_region)
        fenced = fenced or (phone is not None and resource.model is Contact)
        lexemes = [] if phone else await repo.lexemes(query)
        if phone is None and not lexemes:
            raise ValidationFailed(
                "The query has no words to search for",
                errors=[{"field": "query", "message": "has no searchable words"}],
            )
        where = and_(where, text_condition(resource, lexemes=lexemes, phone=phone))
    return await repo.page(where, sort, limit=request.limit, cursor=request.cursor, fenced=fenced)


async def lookup_phone(
    *, session: AsyncSession, actor: Actor | UUID, phone: str, phone_region: str
) -> list[Contact]:
    """The contacts one of whose numbers is ``phone`` (any format), for screen-pop."""
    e164 = to_e164(phone, phone_region)
    if e164 is None:
        raise ValidationFailed(
            f"{phone!r} is not a phone number",
            errors=[{"field": "phone", "message": "must be a phone number"}],
        )
    return await SearchRepository(session, actor, Contact).by_phone(e164)
