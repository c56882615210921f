from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from crm_chassis.schemas import EntityRead, Strict
from pydantic import Field, model_validator

Operator = Literal["eq", "neq", "in", "not_in", "gt", "gte", "lt", "lte", "contains", "exists"]


class ConditionIn(Strict):
    field: str = Field(pattern=r"^[a-z_]+(\.[a-z0-9_]+)?$", max_length=80)
    operator: Operator
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> ConditionIn:
        if self.operator in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"{self.operator} takes a list of values")
        if self.operator == "exists" and not isinstance(self.value, bool):
            raise ValueError("exists takes true or false")
        if self.operator in ("gt", "gte", "lt", "lte") and not isinstance(self.value, int | str):
            raise ValueError(f"{self.operator} takes a number (or a decimal string)")
        return self


class RuleWrite(Strict):
    """An assignment rule: all conditions must hold; then the lead goes to ``owner_id``
    or round-robin through ``queue_id``. Rules run by ``position``, lowest first."""

    name: str = Field(min_length=1, max_length=200)
    position: int = Field(ge=0, le=10_000)
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=20)
    owner_id: UUID | None = None
    queue_id: UUID | None = None
    active: bool = True

    @model_validator(mode="after")
    def _one_target(self) -> RuleWrite:
        if (self.owner_id is None) == (self.queue_id is None):
            raise ValueError("a rule assigns to exactly one of owner_id and queue_id")
        return self


class RuleRead(RuleWrite, EntityRead):
    pass


class QueueWrite(Strict):
    """A team or queue: its members in round-robin order; ``unavailable`` are skipped
    (out of office, at capacity)."""

    name: str = Field(min_length=1, max_length=200)
    members: list[UUID] = Field(default_factory=list, max_length=200)
    unavailable: list[UUID] = Field(default_factory=list, max_length=200)


class QueueRead(QueueWrite, EntityRead):
    last_assigned: UUID | None = None
