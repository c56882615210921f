"""Links between a contact and the accounts it belongs to, each with a role."""

from __future__ import annotations

from uuid import UUID

from crm_chassis.auth import PrincipalDep
from crm_chassis.db import SessionDep
from crm_chassis.pagination import Page
from fastapi import APIRouter, status

from contacts_service.deps import READ, WRITE
from contacts_service.links import service
from contacts_service.links.schemas import LinkRead, LinkWrite

router = APIRouter(prefix="/v1/contacts/{contact_id}/accounts", tags=["contacts"])


@router.get("", dependencies=READ)
async def list_contact_accounts(
    contact_id: UUID, session: SessionDep, principal: PrincipalDep
) -> Page[LinkRead]:
    rows = await service.links_of(
        session=session, tenant_id=principal.tenant_id, contact_id=contact_id
    )
    return Page(data=[LinkRead.model_validate(r) for r in rows])


@router.put("/{account_id}", dependencies=WRITE)
async def link_contact_to_account(
    contact_id: UUID,
    account_id: UUID,
    body: LinkWrite,
    session: SessionDep,
    principal: PrincipalDep,
) -> LinkRead:
    row = await service.put_link(
        session=session,
        tenant_id=principal.tenant_id,
        contact_id=contact_id,
        account_id=account_id,
        data=body,
    )
    return LinkRead.model_validate(row)


@router.delete("/{account_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def unlink_contact_from_account(
    contact_id: UUID, account_id: UUID, session: SessionDep, principal: PrincipalDep
) -> None:
    await service.remove_link(
        session=session, tenant_id=principal.tenant_id, contact_id=contact_id, account_id=account_id
    )
