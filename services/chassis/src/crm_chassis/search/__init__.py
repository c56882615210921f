"""Search over declared fields: the body of every ``POST /v1/<resource>/search``.

A resource declares its fields once (:class:`Resource`, :func:`field`, :func:`sort_field`);
:func:`compile_filters` turns a request's filter groups into one WHERE condition and
:func:`compile_sort` its sort into a :class:`Sort` (with the cursor codec of a keyset
page); :class:`SearchRepository` runs it as a keyset page of the rows the caller may
see, with a service's own WHERE criteria (``criteria()``) ANDed to it. This package
builds SQL.
"""

from crm_chassis.search.compile import (
    OPERATORS,
    Sort,
    compile_filter,
    compile_filters,
    compile_sort,
    is_narrow,
    prefix_tsquery,
    text_condition,
)
from crm_chassis.search.fields import (
    CustomField,
    Kind,
    Prefixed,
    Resource,
    Target,
    UnknownField,
    custom_target,
    field,
    resolve,
    resolve_sort,
    sort_field,
)
from crm_chassis.search.repository import SearchRepository
from crm_chassis.search.request import (
    Filter,
    FilterGroup,
    Operator,
    SearchRequest,
    field_path,
    parse_request,
)
from crm_chassis.search.values import Invalid, PhoneReader, e164_only, parse_value

__all__ = [
    "OPERATORS",
    "CustomField",
    "Filter",
    "FilterGroup",
    "Invalid",
    "Kind",
    "Operator",
    "PhoneReader",
    "Prefixed",
    "Resource",
    "SearchRepository",
    "SearchRequest",
    "Sort",
    "Target",
    "UnknownField",
    "compile_filter",
    "compile_filters",
    "compile_sort",
    "custom_target",
    "e164_only",
    "field",
    "field_path",
    "is_narrow",
    "parse_request",
    "parse_value",
    "prefix_tsquery",
    "resolve",
    "resolve_sort",
    "sort_field",
    "text_condition",
]
