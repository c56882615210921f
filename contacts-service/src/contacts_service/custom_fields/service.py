"""Custom field definitions (C3) and the validation of values against them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import load_for_update
from crm_chassis.errors import Conflict, NotFound, ValidationFailed
from crm_chassis.outbox import emit
from crm_chassis.repository import TenantRepository
from crm_chassis.resources import patched
from crm_proto.events.contacts import (
    CustomFieldCreated,
    CustomFieldDeleted,
    CustomFieldSnapshot,
    CustomFieldUpdated,
)
from sqlalchemy import func, literal, update
from sqlalchemy.ext.asyncio import AsyncSession

from contacts_service.custom_fields.models import CustomField
from contacts_service.custom_fields.rules import FieldDef, FieldType, validate_values
from contacts_service.custom_fields.schemas import (
    CustomFieldCreate,
    CustomFieldRead,
    CustomFieldUpdate,
    _check_options,
)
from contacts_service.events import events


class CustomFieldRepository(TenantRepository[CustomField]):
    model = CustomField

    async def of_object(self, object_type: str) -> list[CustomField]:
        return await self.list(
            self.select().where(CustomField.object_type == object_type).order_by(CustomField.key)
        )


async def definitions(
    session: AsyncSession, tenant_id: UUID, object_type: str
) -> dict[str, FieldDef]:
    rows = await CustomFieldRepository(session, tenant_id).of_object(object_type)
    return {r.key: FieldDef(r.key, FieldType(r.type), tuple(r.options), r.required) for r in rows}


async def checked_values(
    session: AsyncSession,
    tenant_id: UUID,
    object_type: str,
    values: dict[str, Any],
    *,
    phone_region: str,
    enforce_required: bool,
    removed: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[str, Any]:
    """``values`` normalised, or a 422 naming each bad ``custom.<key>``."""
    defs = await definitions(session, tenant_id, object_type)
    out, errors = validate_values(
        defs,
        {**values, **dict.fromkeys(removed)},
        phone_region=phone_region,
        enforce_required=enforce_required,
    )
    if errors:
        raise ValidationFailed("Some custom field values are invalid", errors=errors)
    return out


def _snapshot(field: CustomField) -> CustomFieldSnapshot:
    return CustomFieldSnapshot.model_validate(field, from_attributes=True)


def _event(type_: str, field: CustomField, data: Any) -> Any:
    return events.event(
        type_, data, tenant_id=field.tenant_id, subject=field.id, sequence=field.version
    )


async def create(*, session: AsyncSession, tenant_id: UUID, data: CustomFieldCreate) -> CustomField:
    repo = CustomFieldRepository(session, tenant_id)
    existing = await repo.list(
        repo.select().where(
            CustomField.object_type == data.object_type, CustomField.key == data.key
        )
    )
    if existing:
        raise Conflict(f"A {data.object_type} field with key {data.key!r} exists")
    field = await repo.add(CustomField(tenant_id=tenant_id, **data.model_dump(mode="json")))
    await emit(
        session,
        _event(
            "crm.contacts.custom_field.created.v1",
            field,
            CustomFieldCreated(field=_snapshot(field)),
        ),
    )
    return field


async def get(*, session: AsyncSession, tenant_id: UUID, field_id: UUID) -> CustomField:
    field = await CustomFieldRepository(session, tenant_id).get(field_id)
    if field is None:
        raise NotFound(f"No custom field {field_id}")
    return field


async def list_all(
    *, session: AsyncSession, tenant_id: UUID, object_type: str | None
) -> list[CustomField]:
    repo = CustomFieldRepository(session, tenant_id)
    stmt = repo.select().order_by(CustomField.object_type, CustomField.key)
    if object_type:
        stmt = stmt.where(CustomField.object_type == object_type)
    return await repo.list(stmt)


async def patch(
    *, session: AsyncSession, tenant_id: UUID, field_id: UUID, body: Any, if_match: str | None
) -> CustomField:
    # Locked: two concurrent patches of one field run one after the other, and the
    # second one's If-Match then sees the first one's version (412), never a stale row.
    field = await load_for_update(CustomFieldRepository(session, tenant_id), field_id, if_match)
    current = CustomFieldRead.model_validate(field).model_dump(mode="json")
    model, changed = patched(current, CustomFieldUpdate, body)
    try:
        _check_options(FieldType(field.type), model.options)
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), errors=[{"field": "options", "message": str(exc)}]
        ) from None
    if changed:
        for name in changed:
            setattr(field, name, getattr(model, name))
        await session.flush()
        await emit(
            session,
            _event(
                "crm.contacts.custom_field.updated.v1",
                field,
                CustomFieldUpdated(field=_snapshot(field), changed=changed),
            ),
        )
    return field


async def delete(
    *, session: AsyncSession, tenant_id: UUID, field_id: UUID, if_match: str | None
) -> None:
    from contacts_service.accounts.models import Account
    from contacts_service.contacts.models import Contact

    field = await load_for_update(CustomFieldRepository(session, tenant_id), field_id, if_match)
    model = Contact if field.object_type == "contact" else Account
    # Values go with their definition, in one statement; the event tells consumers.
    await session.execute(
        update(model)
        .where(model.tenant_id == tenant_id, model.custom.has_key(field.key))
        .values(
            custom=model.custom.op("-")(literal(field.key)),
            updated_at=func.now(),
            version=model.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    await emit(
        session,
        events.event(
            "crm.contacts.custom_field.deleted.v1",
            CustomFieldDeleted(id=field.id, object_type=field.object_type, key=field.key),
            tenant_id=tenant_id,
            subject=field.id,
            sequence=field.version + 1,
        ),
    )
    await CustomFieldRepository(session, tenant_id).delete(field)
