"""Contacts' and accounts' search declarations through the chassis compiler: the SQL
shape of each field (containment for the GIN indexes, prefixes for the btree ones), its
values read in the tenant's region, and what fences a narrow search. The compiler's
generic rules are tested in ``services/chassis/tests/test_search_compile.py``."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from contacts_service.custom_fields.rules import FieldDef, FieldType
from contacts_service.search.compile import (
    compile_filter,
    compile_sort,
    is_narrow,
    phone_query,
    phone_reader,
    text_condition,
)
from contacts_service.search.fields import ACCOUNT, CONTACT, custom_fields
from crm_chassis.search import Filter, FilterGroup, Invalid, Operator, parse_value, resolve
from crm_testing.sql import render
from sqlalchemy.dialects import postgresql

DEFS = {
    "tier": FieldDef("tier", FieldType.ENUM, ("bronze", "gold")),
    "score": FieldDef("score", FieldType.NUMBER),
    "budget": FieldDef("budget", FieldType.MONEY),
    "renewal": FieldDef("renewal", FieldType.DATE),
    "vip": FieldDef("vip", FieldType.BOOL),
    "regions": FieldDef("regions", FieldType.MULTI_ENUM, ("emea", "amer")),
    "nickname": FieldDef("nickname", FieldType.TEXT),
    "hotline": FieldDef("hotline", FieldType.PHONE),
}


def sql(field, operator, value=None, resource=CONTACT):
    condition = compile_filter(
        Filter(field=field, operator=operator, value=value), resource, DEFS, phone_region="US"
    )
    return render(condition)


def error(field, operator, value=None):
    with pytest.raises(Invalid) as info:
        compile_filter(
            Filter(field=field, operator=operator, value=value), CONTACT, DEFS, phone_region="US"
        )
    return info.value.part, info.value.message


def test_array_fields_compile_to_containment_and_overlap():
    assert sql("email", "eq", "ADA@x.example") == "contacts.email_keys @> ['ada@x.example']"
    assert sql("phone", "eq", "202-555-0100") == "contacts.phone_keys @> ['+12025550100']"
    assert sql("tags", "in", ["A", " b "]) == "contacts.tags && ['a', 'b']"
    assert sql("tags", "contains", "VIP") == "contacts.tags @> ['vip']"
    assert sql("tags", "exists", False) == "cardinality(contacts.tags) <= 0"


def test_custom_equality_is_containment_but_money_and_text_compare_values():
    assert sql("custom.tier", "eq", "gold") == "contacts.custom @> {'tier': 'gold'}"
    assert sql("custom.score", "eq", "12.50") == "contacts.custom @> {'score': 12.5}"
    assert sql("custom.score", "in", [1, 2]).count("@>") == 2
    assert "@>" not in sql("custom.budget", "eq", 250)
    assert "AS NUMERIC" in sql("custom.budget", "gte", "99.99")
    assert "lower(" in sql("custom.nickname", "eq", "Countess")
    regions = sql("custom.regions", "contains", ["emea", "amer"])
    assert regions == "contacts.custom @> {'regions': ['emea', 'amer']}"
    assert sql("custom.vip", "exists", True) == "contacts.custom ? 'vip'"


def test_text_filters_are_case_insensitive_and_narrowed_by_the_text_index():
    eq = sql("company", "eq", "Acme Labs")
    assert "contacts.search_vector @@ CAST(\"'acme' & 'labs'\" AS TSQUERY)" in eq
    assert "lower(contacts.company) = lower('Acme Labs')" in eq
    prefix = sql("first_name", "starts_with", "Ad")
    assert "@@ CAST(\"'ad':*\" AS TSQUERY)" in prefix and "LIKE lower('Ad%')" in prefix
    # last_name has its own btree on lower(last_name): no prefilter
    assert sql("last_name", "starts_with", "Lov") == (
        "lower(contacts.last_name) LIKE lower('Lov%') ESCAPE '\\'"
    )
    # domains are stored lower-case: the column as its (tenant_id, domain) index has it
    assert sql("domain", "eq", "Acme.Example", ACCOUNT) == "accounts.domain = lower('Acme.Example')"
    # punctuation may tokenise differently: then no prefilter, only the exact test
    assert "@@" not in sql("company", "eq", "AT&T")
    assert "@@" not in sql("title", "eq", "CEO")  # titles are not in the vector
    assert "ESCAPE" in sql("last_name", "starts_with", "50%_off")
    assert (
        sql("title", "contains", "50%_off")
        == "contacts.title ILIKE '%50\\\\%\\\\_off%' ESCAPE '\\'"
    )


def test_external_ids_compare_exactly_through_their_unique_index():
    assert sql("external_id", "eq", "CRM-1") == "contacts.external_id = 'CRM-1'"
    assert sql("external_id", "starts_with", "CRM_") == (
        "contacts.external_id LIKE 'CRM\\\\_%' ESCAPE '\\'"
    )


def test_not_equal_keeps_the_records_without_a_value():
    assert "IS DISTINCT FROM" in sql("lifecycle_stage", "neq", "lead")
    assert sql("do_not_contact", "neq", True) == "contacts.do_not_contact != true"
    assert sql("custom.tier", "neq", "gold").startswith("NOT (contacts.custom @>")


@pytest.mark.parametrize(
    ("field", "operator", "value", "part"),
    [
        ("nope", "eq", 1, "field"),
        ("custom.nope", "eq", 1, "field"),
        ("consent.fax.marketing", "eq", "granted", "field"),
        ("consent.email.", "eq", "granted", "field"),
        ("do_not_contact", "lt", True, "operator"),
        ("custom.tier", "starts_with", "g", "operator"),
        ("custom.regions", "lt", "emea", "operator"),
        ("created_at", "in", [], "operator"),
        ("custom.score", "eq", "many", "value"),
        ("custom.score", "eq", float("nan"), "value"),
        ("custom.score", "eq", True, "value"),
        ("custom.score", "in", [1, "x"], "value[1]"),
        ("custom.score", "in", list(range(101)), "value"),
        ("custom.renewal", "eq", "2026-02-30", "value"),
        ("custom.tier", "eq", "platinum", "value"),
        ("custom.regions", "contains", ["emea", "mars"], "value[1]"),
        ("custom.hotline", "eq", "nope", "value"),
        ("phone", "starts_with", "abc", "value"),
        ("owner_id", "eq", "x", "value"),
        ("first_name", "eq", None, "value"),
        ("first_name", "eq", ["a"], "value"),
        ("first_name", "starts_with", "", "value"),
        ("first_name", "exists", "true", "value"),
        ("tags", "eq", "   ", "value"),
        ("created_at", "gt", "tomorrow", "value"),
    ],
)
def test_bad_filters_name_the_bad_part(field, operator, value, part):
    assert error(field, operator, value)[0] == part


def test_values_are_parsed_to_their_kind():
    def value(field, operator, raw, resource=CONTACT):
        target = resolve(resource, field, custom_fields(DEFS))
        return parse_value(target, Operator(operator), raw, phone_reader("GB"))

    assert value("custom.score", "gt", "1e3") == Decimal("1000")
    assert value("member_since", "eq", "2020-01-02") == date(2020, 1, 2)
    assert value("created_at", "gt", "2026-01-01") == datetime(2026, 1, 1, tzinfo=UTC)
    assert value("created_at", "gt", "2026-01-01T10:00:00+02:00").utcoffset().seconds == 7200
    assert value("owner_id", "in", [str(UUID(int=1))]) == [UUID(int=1)]
    assert value("phone", "eq", "020 7946 0000") == "+442079460000"  # the tenant's region
    assert value("phone", "contains", "(020) 79") == "02079"
    assert value("tags", "contains", "  Big   Deal ") == ["big deal"]
    assert value("employees", "lte", 10, ACCOUNT) == Decimal(10)


def test_searches_are_fenced_only_when_every_group_asks_for_something_rare():
    def group(*filters):
        return FilterGroup(filters=[Filter(field=a, operator=b, value=c) for a, b, c in filters])

    def narrow(*groups, resource=CONTACT):
        return is_narrow(list(groups), resource, common_tags=frozenset({"vip", "smb"}))

    email = ("email", "eq", "a@x.example")
    phones = ("phone", "in", ["+12025550100"])
    lead = ("lifecycle_stage", "eq", "lead")
    assert narrow(group(email, lead), group(phones))
    assert not narrow(group(email), group(lead))
    assert not narrow(group(("email", "contains", "x")))
    assert not narrow()
    assert not narrow(group(("phone", "eq", "+12025550100")), resource=ACCOUNT)
    # tags: rare when the statistics do not know them
    assert narrow(group(("tags", "eq", "Typo")))
    assert not narrow(group(("tags", "eq", "VIP")))
    assert narrow(group(("tags", "contains", ["vip", "rare"])))
    assert not narrow(group(("tags", "in", ["vip", "rare"])))
    assert narrow(group(("tags", "in", ["rare", "rarer"])))
    assert not narrow(group(("tags", "neq", "rare")))
    assert not narrow(group(("tags", "eq", 5)))


def test_sorts_resolve_standard_and_custom_fields():
    sort, errors = compile_sort(None, CONTACT, DEFS)
    assert errors == [] and sort.name == "-created_at" and sort.descending
    assert not sort.target.nullable
    sort, _ = compile_sort("last_name", CONTACT, DEFS)
    assert str(sort.target.expr.compile()) == "lower(contacts.last_name)"
    assert not sort.descending and sort.target.nullable
    sort, _ = compile_sort("-custom.renewal", CONTACT, DEFS)
    assert sort.cursor_value(date(2026, 1, 2)) == "2026-01-02"
    assert sort.parse_cursor_value("2026-01-02") == date(2026, 1, 2)
    assert sort.parse_cursor_value(None) is None
    for bad in ("nope", "custom.regions", "custom.nope", "-email_keys"):
        assert compile_sort(bad, CONTACT, DEFS)[1][0]["field"] == "sort"
    assert compile_sort("name", ACCOUNT, {})[1] == []


def test_text_queries_match_the_search_vector():
    condition = text_condition(CONTACT, lexemes=["ada"], phone=None)
    assert "search_vector @@" in str(condition.compile(dialect=postgresql.dialect()))
    assert str(text_condition(CONTACT, lexemes=[], phone=None).compile()) == "false"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("+44 20 7946 0000", ("+442079460000", "442079460000")),
        ("(202) 555-0100", ("+12025550100", "2025550100")),
        ("4420794", ("+14420794", "4420794")),
        ("12345", None),
        ("ada 123456", None),
        ("1234567890123456", None),
    ],
)
def test_phone_like_queries_are_recognised(query, expected):
    assert phone_query(query, "US") == expected


def test_a_phone_query_matches_the_number_or_a_digit_prefix():
    condition = text_condition(CONTACT, lexemes=[], phone=("+12025550100", "2025550100"))
    text = render(condition)
    assert "phone_keys @> ['+12025550100']" in text and "\"'2025550100':*\"" in text
