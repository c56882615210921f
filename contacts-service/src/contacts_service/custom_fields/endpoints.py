from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import PrincipalDep, require_scope
from crm_chassis.db import SessionDep
from crm_chassis.http import IfMatchDep, set_etag
from crm_chassis.pagination import Page
from fastapi import APIRouter, Body, Response, status

from contacts_service.custom_fields import service
from contacts_service.custom_fields.schemas import CustomFieldCreate, CustomFieldRead, ObjectType

router = APIRouter(prefix="/v1/custom-fields", tags=["custom fields"])
READ = [require_scope("contacts:read")]
ADMIN = [require_scope("contacts:admin")]


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=ADMIN)
async def create_custom_field(
    body: CustomFieldCreate, session: SessionDep, principal: PrincipalDep, response: Response
) -> CustomFieldRead:
    field = await service.create(session=session, tenant_id=principal.tenant_id, data=body)
    response.headers["Location"] = f"/v1/custom-fields/{field.id}"
    set_etag(response, field.version)
    return CustomFieldRead.model_validate(field)


@router.get("", dependencies=READ)
async def list_custom_fields(
    session: SessionDep, principal: PrincipalDep, object_type: ObjectType | None = None
) -> Page[CustomFieldRead]:
    rows = await service.list_all(
        session=session, tenant_id=principal.tenant_id, object_type=object_type
    )
    return Page(data=[CustomFieldRead.model_validate(r) for r in rows])


@router.get("/{field_id:uuid}", dependencies=READ)
async def get_custom_field(
    field_id: UUID, session: SessionDep, principal: PrincipalDep, response: Response
) -> CustomFieldRead:
    field = await service.get(session=session, tenant_id=principal.tenant_id, field_id=field_id)
    set_etag(response, field.version)
    return CustomFieldRead.model_validate(field)


@router.patch("/{field_id:uuid}", dependencies=ADMIN)
async def patch_custom_field(
    field_id: UUID,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatchDep = None,
    body: Annotated[Any, Body()] = None,
) -> CustomFieldRead:
    field = await service.patch(
        session=session,
        tenant_id=principal.tenant_id,
        field_id=field_id,
        body=body,
        if_match=if_match,
    )
    set_etag(response, field.version)
    return CustomFieldRead.model_validate(field)


@router.delete("/{field_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=ADMIN)
async def delete_custom_field(
    field_id: UUID, session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep = None
) -> None:
    await service.delete(
        session=session, tenant_id=principal.tenant_id, field_id=field_id, if_match=if_match
    )
