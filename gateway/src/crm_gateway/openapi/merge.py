"""Merging the services' OpenAPI documents into the gateway's: pure functions."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

REF_PREFIX = "#/components/schemas/"
BEARER = "bearerAuth"
# Components other than schemas are merged by name too (first one wins); services rarely
# declare them and FastAPI never does.
_OTHER_COMPONENTS = ("responses", "parameters", "examples", "requestBodies", "headers")


def merge_documents(
    own: Mapping[str, Any],
    services: Mapping[str, Mapping[str, Any]],
    *,
    unavailable: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """The gateway's document ``own`` with every service's ``/v1`` paths and schemas added.

    ``services`` maps a service name to its document, in the order they should win
    ties. A schema name used by two services for different schemas is kept for the
    first and renamed ``<service>__<name>`` (with every ``$ref`` to it) for the next.
    The gateway's own paths win over a service's. ``unavailable`` names the services
    left out (``x-unavailable-services``). Adds a bearer security scheme required by
    every operation that does not opt out.
    """
    doc = copy.deepcopy(dict(own))
    paths: dict[str, Any] = doc.setdefault("paths", {})
    components: dict[str, Any] = doc.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    tags: list[dict[str, Any]] = doc.setdefault("tags", [])
    tag_names = {t.get("name") for t in tags}
    for service, upstream in services.items():
        renames = _renames(service, upstream.get("components", {}).get("schemas", {}), schemas)
        upstream = _rewrite_refs(upstream, renames) if renames else copy.deepcopy(upstream)
        for name, schema in upstream.get("components", {}).get("schemas", {}).items():
            schemas.setdefault(renames.get(name, name), schema)
        for kind in _OTHER_COMPONENTS:
            for name, value in upstream.get("components", {}).get(kind, {}).items():
                components.setdefault(kind, {}).setdefault(name, value)
        for path, item in upstream.get("paths", {}).items():
            # Health and metrics are per process, not part of the platform's API.
            if path.startswith("/v1/"):
                paths.setdefault(path, item)
        for tag in upstream.get("tags", []):
            if tag.get("name") not in tag_names:
                tags.append(tag)
                tag_names.add(tag.get("name"))
    if not tags:
        del doc["tags"]
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token from POST /v1/auth/token",
    }
    doc["security"] = [{BEARER: []}]
    components.setdefault("schemas", {}).setdefault("Problem", PROBLEM_SCHEMA)
    components.setdefault("responses", {}).update(_problem_responses())
    for item in paths.values():
        for method, operation in item.items():
            if method in _METHODS and isinstance(operation, dict):
                _add_errors(operation)
    if unavailable:
        doc["x-unavailable-services"] = sorted(unavailable)
    return doc


_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
# Every operation may answer these, whatever the service declared: the gateway's own
# limits and failures, and the chassis' errors.
_ERRORS = {
    "400": ("BadRequest", "The request is malformed, or has too many query parameters"),
    "401": ("Unauthorized", "No valid bearer token"),
    "403": ("Forbidden", "The token lacks the scope, or names a field the role may not see"),
    "404": ("NotFound", "No such resource, or another tenant's, or hidden from the caller"),
    "414": ("UriTooLong", "The URL is longer than the gateway accepts"),
    "422": ("ValidationFailed", "The body or parameters are invalid"),
    "429": ("TooManyRequests", "A rate limit is exhausted; see Retry-After"),
    "431": ("HeadersTooLarge", "The headers are larger than the gateway accepts"),
    "502": ("BadGateway", "The service is unreachable"),
    "503": ("ServiceUnavailable", "The service is failing (circuit open) or overloaded"),
    "504": ("GatewayTimeout", "The service did not answer in time"),
}
_PUBLIC_SKIP = frozenset({"401", "403"})


def _problem_responses() -> dict[str, Any]:
    out = {}
    for _, (name, description) in _ERRORS.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {"application/problem+json": {"schema": {"$ref": REF_PREFIX + "Problem"}}},
        }
        if name == "TooManyRequests":
            response["headers"] = {
                h: {"schema": {"type": "string"}}
                for h in ("Retry-After", "RateLimit", "RateLimit-Policy")
            }
        out[name] = response
    return out


def _add_errors(operation: dict[str, Any]) -> None:
    """Give ``operation`` every error response it does not declare itself."""
    responses = operation.setdefault("responses", {})
    public = operation.get("security") == []
    for status, (name, _) in _ERRORS.items():
        if status in responses or (public and status in _PUBLIC_SKIP):
            continue
        responses[status] = {"$ref": "#/components/responses/" + name}


def _renames(service: str, theirs: Mapping[str, Any], ours: Mapping[str, Any]) -> dict[str, str]:
    """The names of ``theirs`` to take as ``<service>__<name>``: those that mean something
    else than ours, and, until none is left, those equal to ours but for a reference to
    a renamed one (a ``Page_QueueRead_`` of two services whose ``QueueRead`` differ)."""
    renames: dict[str, str] = {}
    while True:
        more = {
            name: f"{service}__{name}"
            for name, schema in theirs.items()
            if name in ours and name not in renames and ours[name] != _rewrite_refs(schema, renames)
        }
        if not more:
            return renames
        renames |= more


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    """A copy of ``node`` with schema ``$ref``s and schema names renamed."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                name = value[len(REF_PREFIX) :]
                out[key] = REF_PREFIX + renames.get(name, name)
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node
