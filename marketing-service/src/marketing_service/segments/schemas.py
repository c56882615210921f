from datetime import datetime
from typing import Any

from crm_chassis.schemas import EntityRead, Strict
from pydantic import Field, field_validator

from marketing_service.segments.rules import Rule, check_size, dump


class SegmentWrite(Strict):
    """A segment's writable fields: POST body, and the shape a PATCH merges into."""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    rule: Rule

    @field_validator("rule")
    @classmethod
    def _bounded(cls, rule: Rule) -> Rule:
        check_size(rule)
        return rule


class SegmentRead(EntityRead):
    name: str
    description: str | None
    rule: dict[str, Any]
    relative: bool
    evaluated_at: datetime | None


class SegmentCount(Strict):
    count: int


class MemberRead(Strict):
    contact_id: Any
    email: str | None
    first_name: str | None
    last_name: str | None
    entered_at: datetime | None = None


def rule_json(rule: Rule) -> dict[str, Any]:
    return dump(rule)
