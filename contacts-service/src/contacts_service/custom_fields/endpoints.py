from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.http import IfMatchDep
from crm_chassis.pagination import Page
from fastapi import APIRouter, Body, status

from contacts_service.custom_fields import service
from contacts_service.custom_fields.schemas import CustomFieldCreate, CustomFieldRead, ObjectType
from contacts_service.custom_fields.service import CUSTOM_FIELD, CUSTOM_FIELDS

router = APIRouter(prefix="/v1/custom-fields", tags=["custom fields"])
READ = [require_scope("contacts:read")]
ADMIN = [require_scope("contacts:admin")]


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=ADMIN)
async def create_custom_field(body: CustomFieldCreate, call: CallDep) -> CustomFieldRead:
    return CUSTOM_FIELD.created(call.actor, await CUSTOM_FIELDS.create(call, body))


@router.get("", dependencies=READ)
async def list_custom_fields(
    call: CallDep, object_type: ObjectType | None = None
) -> Page[CustomFieldRead]:
    return CUSTOM_FIELD.page(call.actor, await service.list_all(call, object_type), None)


@router.get("/{field_id:uuid}", dependencies=READ)
async def get_custom_field(field_id: UUID, call: CallDep) -> CustomFieldRead:
    return CUSTOM_FIELD.one(call.actor, await CUSTOM_FIELDS.get(call, field_id))


@router.patch("/{field_id:uuid}", dependencies=ADMIN)
async def patch_custom_field(
    field_id: UUID,
    call: CallDep,
    if_match: IfMatchDep = None,
    body: Annotated[Any, Body()] = None,
) -> CustomFieldRead:
    field = await CUSTOM_FIELDS.patch(call, field_id, body, if_match)
    return CUSTOM_FIELD.one(call.actor, field)


@router.delete("/{field_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=ADMIN)
async def delete_custom_field(field_id: UUID, call: CallDep, if_match: IfMatchDep = None) -> None:
    await CUSTOM_FIELDS.delete(call, field_id, if_match)
