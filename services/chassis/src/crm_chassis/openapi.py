"""Pieces of a service's OpenAPI document that FastAPI cannot derive by itself."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

PUBLIC: dict[str, Any] = {"security": []}
"""``openapi_extra`` of a route that takes no bearer token (a web form, a tracking pixel, a
signed link): the gateway reads it from the service's document and lets such a request
through without one. Every other route's request needs a valid token at the gateway."""


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON Schema with its ``$defs`` inlined, self-contained.

    For an operation that reads its body itself (to keep its own error paths) and
    documents it through ``openapi_extra``: pydantic's schema refers to ``#/$defs/...``,
    which does not exist at the root of the OpenAPI document. Models must not be
    recursive.
    """
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


MERGE_PATCH: dict[str, Any] = {
    "requestBody": {"content": {"application/merge-patch+json": {"schema": {"type": "object"}}}}
}
"""``openapi_extra`` of a PATCH route: its body is a JSON Merge Patch (RFC 7386)."""
