"""Helpers for the read-modify-write cycle every resource shares."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from crm_chassis.errors import ValidationFailed
from crm_chassis.http import merge_patch, require_object

W = TypeVar("W", bound=BaseModel)


def errors_of(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as ``[{field, message}]``."""
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "body"
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        out.append({"field": field, "message": message})
    return out


def validate(schema: type[W], data: Any) -> W:
    """``schema`` validated from ``data``, or a 422 with one error per field."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("The request did not validate", errors=errors_of(exc)) from exc


def patched(current: dict[str, Any], schema: type[W], patch: Any) -> tuple[W, list[str]]:
    """Apply a JSON Merge Patch to ``current``, the JSON form of a resource.

    Returns the validated write model and the sorted names of the fields whose JSON value
    changes. A schema may declare ``DERIVED = {"email": "emails"}``: a field computed from
    another is dropped when only its source is patched, so the source wins; setting the
    derived field to null removes the source's primary entry.
    """
    body = require_object(patch)
    unknown = [k for k in body if k not in schema.model_fields]
    if unknown:
        raise ValidationFailed(
            "The patch names fields that cannot be written",
            errors=[{"field": k, "message": "unknown field"} for k in unknown],
        )
    writable = {k: v for k, v in current.items() if k in schema.model_fields}
    merged = merge_patch(writable, body)
    for derived, source in getattr(schema, "DERIVED", {}).items():
        if source in body and derived not in body:
            merged.pop(derived, None)
        elif derived in body and body[derived] is None and source not in body:
            # Clearing the shortcut removes the primary entry it stands for.
            merged[source] = [i for i in merged.get(source) or [] if not i.get("primary")]
    model = validate(schema, merged)
    after = model.model_dump(mode="json")
    changed = sorted(k for k in schema.model_fields if after.get(k) != writable.get(k))
    return model, changed


def assign(entity: Any, changes: dict[str, Any]) -> list[str]:
    """Set ``changes`` on ``entity``; the sorted names of the fields set."""
    for name, value in changes.items():
        setattr(entity, name, value)
    return sorted(changes)
