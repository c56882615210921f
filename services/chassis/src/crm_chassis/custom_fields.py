"""Custom fields a tenant defines on a resource (leads, tickets, ...): the definitions'
rules, values checked against them on every write, and the search compiler's targets.

A service keeps the definitions in a table of its own (an ``Entity`` with ``key``,
``label``, ``kind``, ``options`` and, where it applies, ``required``) behind a
:class:`FieldDefinitions` use case; a write of the resource calls :func:`check_values`
with the resource's ``custom`` object, which answers a 422 naming each ``custom.<key>``
that is undefined, of the wrong kind or (with ``enforce_required``) required and missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

from crm_chassis.crud import Call, Crud
from crm_chassis.errors import Conflict, ValidationFailed
from crm_chassis.search import CustomField, Kind

KINDS = {"text": Kind.TEXT, "number": Kind.NUMBER, "bool": Kind.BOOL, "date": Kind.DATE,
         "enum": Kind.ENUM}  # fmt: skip
"""The kinds a definition may have, as the search compiler types them."""
MAX_TEXT = 2000


class Definition(Protocol):
    key: str
    kind: str
    options: list[str]


def search_fields(defs: Mapping[str, Definition]) -> dict[str, CustomField]:
    """The search compiler's typed targets ``custom.<key>`` of these definitions."""
    return {k: CustomField(k, KINDS[f.kind], tuple(f.options)) for k, f in defs.items()}


def problem(field: Definition, value: Any) -> str | None:
    """What is wrong with ``value`` for ``field`` (None: nothing); a null value is no value,
    which only a required field refuses."""
    if value is None:
        return "required" if getattr(field, "required", False) else None
    if field.kind == "text":
        return None if isinstance(value, str) and len(value) <= MAX_TEXT else "must be text"
    if field.kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if field.kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if field.kind == "date":
        try:
            dt.date.fromisoformat(value)
            return None
        except (TypeError, ValueError):
            return "must be a date (YYYY-MM-DD)"
    return None if value in field.options else f"must be one of {', '.join(field.options)}"


def check_values(
    defs: Mapping[str, Definition], custom: Mapping[str, Any], *, enforce_required: bool = False
) -> None:
    """422 naming each ``custom.<key>`` of ``custom`` (the resource's whole object) that is
    undefined or of the wrong kind, and with ``enforce_required`` each required one
    missing."""
    must = (
        {k for k, f in defs.items() if getattr(f, "required", False)} if enforce_required else set()
    )
    errors = []
    for key in sorted(set(custom) | must):
        field = defs.get(key)
        found = "no such custom field" if field is None else problem(field, custom.get(key))
        if found:
            errors.append({"field": f"custom.{key}", "message": found})
    if errors:
        raise ValidationFailed("Custom fields did not validate", errors=errors)


class FieldDefinitions(Crud[Any]):
    """The use cases of a resource's custom field definitions: an enum needs options, and
    a field's key and kind are fixed once created (stored values depend on them)."""

    async def check_create(self, call: Call, data: Any) -> None:
        if data.kind == "enum" and not data.options:
            raise ValidationFailed(
                "An enum field needs options",
                errors=[{"field": "options", "message": "an enum needs options"}],
            )

    async def check_patch(self, call: Call, entity: Any, model: Any, changed: list[str]) -> None:
        if "key" in changed or "kind" in changed:
            raise Conflict("A custom field's key and kind are fixed once created")
        await self.check_create(call, model)
