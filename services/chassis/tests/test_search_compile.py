"""The search compiler over a resource declared here: what any service's ``POST /search``
gets from the chassis (operators per kind, errors at their place, custom fields in JSONB,
sorts and their cursor values). contacts-service tests its own declarations."""

from datetime import date
from enum import StrEnum
from uuid import UUID

import pytest
from crm_chassis.search import (
    CustomField,
    Filter,
    FilterGroup,
    Invalid,
    Kind,
    Operator,
    Prefixed,
    Resource,
    Target,
    UnknownField,
    compile_filter,
    compile_filters,
    compile_sort,
    field,
    prefix_tsquery,
    sort_field,
    text_condition,
)
from crm_testing.sql import render
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Boolean, Date, DateTime, Numeric, String, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Deal(Base):
    __tablename__ = "deals"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(20))
    amount: Mapped[float | None] = mapped_column(Numeric(19, 4))
    closes_on: Mapped[date | None] = mapped_column(Date)
    created_at = mapped_column(DateTime(timezone=True), nullable=False)
    won: Mapped[bool] = mapped_column(Boolean)
    tags = mapped_column(ARRAY(Text), nullable=False)
    phones = mapped_column(ARRAY(Text), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    custom = mapped_column(JSONB, nullable=False)
    flags = mapped_column(JSONB, nullable=False)
    search_vector = mapped_column(TSVECTOR)


def _flag(name: str) -> Target:
    flag = name.removeprefix("flag.")
    if not flag.isalpha():
        raise UnknownField("flag filters are flag.<letters>")
    return Target(name, Kind.BOOL, Deal.flags[flag].astext.cast(Boolean))


DEAL = Resource(
    name="deal",
    model=Deal,
    fields={
        "id": field("id", Kind.UUID, Deal.id, nullable=False),
        "name": field("name", Kind.TEXT, Deal.name, nullable=False, vector=Deal.search_vector),
        "code": field("code", Kind.KEY, Deal.code),
        "stage": field("stage", Kind.ENUM, Deal.stage, options=("open", "won", "lost")),
        "amount": field("amount", Kind.NUMBER, Deal.amount),
        "closes_on": field("closes_on", Kind.DATE, Deal.closes_on),
        "created_at": field("created_at", Kind.DATETIME, Deal.created_at, nullable=False),
        "won": field("won", Kind.BOOL, Deal.won, nullable=False),
        "tags": field("tags", Kind.TAGS, Deal.tags),
        "phones": field("phones", Kind.PHONES, Deal.phones),
        "phone": field("phone", Kind.PHONE, Deal.phone),
    },
    sorts={
        "created_at": sort_field("created_at", Kind.DATETIME, Deal.created_at, nullable=False),
        "name": sort_field("name", Kind.TEXT, Deal.name, nullable=False),
        "closes_on": sort_field("closes_on", Kind.DATE, Deal.closes_on),
    },
    custom=Deal.custom,
    prefixed=(Prefixed("flag.", "flag.<name>", _flag),),
    vector=Deal.search_vector,
    phone_match=lambda e164: Deal.phones.contains([e164]),
)
CUSTOM = {
    "tier": CustomField("tier", Kind.ENUM, ("bronze", "gold")),
    "score": CustomField("score", Kind.NUMBER),
    "budget": CustomField("budget", Kind.MONEY),
    "regions": CustomField("regions", Kind.MULTI_ENUM, ("emea", "amer")),
    "nickname": CustomField("nickname", Kind.TEXT),
}


def sql(name, operator, value=None, **kw):
    return render(
        compile_filter(Filter(field=name, operator=operator, value=value), DEAL, CUSTOM, **kw)
    )


def error(name, operator, value=None):
    with pytest.raises(Invalid) as info:
        compile_filter(Filter(field=name, operator=operator, value=value), DEAL, CUSTOM)
    return info.value.part, info.value.message


def test_each_kind_takes_its_operators_and_says_which_fit():
    assert error("won", "gt", True) == (
        "operator",
        "not valid for a bool field; use eq, neq, exists",
    )
    assert error("stage", "starts_with", "o")[0] == "operator"
    assert error("created_at", "in", [])[0] == "operator"
    assert sql("amount", "gte", "1e3") == "deals.amount >= Decimal('1E+3')"
    assert sql("stage", "neq", "won") == "deals.stage IS DISTINCT FROM 'won'"
    assert sql("won", "neq", True) == "deals.won != true"  # not nullable: a plain !=
    assert sql("code", "starts_with", "A_") == "deals.code LIKE 'A\\\\_%' ESCAPE '\\'"


def test_custom_fields_are_jsonb_containment_but_money_and_text_compare_values():
    assert sql("custom.tier", "eq", "gold") == "deals.custom @> {'tier': 'gold'}"
    assert sql("custom.score", "eq", "12.50") == "deals.custom @> {'score': 12.5}"
    assert "@>" not in sql("custom.budget", "eq", 250) and "AS NUMERIC" in sql(
        "custom.budget", "gt", 1
    )
    assert "lower(" in sql("custom.nickname", "eq", "Ace")
    assert sql("custom.regions", "contains", ["emea"]) == "deals.custom @> {'regions': ['emea']}"
    assert sql("custom.tier", "exists", True) == "deals.custom ? 'tier'"


def test_unknown_fields_name_every_form_the_resource_takes():
    part, message = error("nope", "eq", 1)
    assert part == "field"
    assert message.endswith("tags, won, custom.<key>, flag.<name>")
    assert error("custom.nope", "eq", 1) == ("field", "no custom field 'nope' on deals")
    assert error("flag.1", "eq", True) == ("field", "flag filters are flag.<letters>")
    assert sql("flag.hot", "eq", True) == "CAST((deals.flags ->> 'hot') AS BOOLEAN) = true"


def test_phone_numbers_are_read_by_the_callers_reader():
    assert sql("phones", "eq", "+1 202 555 0100") == "deals.phones @> ['+12025550100']"
    assert error("phone", "eq", "202 555 0100") == ("value", "must be a phone number")
    local = sql("phone", "eq", "202 555 0100", phone=lambda v: "+1" + v.replace(" ", ""))
    assert local == "deals.phone = '+12025550100'"


def test_a_filter_of_any_string_enum_compiles_like_the_chassis_operator():
    class TheirOperator(StrEnum):
        EQ = "eq"

    class TheirFilter:
        field, operator, value = "stage", TheirOperator.EQ, "won"

    assert render(compile_filter(TheirFilter(), DEAL, CUSTOM)) == "deals.stage = 'won'"


def test_groups_are_or_of_ands_and_every_error_is_collected():
    ok = Filter(field="name", operator="eq", value="a")
    where, errors = compile_filters(
        [FilterGroup(filters=[ok, ok]), FilterGroup(filters=[ok])], DEAL, CUSTOM
    )
    assert errors == []
    text = str(where.compile(dialect=postgresql.dialect()))
    assert text.count(" OR ") == 1 and text.count(" AND ") >= 2
    bad = [
        FilterGroup(filters=[ok, Filter(field="x", operator="eq", value=1)]),
        FilterGroup(filters=[Filter(field="tags", operator="gt", value="a")]),
    ]
    _, errors = compile_filters(bad, DEAL, CUSTOM)
    assert [e["field"] for e in errors] == [
        "filter_groups[0].filters[1].field",
        "filter_groups[1].filters[0].operator",
    ]
    everything, errors = compile_filters([], DEAL, CUSTOM)
    assert str(everything.compile()) == "true" and errors == []


def test_sorts_resolve_standard_and_custom_fields_with_their_cursor_values():
    sort, errors = compile_sort(None, DEAL, CUSTOM)
    assert errors == [] and sort.name == "-created_at" and sort.descending
    sort, _ = compile_sort("name", DEAL, CUSTOM)
    assert str(sort.target.expr.compile()) == "lower(deals.name)" and not sort.descending
    sort, _ = compile_sort("-closes_on", DEAL, CUSTOM)
    assert sort.cursor_value(date(2026, 1, 2)) == "2026-01-02"
    assert sort.parse_cursor_value("2026-01-02") == date(2026, 1, 2)
    assert compile_sort("custom.score", DEAL, CUSTOM)[1] == []
    assert compile_sort("custom.regions", DEAL, CUSTOM)[1] == [
        {"field": "sort", "message": "cannot sort by a multi_enum field"}
    ]
    assert compile_sort("amount", DEAL, CUSTOM)[1][0]["message"] == (
        "sort by one of closes_on, created_at, name, custom.<key>"
    )


def test_text_queries_become_quoted_prefix_tsqueries():
    assert prefix_tsquery(["ada", "o'brien", "a\\b"]) == "'ada':* & 'o''brien':* & 'a\\\\b':*"
    assert "search_vector @@" in render(text_condition(DEAL, lexemes=["ada"], phone=None))
    assert str(text_condition(DEAL, lexemes=[], phone=None).compile()) == "false"
    by_phone = render(text_condition(DEAL, lexemes=[], phone=("+12025550100", "2025550100")))
    assert "phones @> ['+12025550100']" in by_phone and "\"'2025550100':*\"" in by_phone


FIELDS = sorted(DEAL.fields) + [f"custom.{k}" for k in CUSTOM] + ["flag.hot"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    name=st.sampled_from(FIELDS) | st.text(max_size=30),
    operator=st.sampled_from(list(Operator)),
    value=JSON,
)
def test_any_filter_compiles_or_is_a_named_error_never_a_crash(name, operator, value):
    group = FilterGroup(filters=[Filter(field=name.strip() or "x", operator=operator, value=value)])
    where, errors = compile_filters([group], DEAL, CUSTOM)
    assert len(errors) <= 1
    if errors:
        assert errors[0]["field"].startswith("filter_groups[0].filters[0].")
    else:
        where.compile(dialect=postgresql.dialect())
