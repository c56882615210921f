"""The search request body: structure checks with error paths a client can act on."""

import json

import pytest
from contacts_service.search.schemas import (
    MAX_FILTERS,
    MAX_GROUPS,
    SearchRequest,
    field_path,
    parse_request,
)
from crm_chassis.errors import ValidationFailed
from crm_chassis.openapi import inline_schema


def errors_of(raw):
    with pytest.raises(ValidationFailed) as info:
        parse_request(raw)
    return [e["field"] for e in info.value.errors]


def test_field_paths_use_brackets_for_positions():
    assert field_path(("filter_groups", 0, "filters", 1, "value")) == (
        "filter_groups[0].filters[1].value"
    )
    assert field_path(("limit",)) == "limit"
    assert field_path(()) == "body"


def test_an_empty_body_searches_everything_with_the_defaults():
    request = parse_request(None)
    assert request == SearchRequest()
    assert request.filter_groups == [] and request.limit == 50 and request.sort is None


def test_structural_mistakes_are_named_where_they_are():
    one = {"field": "first_name", "operator": "eq", "value": "a"}
    assert errors_of([1]) == ["body"]
    assert errors_of({"filter_groups": [{"filters": [{**one, "operator": "like"}]}]}) == [
        "filter_groups[0].filters[0].operator"
    ]
    assert errors_of({"filter_groups": [{"filters": [one, {"operator": "eq"}]}]}) == [
        "filter_groups[0].filters[1].field"
    ]
    assert errors_of({"filter_groups": [{"filters": [one] * (MAX_FILTERS + 1)}]}) == [
        "filter_groups[0].filters"
    ]
    assert errors_of({"filter_groups": [{"filters": [one]}] * (MAX_GROUPS + 1)}) == [
        "filter_groups"
    ]
    assert errors_of({"filter_groups": [{"filters": []}]}) == ["filter_groups[0].filters"]
    assert errors_of({"limit": 0, "extra": True}) == ["limit", "extra"]


def test_the_documented_schema_has_no_dangling_references():
    schema = inline_schema(SearchRequest)
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text
    operator = schema["properties"]["filter_groups"]["items"]["properties"]["filters"]["items"]
    assert "starts_with" in json.dumps(operator["properties"]["operator"])
