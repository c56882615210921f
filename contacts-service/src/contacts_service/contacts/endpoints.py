from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.crud import CallDep
from crm_chassis.http import IfMatchDep
from crm_chassis.pagination import Page, PageParamsDep
from fastapi import APIRouter, Body, Query, status

from contacts_service.contacts import service
from contacts_service.contacts.schemas import ContactFilters, ContactRead, ContactWrite
from contacts_service.contacts.view import CONTACT
from contacts_service.deps import MERGE_PATCH, READ, WRITE, PhoneRegionDep

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
async def create_contact(body: ContactWrite, call: CallDep, region: PhoneRegionDep) -> ContactRead:
    contact = await service.create(call, body, phone_region=region)
    return CONTACT.created(call.actor, contact)


@router.get("", dependencies=READ)
async def list_contacts(
    call: CallDep, page: PageParamsDep, filters: Annotated[ContactFilters, Query()]
) -> Page[ContactRead]:
    return CONTACT.page(call.actor, *await service.list_page(call, page, filters))


@router.get("/{contact_id:uuid}", dependencies=READ)
async def get_contact(contact_id: UUID, call: CallDep) -> ContactRead:
    return CONTACT.one(call.actor, await service.get(call, contact_id))


@router.patch("/{contact_id:uuid}", dependencies=WRITE, openapi_extra=MERGE_PATCH)
async def patch_contact(
    contact_id: UUID,
    call: CallDep,
    region: PhoneRegionDep,
    if_match: IfMatchDep = None,
    body: Annotated[Any, Body()] = None,
) -> ContactRead:
    contact = await service.patch(call, contact_id, body, if_match=if_match, phone_region=region)
    return CONTACT.one(call.actor, contact)


@router.delete("/{contact_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def delete_contact(contact_id: UUID, call: CallDep, if_match: IfMatchDep = None) -> None:
    await service.delete(call, contact_id, if_match=if_match)
