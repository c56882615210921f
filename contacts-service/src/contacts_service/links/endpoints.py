"""Links between a contact and the accounts it belongs to, each with a role."""

from __future__ import annotations

from uuid import UUID

from crm_chassis.crud import CallDep
from crm_chassis.pagination import Page
from fastapi import APIRouter, status

from contacts_service.deps import READ, WRITE
from contacts_service.links import service
from contacts_service.links.schemas import LinkRead, LinkWrite

router = APIRouter(prefix="/v1/contacts/{contact_id:uuid}/accounts", tags=["contacts"])


@router.get("", dependencies=READ)
async def list_contact_accounts(contact_id: UUID, call: CallDep) -> Page[LinkRead]:
    rows = await service.links_of(call, contact_id)
    return Page(data=[LinkRead.model_validate(r) for r in rows])


@router.put("/{account_id:uuid}", dependencies=WRITE)
async def link_contact_to_account(
    contact_id: UUID, account_id: UUID, body: LinkWrite, call: CallDep
) -> LinkRead:
    return LinkRead.model_validate(await service.put_link(call, contact_id, account_id, body))


@router.delete("/{account_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WRITE)
async def unlink_contact_from_account(contact_id: UUID, account_id: UUID, call: CallDep) -> None:
    await service.remove_link(call, contact_id, account_id)
