"""HTTP semantics shared by every resource: ETags, If-Match, JSON Merge Patch, Location."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Response

from crm_chassis.errors import PreconditionFailed, ValidationFailed

IfMatchDep = Annotated[str | None, Header(alias="If-Match")]


def etag(version: int) -> str:
    """The strong ETag of a resource at ``version``."""
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def check_if_match(if_match: str | None, version: int) -> None:
    """412 when the client's ``If-Match`` does not name the current version.

    Absent header: the write is unconditional. ``*`` matches any existing resource.
    """
    if if_match is None:
        return
    tags = [t.strip() for t in if_match.split(",")]
    if "*" in tags:
        return
    current = etag(version)
    if not any(t.removeprefix("W/") == current for t in tags):
        raise PreconditionFailed(
            f"The resource is at version {version}; your If-Match was {if_match}",
            headers={"ETag": current},
        )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: ``null`` removes, objects merge, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def require_object(body: Any) -> dict[str, Any]:
    """A merge patch for a resource must be a JSON object."""
    if not isinstance(body, dict):
        raise ValidationFailed(
            "A merge patch must be a JSON object",
            errors=[{"field": "body", "message": "expected an object"}],
        )
    return body
