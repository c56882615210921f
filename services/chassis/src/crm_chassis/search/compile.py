"""Search requests compiled to SQL: this module builds SQL (a declared subsystem).

A resource declares its fields (:mod:`crm_chassis.search.fields`); a request's filter
groups (OR of ANDs) become one WHERE condition and its sort a :class:`Sort` with the
cursor codec of a keyset page. The repository that runs the search adds its own criteria
(tenant, visibility) to that condition; nothing here reads or writes a table.

Every filter is checked against its field's kind (operator allowed, value of the right
type) and each mistake is reported at its place, ``filter_groups[0].filters[1].value``,
all at once. Equality on arrays and custom fields is written as containment (``@>``,
``&&``) so the GIN indexes serve it; text compares case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, false, func, literal, not_, or_, true
from sqlalchemy.dialects.postgresql import TSQUERY

from crm_chassis.search.fields import (
    CustomField,
    Kind,
    Resource,
    Target,
    UnknownField,
    resolve,
    resolve_sort,
)
from crm_chassis.search.request import Filter, FilterGroup, Operator
from crm_chassis.search.values import (
    Invalid,
    PhoneReader,
    bool_value,
    decimal_value,
    e164_only,
    parse_value,
    text_value,
)

Op = Operator
_SCALAR = {Op.EQ, Op.NEQ, Op.IN, Op.EXISTS}
_ORDERED = _SCALAR | {Op.LT, Op.LTE, Op.GT, Op.GTE}
_STRINGS = _SCALAR | {Op.CONTAINS, Op.STARTS_WITH}
OPERATORS: dict[Kind, frozenset[Operator]] = {
    Kind.TEXT: frozenset(_STRINGS),
    Kind.KEY: frozenset(_STRINGS),
    Kind.EMAIL: frozenset(_STRINGS),
    Kind.PHONE: frozenset(_STRINGS),
    Kind.EMAILS: frozenset(_STRINGS),
    Kind.PHONES: frozenset(_STRINGS),
    Kind.ENUM: frozenset(_SCALAR),
    Kind.UUID: frozenset(_SCALAR),
    Kind.NUMBER: frozenset(_ORDERED),
    Kind.MONEY: frozenset(_ORDERED),
    Kind.DATE: frozenset(_ORDERED),
    Kind.DATETIME: frozenset(_ORDERED - {Op.IN}),
    Kind.BOOL: frozenset({Op.EQ, Op.NEQ, Op.EXISTS}),
    Kind.TAGS: frozenset(_SCALAR | {Op.CONTAINS}),
    Kind.MULTI_ENUM: frozenset(_SCALAR | {Op.CONTAINS}),
}
_PLAIN_WORDS = re.compile(r"^ *[A-Za-z0-9]+( +[A-Za-z0-9]+)* *$")
MAX_PREFILTER_WORDS = 8


# -- SQL ----------------------------------------------------------------------------------


def _like_escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _plain_words(v: str) -> list[str]:
    """The lower-case words of ``v`` when it is plain ASCII words (which the 'simple'
    parser splits exactly so), else [] (no prefilter: punctuation may split otherwise)."""
    if not _PLAIN_WORDS.match(v):
        return []
    return v.lower().split()[:MAX_PREFILTER_WORDS]


def _json(v: Any) -> Any:
    """A query value as the JSON it is stored as (numbers as int or float, dates ISO)."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, date):
        return v.isoformat()
    return v


def _condition(target: Target, op: Operator, v: Any) -> ColumnElement[bool]:
    kind, expr = target.kind, target.expr
    if op is Op.EXISTS:
        return target.present() if v else not_(target.present())
    if kind in (Kind.TAGS, Kind.EMAILS, Kind.PHONES):
        return _array_condition(target, op, v)
    if kind is Kind.MULTI_ENUM:
        assert target.contains is not None
        one = target.contains
        if op is Op.EQ:
            return one([v])
        if op is Op.NEQ:
            return not_(one([v]))
        if op is Op.IN:
            return or_(*(one([x]) for x in v))
        return one(list(v))  # contains: every one of them
    if kind is Kind.TEXT and target.vector is not None and op in (Op.EQ, Op.STARTS_WITH):
        words = _plain_words(v)
        if words:
            # Every word of the value is a word of the record's vector (the last one at
            # least as a prefix for starts_with): an exact superset that the GIN index
            # finds, narrowed by the exact test on the column.
            last = ":*" if op is Op.STARTS_WITH else ""
            terms = [f"'{w}'" for w in words[:-1]] + [f"'{words[-1]}'{last}"]
            prefilter = target.vector.op("@@")(cast(literal(" & ".join(terms)), TSQUERY))
            exact = replace(target, vector=None)
            return and_(prefilter, _condition(exact, op, v))
    if kind is Kind.TEXT:
        low = expr if target.lowered else func.lower(expr)
        if op is Op.EQ:
            return low == func.lower(literal(v))
        if op is Op.NEQ:
            return low.is_distinct_from(func.lower(literal(v)))
        if op is Op.IN:
            return low.in_([func.lower(literal(x)) for x in v])
    if op is Op.CONTAINS:
        pattern = "%" + _like_escape(v) + "%"
        return expr.ilike(pattern, escape="\\")
    if op is Op.STARTS_WITH:
        if kind is Kind.PHONE:
            return expr.like("+" + v + "%") | expr.like(v + "%")
        if kind is Kind.KEY:
            return expr.like(_like_escape(v) + "%", escape="\\")
        # lower(col) LIKE 'abc%' is a range scan of the (tenant_id, lower(col), id) index.
        low = expr if target.lowered else func.lower(expr)
        return low.like(func.lower(literal(_like_escape(v) + "%")), escape="\\")
    if target.contains is not None and op in (Op.EQ, Op.NEQ, Op.IN):
        one = target.contains
        if op is Op.EQ:
            return one(_json(v))
        if op is Op.NEQ:
            return not_(one(_json(v)))
        return or_(*(one(_json(x)) for x in v))
    if op is Op.EQ:
        return expr == v
    if op is Op.NEQ:
        # "not X" includes the records without a value, as a person means it.
        return expr.is_distinct_from(v) if target.nullable else expr != v
    if op is Op.IN:
        return expr.in_(v)
    return {Op.LT: expr < v, Op.LTE: expr <= v, Op.GT: expr > v, Op.GTE: expr >= v}[op]


def _array_condition(target: Target, op: Operator, v: Any) -> ColumnElement[bool]:
    col = target.expr
    if op is Op.EQ:
        return col.contains([v])
    if op is Op.NEQ:
        return not_(col.contains([v]))
    if op is Op.IN:
        return col.overlap(list(v))
    if target.kind is Kind.TAGS:
        return col.contains(list(v))  # contains: has every one of the tags
    # Substring tests over every element: the elements joined by newlines, which neither
    # an address nor a number contains.
    joined = literal("\n") + func.array_to_string(col, "\n")
    if target.kind is Kind.PHONES:
        if op is Op.CONTAINS:
            return joined.like("%" + v + "%")
        return joined.like("%\n+" + v + "%") | joined.like("%\n" + v + "%")
    needle = _like_escape(v.lower())
    if op is Op.CONTAINS:
        return joined.ilike("%" + needle + "%", escape="\\")
    return joined.like("%\n" + needle + "%", escape="\\")


def compile_filter(
    f: Filter,
    resource: Resource,
    custom: Mapping[str, CustomField],
    *,
    phone: PhoneReader = e164_only,
) -> ColumnElement[bool]:
    """One filter as a condition; :class:`Invalid` naming the bad part.

    ``custom`` holds the tenant's custom field definitions by key; ``phone`` reads the
    phone numbers of phone fields (the tenant's region).
    """
    try:
        target = resolve(resource, f.field, custom)
    except UnknownField as exc:
        raise Invalid("field", str(exc)) from None
    operator = Operator(f.operator)
    allowed = OPERATORS[target.kind]
    if operator not in allowed:
        ops = ", ".join(o.value for o in Operator if o in allowed)
        raise Invalid("operator", f"not valid for a {target.kind} field; use {ops}")
    if operator is Op.EXISTS:
        if not isinstance(f.value, bool):
            raise Invalid("value", "must be true or false")
        return _condition(target, operator, f.value)
    value = parse_value(target, operator, f.value, phone)
    return _condition(target, operator, value)


def compile_filters(
    groups: Sequence[FilterGroup],
    resource: Resource,
    custom: Mapping[str, CustomField],
    *,
    phone: PhoneReader = e164_only,
) -> tuple[ColumnElement[bool], list[dict[str, str]]]:
    """The groups as one condition (OR of ANDs; no groups = everything), and the errors.

    The condition is the search's own: the caller ANDs its scoping criteria to it.
    """
    errors: list[dict[str, str]] = []
    alternatives: list[ColumnElement[bool]] = []
    for g, group in enumerate(groups):
        conditions: list[ColumnElement[bool]] = []
        for i, f in enumerate(group.filters):
            try:
                conditions.append(compile_filter(f, resource, custom, phone=phone))
            except Invalid as exc:
                path = f"filter_groups[{g}].filters[{i}].{exc.part}"
                errors.append({"field": path, "message": exc.message})
        if conditions:
            alternatives.append(conditions[0] if len(conditions) == 1 else and_(*conditions))
    if not alternatives:
        return true(), errors
    return (alternatives[0] if len(alternatives) == 1 else or_(*alternatives)), errors


def is_narrow(
    groups: Sequence[FilterGroup], resource: Resource, *, common_tags: frozenset[str]
) -> bool:
    """True when every group asks for something rare: given emails or phone numbers
    (eq/in), or tags that the planner's statistics do not count among the common ones.

    Such a search matches few records, but PostgreSQL estimates an array element it has
    no statistics for at 0.5% of the table (every email and number is unique; a tag that
    nobody or few use is not in ``most_common_elems``). With a LIMIT it then walks the
    sort index through the whole tenant, filtering: a second per million rows. The
    repository fences these searches so the GIN index finds the matches first.
    """

    def rare(f: Filter) -> bool:
        target = resource.fields.get(f.field)
        operator = Operator(f.operator)
        if target is None or operator not in (Op.EQ, Op.IN, Op.CONTAINS):
            return False
        if target.kind in (Kind.EMAILS, Kind.PHONES):
            return operator is not Op.CONTAINS
        if target.kind is not Kind.TAGS:
            return False
        try:
            tags = parse_value(target, operator, f.value)
        except Invalid:
            return False
        tags = tags if isinstance(tags, list) else [tags]
        unknown = [t not in common_tags for t in tags]
        # all of them for "has any of" (in); one is enough for "has all of"
        return all(unknown) if operator is Op.IN else any(unknown)

    return bool(groups) and all(any(rare(f) for f in g.filters) for g in groups)


# -- sort ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sort:
    """A resolved sort: the name the cursor is bound to, the target and the direction."""

    name: str
    target: Target
    descending: bool

    def cursor_value(self, v: Any) -> Any:
        """A sort value in the JSON the chassis cursor encodes (dates as ISO strings)."""
        return v.isoformat() if type(v) is date else v

    def parse_cursor_value(self, v: Any) -> Any:
        """The SQL value back from a cursor; ValueError when it cannot be one."""
        if v is None:
            return None
        kind = self.target.kind
        if kind is Kind.DATE:
            return date.fromisoformat(v)
        if kind is Kind.DATETIME:
            if not isinstance(v, datetime):
                raise ValueError("not a date-time")
            return v
        if kind in (Kind.NUMBER, Kind.MONEY):
            return v if isinstance(v, Decimal) else decimal_value(v)
        if kind is Kind.BOOL:
            return bool_value(v)
        return text_value(v)


def compile_sort(
    sort: str | None, resource: Resource, custom: Mapping[str, CustomField]
) -> tuple[Sort | None, list[dict[str, str]]]:
    """The resolved sort (``-name`` descending; none: the resource's default), or the
    error naming ``sort``."""
    name = sort or resource.default_sort
    try:
        target = resolve_sort(resource, name.removeprefix("-"), custom)
    except UnknownField as exc:
        return None, [{"field": "sort", "message": str(exc)}]
    return Sort(name, target, name.startswith("-")), []


# -- full text ----------------------------------------------------------------------------


def prefix_tsquery(lexemes: Sequence[str]) -> str:
    """``'ada':* & 'love':*``: every lexeme as a quoted prefix, in tsquery syntax."""
    quoted = ("'" + x.replace("\\", "\\\\").replace("'", "''") + "':*" for x in lexemes)
    return " & ".join(quoted)


def text_condition(
    resource: Resource, *, lexemes: Sequence[str], phone: tuple[str | None, str] | None
) -> ColumnElement[bool]:
    """Full-text match: every word starts a word of the record's search vector (GIN).

    A phone-like query matches the record's numbers: exactly on the E.164 key, or as a
    prefix of a number's digits (the vector holds them without the ``+``).
    """
    vector = resource.vector
    if phone is not None:
        e164, digits = phone
        by_digits = vector.op("@@")(cast(literal(prefix_tsquery([digits])), TSQUERY))
        if e164 and resource.phone_match is not None:
            return or_(resource.phone_match(e164), by_digits)
        return by_digits
    if not lexemes:
        return false()
    return vector.op("@@")(cast(literal(prefix_tsquery(lexemes)), TSQUERY))
