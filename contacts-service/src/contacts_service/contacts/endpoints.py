from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import PrincipalDep
from crm_chassis.db import SessionDep
from crm_chassis.http import IfMatchDep, set_etag
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Body, Query, Response, status

from contacts_service.contacts import service
from contacts_service.contacts.repository import ContactFilters
from contacts_service.contacts.schemas import ContactRead, ContactWrite, LifecycleStage
from contacts_service.deps import MERGE_PATCH, READ, WRITE, PhoneRegionDep

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
async def create_contact(
    body: ContactWrite,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    region: PhoneRegionDep,
) -> ContactRead:
    contact = await service.create(
        session=session, tenant_id=principal.tenant_id, data=body, phone_region=region
    )
    response.headers["Location"] = f"/v1/contacts/{contact.id}"
    set_etag(response, contact.version)
    return ContactRead.model_validate(contact)


@router.get("", dependencies=READ)
async def list_contacts(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageParamsDep,
    email: Annotated[str | None, Query(max_length=320)] = None,
    account_id: UUID | None = None,
    owner_id: UUID | None = None,
    tag: Annotated[str | None, Query(max_length=60)] = None,
    lifecycle_stage: LifecycleStage | None = None,
    membership_level: Annotated[str | None, Query(max_length=60)] = None,
) -> Page[ContactRead]:
    filters = ContactFilters(
        email=email,
        account_id=account_id,
        owner_id=owner_id,
        tag=tag,
        lifecycle_stage=lifecycle_stage,
        membership_level=membership_level,
    )
    rows, cursor = await service.list_page(
        session=session, tenant_id=principal.tenant_id, params=page, filters=filters
    )
    return Page(data=[ContactRead.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/{contact_id}", dependencies=READ)
async def get_contact(
    contact_id: UUID, session: SessionDep, principal: PrincipalDep, response: Response
) -> ContactRead:
    contact = await service.get(
        session=session, tenant_id=principal.tenant_id, contact_id=contact_id
    )
    set_etag(response, contact.version)
    return ContactRead.model_validate(contact)


@router.patch("/{contact_id}", dependencies=WRITE, openapi_extra=MERGE_PATCH)
async def patch_contact(
    contact_id: UUID,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    region: PhoneRegionDep,
    if_match: IfMatchDep = None,
    body: Annotated[Any, Body()] = None,
) -> ContactRead:
    contact = await service.patch(
        session=session,
        tenant_id=principal.tenant_id,
        contact_id=contact_id,
        body=body,
        if_match=if_match,
        phone_region=region,
    )
    set_etag(response, contact.version)
    return ContactRead.model_validate(contact)


@router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_contact(
    contact_id: UUID, session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep = None
) -> None:
    await service.delete(
        session=session, tenant_id=principal.tenant_id, contact_id=contact_id, if_match=if_match
    )
