"""The body of every ``POST /v1/<resource>/search``, parsed with error paths a client
can act on.

The body is validated here rather than by FastAPI so that every error, structural or
semantic, names its place the same way: ``filter_groups[0].filters[1].value``. A route
reads the body raw (``Body()``), documents it with ``inline_schema(SearchRequest)`` and
calls :func:`parse_request`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_chassis.errors import ValidationFailed
from crm_chassis.pagination import DEFAULT_LIMIT, MAX_LIMIT

MAX_GROUPS = 5
MAX_FILTERS = 10
MAX_QUERY = 200


class Operator(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    EXISTS = "exists"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Filter(_Body):
    field: str = Field(
        min_length=1,
        max_length=140,
        description="A field of the resource, `custom.<key>` or `consent.<channel>.<purpose>`",
    )
    operator: Operator
    value: Any = Field(
        None,
        description="Typed by the field; a list for `in`; true/false for `exists`",
    )


class FilterGroup(_Body):
    filters: list[Filter] = Field(min_length=1, max_length=MAX_FILTERS)


class SearchRequest(_Body):
    """Records matching ANY group, where a group matches when ALL its filters do."""

    filter_groups: list[FilterGroup] = Field(default_factory=list, max_length=MAX_GROUPS)
    query: str | None = Field(
        None,
        max_length=MAX_QUERY,
        description="Free text: every word must start a word of the record's searchable "
        "text; a phone number also matches any of the record's numbers",
    )
    sort: str | None = Field(
        None,
        max_length=140,
        description="`created_at`, `-last_name`, `custom.<key>`...; `-` for descending; "
        "records without a value come last either way",
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)

    def fields_named(self) -> list[str]:
        """Every field the request filters or sorts by."""
        names = [f.field for group in self.filter_groups for f in group.filters]
        return names + ([self.sort.lstrip("-")] if self.sort else [])


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("filter_groups", 0, "filters", 1, "value")`` as ``filter_groups[0].filters[1].value``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def parse_request(raw: Any) -> SearchRequest:
    """The search body from its JSON form, or a 422 naming each bad place."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValidationFailed(
            "The search body must be a JSON object",
            errors=[{"field": "body", "message": "must be a JSON object"}],
        )
    try:
        return SearchRequest.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {
                "field": field_path(err["loc"]),
                "message": "unknown field" if err["type"] == "extra_forbidden" else err["msg"],
            }
            for err in exc.errors()
        ]
        raise ValidationFailed("The search request did not validate", errors=errors) from exc
