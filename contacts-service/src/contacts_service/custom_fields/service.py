"""Custom field definitions (C3) and the validation of values against them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, Crud, View, removed_keys
from crm_chassis.entity_events import EntityEvents
from crm_chassis.errors import Conflict, ValidationFailed
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


async def list_all(call: Call, object_type: str | None) -> list[CustomField]:
    repo = CustomFieldRepository(call.session, call.actor)
    stmt = repo.select().order_by(CustomField.object_type, CustomField.key)
    if object_type:
        stmt = stmt.where(CustomField.object_type == object_type)
    return await repo.list(stmt)


class CustomFields(Crud[CustomField]):
    """Definitions: one key per object type; a patch may not change a type's options
    into an invalid set; deleting a definition deletes its values."""

    def __init__(self) -> None:
        super().__init__(
            CustomFieldRepository,
            CUSTOM_FIELD,
            CustomFieldCreate,
            EVENTS,
            update=CustomFieldUpdate,
            columns=lambda model: model.model_dump(mode="json"),
        )

    async def check_create(self, call: Call, data: Any) -> None:
        if await CustomFieldRepository(call.session, call.actor).keyed(data.object_type, data.key):
            raise Conflict(f"A {data.object_type} field with key {data.key!r} exists")

    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        try:
            _check_options(FieldType(entity.type), model.options)
        except ValueError as exc:
            raise ValidationFailed(
                str(exc), errors=[{"field": "options", "message": str(exc)}]
            ) from None

    async def before_delete(self, call: Call, entity: Any) -> None:
        from contacts_service.accounts.repository import AccountRepository
        from contacts_service.contacts.repository import ContactRepository

        records = ContactRepository if entity.object_type == "contact" else AccountRepository
        # Values go with their definition, in one statement; the event tells consumers.
        await records(call.session, call.tenant_id).drop_custom_key(entity.key)

    def deleted_event(self, entity: Any) -> Any:
        return EVENTS.deleted(entity, object_type=entity.object_type, key=entity.key)


CUSTOM_FIELDS = CustomFields()
