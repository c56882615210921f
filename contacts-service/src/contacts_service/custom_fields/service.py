"""Custom field definitions (C3) and the validation of values against them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import (
    Call,
    View,
    load_for_update,
    patch_model,
    removed_keys,
    set_columns,
)
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import Conflict, ValidationFailed
from crm_chassis.outbox import emit
from crm_chassis.repository import TenantRepository
from crm_proto.events.contacts import (
    CustomFieldCreated,
    CustomFieldDeleted,
    CustomFieldSnapshot,
    CustomFieldUpdated,
)
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
    label = "custom field"

    async def keyed(self, object_type: str, key: str) -> list[CustomField]:
        return await self.list(
            self.select().where(CustomField.object_type == object_type, CustomField.key == key)
        )

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


async def custom_of(
    call: Call, object_type: str, values: dict[str, Any], *, phone_region: str, patch: Any = None
) -> dict[str, Any]:
    """A record's custom values checked for a create, or for a merge ``patch`` (whose
    nulls remove keys, and which does not enforce required fields)."""
    return await checked_values(
        call.session,
        call.tenant_id,
        object_type,
        values,
        phone_region=phone_region,
        enforce_required=patch is None,
        removed=set() if patch is None else removed_keys(patch),
    )


CUSTOM_FIELD = View("custom_field", CustomFieldRead, path="/v1/custom-fields")
EVENTS = EntityEvents(
    events,
    "crm.contacts.custom_field",
    CustomFieldSnapshot,
    "field",
    created=CustomFieldCreated,
    updated=CustomFieldUpdated,
    deleted=CustomFieldDeleted,
)


async def create(call: Call, data: CustomFieldCreate) -> CustomField:
    repo = CustomFieldRepository(call.session, call.actor)
    if await repo.keyed(data.object_type, data.key):
        raise Conflict(f"A {data.object_type} field with key {data.key!r} exists")
    values = data.model_dump(mode="json")
    field = await repo.add(CustomField(tenant_id=call.tenant_id, **values))
    await emit(call.session, EVENTS.created(field))
    return field


async def get(call: Call, field_id: UUID) -> CustomField:
    return await CustomFieldRepository(call.session, call.actor).require(field_id)


async def list_all(call: Call, object_type: str | None) -> list[CustomField]:
    repo = CustomFieldRepository(call.session, call.actor)
    stmt = repo.select().order_by(CustomField.object_type, CustomField.key)
    if object_type:
        stmt = stmt.where(CustomField.object_type == object_type)
    return await repo.list(stmt)


async def patch(call: Call, field_id: UUID, body: Any, *, if_match: str | None) -> CustomField:
    # Locked: two concurrent patches of one field run one after the other, and the
    # second one's If-Match then sees the first one's version (412), never a stale row.
    repo = CustomFieldRepository(call.session, call.actor)
    field = await load_for_update(repo, field_id, if_match)
    model, changed = patch_model(CUSTOM_FIELD, call.actor, field, CustomFieldUpdate, body)
    try:
        _check_options(FieldType(field.type), model.options)
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), errors=[{"field": "options", "message": str(exc)}]
        ) from None
    if changed:
        set_columns(field, model.model_dump(), changed)
        await call.session.flush()
        await emit(call.session, EVENTS.updated(field, changed))
    return field


async def delete(call: Call, field_id: UUID, *, if_match: str | None) -> None:
    from contacts_service.accounts.repository import AccountRepository
    from contacts_service.contacts.repository import ContactRepository

    repo = CustomFieldRepository(call.session, call.actor)
    field = await load_for_update(repo, field_id, if_match)
    records = ContactRepository if field.object_type == "contact" else AccountRepository
    # Values go with their definition, in one statement; the event tells consumers.
    await records(call.session, call.tenant_id).drop_custom_key(field.key)
    await emit(call.session, EVENTS.deleted(field, object_type=field.object_type, key=field.key))
    await repo.delete(field)
