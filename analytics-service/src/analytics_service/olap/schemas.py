from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimension: str
    op: Literal["eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "between"] = "eq"
    value: Scalar | None = None
    values: list[Scalar] | None = Field(default=None, max_length=1000)


class Drill(BaseModel):
    """Move along a hierarchy: ``down`` from a member of ``dimension`` to its children
    (the member becomes a filter), ``up`` from ``dimension`` to its parent level."""

    model_config = ConfigDict(extra="forbid")

    direction: Literal["up", "down"]
    dimension: str
    value: Scalar | None = None


class OlapQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cube: str
    measures: list[str] = Field(min_length=1, max_length=20)
    rows: list[str] = Field(default_factory=list, max_length=8)
    columns: list[str] = Field(default_factory=list, max_length=4)
    """Dimensions spread across the columns of the pivot."""
    filters: list[Filter] = Field(default_factory=list, max_length=50)
    drill: Drill | None = None
    limit: int = Field(default=10_000, ge=1, le=100_000)


class Pivot(BaseModel):
    rows: list[list[Any]]
    columns: list[list[Any]]
    cells: list[list[dict[str, Any] | None]]


class OlapResult(BaseModel):
    cube: str
    dimensions: list[str]
    measures: list[str]
    data: list[dict[str, Any]]
    pivot: Pivot | None = None
    query: OlapQuery
    """The query as run, after a drill (what the next drill starts from)."""


class MeasureInfo(BaseModel):
    name: str
    kind: str
    description: str


class DimensionInfo(BaseModel):
    name: str
    description: str


class CubeInfo(BaseModel):
    name: str
    description: str
    measures: list[MeasureInfo]
    dimensions: list[DimensionInfo]
    hierarchies: dict[str, list[str]]
