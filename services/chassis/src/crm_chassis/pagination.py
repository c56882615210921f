"""Cursor pagination: ``?limit=&cursor=&sort=`` in, ``{"data", "next_cursor"}`` out.

Keyset pagination over (sort key, id): a page costs one index range scan however deep it
is, and rows inserted meanwhile never shift the pages. The cursor is opaque to clients
(url-safe base64 of the last row's key) and bound to the sort it was made for.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, tuple_

from crm_chassis.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    data: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    sort: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    sort: Annotated[str | None, Query(max_length=64, pattern=r"^-?[a-z_]+$")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor, sort=sort)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


def _encode_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return {"dt": v.isoformat()}
    if isinstance(v, UUID):
        return {"uuid": str(v)}
    if isinstance(v, Decimal):
        return {"dec": str(v)}
    return v


def _decode_value(v: Any) -> Any:
    if isinstance(v, dict):
        if "dt" in v:
            return datetime.fromisoformat(v["dt"])
        if "uuid" in v:
            return UUID(v["uuid"])
        if "dec" in v:
            return Decimal(v["dec"])
    return v


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    raw = json.dumps({"s": sort, "k": [_encode_value(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(raw)
        if body["s"] != sort:
            raise ValueError("sort changed")
        return [_decode_value(v) for v in body["k"]]
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            "The cursor is invalid or was made for another sort",
            errors=[{"field": "cursor", "message": "invalid cursor"}],
        ) from exc


def apply_keyset(
    stmt: Select[Any],
    params: PageParams,
    *,
    sortable: Mapping[str, ColumnElement[Any]],
    id_column: ColumnElement[Any],
    default: str = "-created_at",
) -> tuple[Select[Any], str]:
    """Order ``stmt`` by the requested sort then id, seek past the cursor, fetch limit+1.

    Returns the statement and the effective sort name. Sort columns must be NOT NULL
    (or coalesced by the caller) for the seek to be exact.
    """
    sort = params.sort or default
    name = sort.lstrip("-")
    if name not in sortable:
        raise ValidationFailed(
            f"Cannot sort by {name!r}",
            errors=[{"field": "sort", "message": f"one of {', '.join(sorted(sortable))}"}],
        )
    column = sortable[name]
    descending = sort.startswith("-")
    if params.cursor:
        last_value, last_id = decode_cursor(params.cursor, sort)
        key = tuple_(column, id_column)
        stmt = stmt.where(
            key < (last_value, last_id) if descending else key > (last_value, last_id)
        )
    if descending:
        stmt = stmt.order_by(column.desc(), id_column.desc())
    else:
        stmt = stmt.order_by(column.asc(), id_column.asc())
    return stmt.limit(params.limit + 1), sort


def page_of(
    rows: Sequence[Any], params: PageParams, sort: str, key: Any
) -> tuple[list[Any], str | None]:
    """Cut the limit+1 rows to a page; ``key(row)`` gives (sort value, id) of a row."""
    items = list(rows[: params.limit])
    if len(rows) <= params.limit or not items:
        return items, None
    return items, encode_cursor(sort, key(items[-1]))
