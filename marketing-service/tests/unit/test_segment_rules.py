"""The segment rule tree and its compiler, without a database."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marketing_service.segments.compiler import compile_rule
from marketing_service.segments.membership import parse
from marketing_service.segments.rules import check_size, dump, is_relative
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql

NOW = datetime(2026, 12, 1, tzinfo=UTC)
WORDS = st.text(alphabet="abcxyz'%_\\;", min_size=1, max_size=8)

leaf = st.one_of(
    st.builds(
        lambda f, op, v: {"field": f, "op": op, "value": v},
        st.sampled_from(["first_name", "company", "lifecycle_stage", "custom.tier"]),
        st.sampled_from(["eq", "neq", "lt", "gte", "contains", "starts_with"]),
        WORDS,
    ),
    st.builds(
        lambda v, op: {"field": "score", "op": op, "value": v},
        st.integers(-100, 100),
        st.sampled_from(["eq", "lt", "lte", "gt", "gte"]),
    ),
    st.builds(lambda t: {"tag": t}, WORDS),
    st.builds(
        lambda n, d, k: {"event": "page_view", "name": n, "min_count": k, "within_days": d},
        WORDS,
        st.none() | st.integers(1, 30),
        st.integers(1, 5),
    ),
    st.just({"deal": "open"}),
    st.builds(lambda d: {"deal": "won", "older_than_days": d}, st.integers(1, 400)),
    st.builds(lambda d: {"order": "placed", "within_days": d}, st.integers(1, 400)),
    st.just({"order": "placed"}),
)
trees = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=8,
)


def sql(rule: dict) -> str:
    return str(compile_rule(parse(rule), NOW).compile(dialect=postgresql.dialect()))


@settings(max_examples=150, deadline=None)
@given(trees)
def test_every_valid_tree_compiles_with_its_values_bound_never_inlined(tree):
    rule = parse(tree)
    check_size(rule)
    # The compiler's own fixed literal (LIKE's escape character) is not a value.
    text = sql(tree).replace("ESCAPE '\\'", "ESCAPE")
    for value in _strings(tree):
        if "'" in value or ";" in value:  # what would break out of an inlined literal
            assert value not in text, (value, text)


@settings(max_examples=150, deadline=None)
@given(trees)
def test_a_tree_survives_its_stored_form(tree):
    rule = parse(tree)
    assert parse(dump(rule)) == rule


def test_relative_rules_are_those_measured_from_the_time_of_evaluation():
    assert is_relative(parse({"event": "page_view", "within_days": 14}))
    assert is_relative(parse({"not": {"deal": "won", "older_than_days": 90}}))
    assert is_relative(parse({"order": "placed", "older_than_days": 90}))
    assert not is_relative(parse({"order": "placed"}))
    assert not is_relative(parse({"all": [{"tag": "a"}, {"event": "email_opened"}]}))


def test_a_negation_holds_for_a_contact_without_the_value():
    assert "coalesce" in sql({"not": {"field": "company", "op": "eq", "value": "Acme"}}).lower()


def test_more_than_min_count_events_are_not_counted_past_what_is_needed():
    assert "LIMIT" in sql({"event": "page_view", "min_count": 3})
    assert "EXISTS" in sql({"event": "email_opened", "campaign_id": str(uuid4())})


@pytest.mark.parametrize(
    "tree",
    [
        {"field": "password", "op": "eq", "value": "x"},
        {"field": "score", "op": "in", "value": 3},
        {"field": "score", "op": "eq"},
        {"any": []},
        {"event": "page_view", "min_count": 0},
        {"deal": "open", "older_than_days": 3},
        {"order": "placed", "older_than_days": 3, "within_days": 9},
        {"order": "returned"},
        {"tag": "x", "field": "score"},
    ],
)
def test_malformed_rules_are_refused(tree):
    with pytest.raises(ValidationError):
        parse(tree)


def test_a_tree_too_deep_or_too_large_is_refused():
    deep: dict = {"tag": "x"}
    for _ in range(9):
        deep = {"not": deep}
    with pytest.raises(ValueError, match="deep"):
        check_size(parse(deep))
    with pytest.raises(ValueError, match="nodes"):
        check_size(parse({"any": [{"tag": str(i)} for i in range(120)]}))


def _strings(tree) -> list[str]:
    """The values a tree carries (what a user typed), not its keys or field names."""
    if isinstance(tree, list):
        return [s for v in tree for s in _strings(v)]
    if not isinstance(tree, dict):
        return []
    found = [v for k, v in tree.items() if k in ("value", "tag", "name") and isinstance(v, str)]
    return found + [s for v in tree.values() if isinstance(v, dict | list) for s in _strings(v)]
