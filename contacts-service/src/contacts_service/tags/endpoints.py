"""Free tags (C4): set through each record's ``tags``; listed here with their counts."""

from __future__ import annotations

from crm_chassis.auth import ActorDep
from crm_chassis.db import SessionDep
from crm_chassis.pagination import Page
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select

from contacts_service.accounts.models import Account
from contacts_service.contacts.models import Contact
from contacts_service.custom_fields.schemas import ObjectType
from contacts_service.deps import READ

router = APIRouter(prefix="/v1/tags", tags=["tags"])


class TagCount(BaseModel):
    tag: str
    count: int


@router.get("", dependencies=READ)
async def list_tags(
    session: SessionDep, principal: ActorDep, object_type: ObjectType = ObjectType.CONTACT
) -> Page[TagCount]:
    model = Contact if object_type == ObjectType.CONTACT else Account
    tag = func.unnest(model.tags).label("tag")
    inner = select(tag).where(model.tenant_id == principal.tenant_id).subquery()
    stmt = (
        select(inner.c.tag, func.count().label("n"))
        .group_by(inner.c.tag)
        .order_by(func.count().desc(), inner.c.tag)
        .limit(1000)
    )
    rows = (await session.execute(stmt)).all()
    return Page(data=[TagCount(tag=r.tag, count=r.n) for r in rows])
