"""Search routes. Included before the contacts router: ``GET /v1/contacts/lookup`` would
otherwise be taken for ``GET /v1/contacts/{contact_id}``."""

from __future__ import annotations

from typing import Annotated, Any

import phonenumbers
from crm_chassis.auth import ActorDep
from crm_chassis.db import SessionDep
from crm_chassis.openapi import inline_schema
from crm_chassis.pagination import Page
from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from contacts_service.accounts.schemas import AccountRead
from contacts_service.accounts.view import ACCOUNT as ACCOUNT_VIEW
from contacts_service.contacts.schemas import ContactRead
from contacts_service.contacts.view import CONTACT as CONTACT_VIEW
from contacts_service.deps import READ, PhoneRegionDep
from contacts_service.search import service
from contacts_service.search.fields import ACCOUNT, CONTACT
from contacts_service.search.schemas import (
    ContactMatches,
    SearchRequest,
    parse_request,
)

router = APIRouter(tags=["search"])

# The body is read raw and validated by parse_request (error paths like
# ``filter_groups[0].filters[1].value``); its schema is documented here.
SEARCH_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": inline_schema(SearchRequest)}},
    }
}


@router.post("/v1/contacts/search", dependencies=READ, openapi_extra=SEARCH_BODY)
async def search_contacts(
    session: SessionDep,
    principal: ActorDep,
    region: PhoneRegionDep,
    body: Annotated[Any, Body()] = None,
) -> Page[ContactRead]:
    request = parse_request(body)
    CONTACT_VIEW.check_readable(principal, request.fields_named())
    rows, cursor = await service.search(
        session=session, actor=principal, resource=CONTACT, request=request, phone_region=region
    )
    return CONTACT_VIEW.page(principal, rows, cursor)


@router.post("/v1/accounts/search", dependencies=READ, openapi_extra=SEARCH_BODY)
async def search_accounts(
    session: SessionDep,
    principal: ActorDep,
    region: PhoneRegionDep,
    body: Annotated[Any, Body()] = None,
) -> Page[AccountRead]:
    request = parse_request(body)
    ACCOUNT_VIEW.check_readable(principal, request.fields_named())
    rows, cursor = await service.search(
        session=session, actor=principal, resource=ACCOUNT, request=request, phone_region=region
    )
    return ACCOUNT_VIEW.page(principal, rows, cursor)


def _phone_region(code: str | None) -> str | None:
    if code is not None and code.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("must be an ISO 3166 alpha-2 code of a region with phone numbers")
    return code.upper() if code else None


PhoneRegion = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=2,
        description="The region (ISO 3166 alpha-2, e.g. GB) a number without a +country "
        "code is read in; the service's default region when absent.",
        examples=["GB"],
    ),
    AfterValidator(_phone_region),
]


@router.get("/v1/contacts/lookup", dependencies=READ)
async def lookup_contacts_by_phone(
    session: SessionDep,
    principal: ActorDep,
    default_region: PhoneRegionDep,
    phone: Annotated[str, Query(min_length=1, max_length=40)],
    region: PhoneRegion = None,
) -> ContactMatches:
    """The contacts a phone number belongs to (any of their numbers), for call screen-pop."""
    contacts = await service.lookup_phone(
        session=session,
        actor=principal,
        phone=phone,
        phone_region=region or default_region,
    )
    data = [CONTACT_VIEW.dump(principal, c) for c in contacts]
    return JSONResponse({"data": data})  # type: ignore[return-value]
