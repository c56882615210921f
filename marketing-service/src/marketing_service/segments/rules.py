"""The rule tree of a segment (M1), as the API takes it and the database stores it.

A rule is one of

- ``{"all": [rule, ...]}``, ``{"any": [rule, ...]}``, ``{"not": rule}``;
- ``{"field": "lifecycle_stage", "op": "eq", "value": "lead"}`` over an attribute of the
  contact, ``score``, or a custom field ``custom.<key>``;
- ``{"tag": "vip"}``: the contact carries the tag;
- ``{"event": "page_view", "name": "/pricing", "min_count": 3, "within_days": 14}``:
  behaviour (page visits, custom events, forms, email sends, opens, clicks; an email
  event may name its ``campaign_id``), at least ``min_count`` times, in the last
  ``within_days`` days when given (relative to the time of evaluation, so the rule stops
  holding as time passes);
- ``{"deal": "open"}``: the contact has an open deal; ``{"deal": "won",
  "older_than_days": 90}``: their last won deal is older than that (or ``within_days``);
- ``{"order": "placed", "older_than_days": 90}``: their last order (of their account, or
  of a deal of theirs) is older than that (or ``within_days``; neither: they have one).

Models forbid unknown keys, so exactly one kind matches a JSON object; a tree is limited
in size and depth so a segment stays one reasonable query.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from crm_chassis.schemas import Strict
from pydantic import Field, model_validator

MAX_NODES = 100
MAX_DEPTH = 8

ATTRIBUTES = {
    "email": "text",
    "first_name": "text",
    "last_name": "text",
    "title": "text",
    "company": "text",
    "lifecycle_stage": "text",
    "country": "text",
    "city": "text",
    "membership_level": "text",
    "owner_id": "uuid",
    "account_id": "uuid",
    "score": "number",
    "created_at": "time",
}
"""Attribute name -> its kind; ``created_at`` is when the contact was created."""

Op = Literal["eq", "neq", "lt", "lte", "gt", "gte", "in", "contains", "starts_with", "exists"]
EventKind = Literal[
    "page_view", "custom", "form_submitted", "email_sent", "email_opened", "email_clicked"
]
Scalar = str | int | float | bool


class FieldRule(Strict):
    field: str = Field(pattern=r"^([a-z_]+|custom\.[A-Za-z0-9_]{1,64})$")
    op: Op
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _known_and_complete(self) -> FieldRule:
        if not self.field.startswith("custom.") and self.field not in ATTRIBUTES:
            raise ValueError(f"unknown field {self.field!r}")
        if self.op == "in" and not isinstance(self.value, list):
            raise ValueError("'in' takes a list of values")
        if self.op not in ("in", "exists") and (self.value is None or isinstance(self.value, list)):
            raise ValueError(f"{self.op!r} takes one value")
        if self.op == "exists" and not isinstance(self.value, bool | None):
            raise ValueError("'exists' takes true, false or nothing")
        return self


class TagRule(Strict):
    tag: str = Field(min_length=1, max_length=100)


class EventRule(Strict):
    event: EventKind
    name: str | None = Field(None, max_length=500)
    campaign_id: UUID | None = None
    min_count: int = Field(1, ge=1, le=10_000)
    within_days: int | None = Field(None, ge=1, le=3650)


class DealRule(Strict):
    deal: Literal["open", "won"]
    older_than_days: int | None = Field(None, ge=1, le=3650)
    within_days: int | None = Field(None, ge=1, le=3650)

    @model_validator(mode="after")
    def _one_window(self) -> DealRule:
        if self.older_than_days and self.within_days:
            raise ValueError("give older_than_days or within_days, not both")
        if self.deal == "open" and (self.older_than_days or self.within_days):
            raise ValueError("an open deal has no age")
        return self


class OrderRule(Strict):
    order: Literal["placed"]
    older_than_days: int | None = Field(None, ge=1, le=3650)
    within_days: int | None = Field(None, ge=1, le=3650)

    @model_validator(mode="after")
    def _one_window(self) -> OrderRule:
        if self.older_than_days and self.within_days:
            raise ValueError("give older_than_days or within_days, not both")
        return self


class AllRule(Strict):
    all: list[Rule] = Field(min_length=1)


class AnyRule(Strict):
    any: list[Rule] = Field(min_length=1)


class NotRule(Strict):
    not_: Rule = Field(alias="not")


Rule = Annotated[
    AllRule | AnyRule | NotRule | FieldRule | TagRule | EventRule | DealRule | OrderRule, Field()
]

for _model in (AllRule, AnyRule, NotRule):
    _model.model_rebuild()


def children(rule: Rule) -> list[Rule]:
    if isinstance(rule, AllRule):
        return rule.all
    if isinstance(rule, AnyRule):
        return rule.any
    if isinstance(rule, NotRule):
        return [rule.not_]
    return []


def check_size(rule: Rule) -> None:
    """ValueError when the tree is larger or deeper than a segment may be."""
    nodes, stack = 0, [(rule, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            raise ValueError(f"a rule is at most {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in children(node))
    if nodes > MAX_NODES:
        raise ValueError(f"a rule has at most {MAX_NODES} nodes")


def is_relative(rule: Rule) -> bool:
    """Whether the rule depends on the time of evaluation (so it must be re-evaluated as
    time passes, not only when an event arrives)."""
    if isinstance(rule, EventRule):
        return rule.within_days is not None
    if isinstance(rule, DealRule | OrderRule):
        return bool(rule.within_days or rule.older_than_days)
    if isinstance(rule, FieldRule):
        return rule.field == "created_at"
    return any(is_relative(child) for child in children(rule))


def dump(rule: Rule) -> dict[str, Any]:
    """The JSON form stored and shown."""
    return rule.model_dump(mode="json", by_alias=True, exclude_none=True)
