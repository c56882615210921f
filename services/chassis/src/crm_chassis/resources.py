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


def patched(entity: Any, schema: type[W], patch: Any) -> tuple[W, dict[str, Any]]:
    """Apply a JSON Merge Patch to the writable fields of ``entity``.

    Returns the validated full write model and the fields whose values change.
    """
    body = require_object(patch)
    unknown = [k for k in body if k not in schema.model_fields]
    if unknown:
        raise ValidationFailed(
            "The patch names fields that cannot be written",
            errors=[{"field": k, "message": "unknown field"} for k in unknown],
        )
    current = {name: getattr(entity, name) for name in schema.model_fields}
    current = schema.model_construct(**current).model_dump(mode="json")
    model = validate(schema, merge_patch(current, body))
    changes = {
        name: value
        for name in schema.model_fields
        if (value := getattr(model, name)) != getattr(entity, name)
    }
    return model, changes


def assign(entity: Any, changes: dict[str, Any]) -> list[str]:
    """Set ``changes`` on ``entity``; the sorted names of the fields set."""
    for name, value in changes.items():
        setattr(entity, name, value)
    return sorted(changes)
