"""Stored columns of a write schema: plain values as they are, JSONB ones as JSON."""

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel


def with_json(*names: str) -> Callable[[BaseModel], dict[str, Any]]:
    """A ``Crud`` ``columns`` function storing ``names`` (JSONB columns) in JSON form."""

    def columns(data: BaseModel) -> dict[str, Any]:
        return {
            **data.model_dump(mode="python"),
            **data.model_dump(mode="json", include=set(names)),
        }

    return columns
