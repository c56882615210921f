"""The edge limits as a pure check of the ASGI scope."""

from __future__ import annotations

from typing import Any

from crm_gateway.limits.edge import EdgeLimits, violation

LIMITS = EdgeLimits(max_header_bytes=1000, max_headers=10, max_url_bytes=200, max_query_params=5)


def scope(headers: list[tuple[bytes, bytes]] | None = None, query: bytes = b"") -> dict[str, Any]:
    return {"headers": headers or [], "path": "/v1/contacts", "query_string": query}


def test_a_request_within_every_limit_passes() -> None:
    assert violation(scope([(b"a", b"b")], b"x=1&y=2"), LIMITS) is None


def test_each_limit_has_its_status() -> None:
    many = [(f"h{i}".encode(), b"v") for i in range(11)]
    big = [(b"x", b"v" * 1000)]
    cases = [
        (scope(many), 431), (scope(big), 431),
        (scope(query=b"q=" + b"a" * 200), 414), (scope(query=b"&".join([b"a=1"] * 6)), 400),
    ]  # fmt: skip
    for request, status in cases:
        problem = violation(request, LIMITS)
        assert problem is not None and problem.status_code == status
        assert problem.media_type == "application/problem+json"
