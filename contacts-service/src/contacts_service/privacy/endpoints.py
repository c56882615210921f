"""Privacy (C10): subject access export and erasure of a contact."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.auth import ActorDep, require_scope
from crm_chassis.db import SessionDep
from fastapi import APIRouter

from contacts_service.contacts.schemas import ContactRead
from contacts_service.privacy import service

router = APIRouter(prefix="/v1/contacts/{contact_id:uuid}", tags=["privacy"])
PRIVACY = [require_scope("contacts:privacy")]


@router.get("/personal-data", dependencies=PRIVACY)
async def export_personal_data(
    contact_id: UUID, session: SessionDep, principal: ActorDep
) -> dict[str, Any]:
    """Everything this service holds about the contact, for a subject access request."""
    return await service.personal_data(
        session=session, tenant_id=principal.tenant_id, contact_id=contact_id
    )


@router.post("/erase", dependencies=PRIVACY)
async def erase_contact(contact_id: UUID, session: SessionDep, principal: ActorDep) -> ContactRead:
    """Erase the person's data here and tell every service to do the same (irreversible)."""
    contact = await service.erase(
        session=session, tenant_id=principal.tenant_id, contact_id=contact_id
    )
    return ContactRead.model_validate(contact)
