"""The value rules of tenant-defined custom fields, shared by every resource that has them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from crm_chassis.custom_fields import check_values, problem, search_fields
from crm_chassis.errors import ValidationFailed
from crm_chassis.search import Kind


@dataclass
class Def:
    key: str
    kind: str
    options: list[str] = field(default_factory=list)
    required: bool = False


DEFS = {
    "tier": Def("tier", "enum", ["gold", "free"], required=True),
    "seats": Def("seats", "number"),
    "since": Def("since", "date"),
    "vip": Def("vip", "bool"),
    "note": Def("note", "text"),
}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("tier", "silver", "must be one of gold, free"),
        ("seats", True, "must be a number"),
        ("seats", "3", "must be a number"),
        ("since", "yesterday", "must be a date (YYYY-MM-DD)"),
        ("vip", 1, "must be true or false"),
        ("note", "x" * 2001, "must be text"),
        ("tier", None, "required"),
    ],
)
def test_a_value_of_the_wrong_kind_is_named(key: str, value: object, message: str) -> None:
    assert problem(DEFS[key], value) == message


def test_good_values_and_an_optional_null_pass() -> None:
    good = {"tier": "gold", "seats": 2.5, "since": "2026-12-02", "vip": False, "note": None}
    check_values(DEFS, good, enforce_required=True)


def test_every_bad_key_is_one_error_and_required_ones_only_when_enforced() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_values(DEFS, {"colour": "red", "seats": "many"}, enforce_required=True)
    assert caught.value.errors == [
        {"field": "custom.colour", "message": "no such custom field"},
        {"field": "custom.seats", "message": "must be a number"},
        {"field": "custom.tier", "message": "required"},
    ]
    check_values(DEFS, {"seats": 3})  # a patch of other fields: tier is not asked for


def test_search_targets_carry_kind_and_options() -> None:
    targets = search_fields(DEFS)
    assert targets["tier"].kind is Kind.ENUM and tuple(targets["tier"].options) == ("gold", "free")
    assert targets["since"].kind is Kind.DATE
