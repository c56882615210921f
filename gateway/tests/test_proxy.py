"""Proxying to a real upstream over HTTP: headers, streaming both ways, failures."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx

# conftest.py cannot be imported under --import-mode=importlib; the upstream fixture is
# conftest.Upstream and the gateway waits this long for it.
Upstream = Any
READ_TIMEOUT = 1.0

PROBLEM = "application/problem+json"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    # The problem fields only: never a stack trace.
    assert set(body) <= {"type", "title", "status", "detail", "instance", "errors"}
    return body


async def test_request_reaches_the_service_with_ids_token_and_query(
    client: httpx.AsyncClient, auth: dict[str, str], upstream: Upstream
) -> None:
    response = await client.post(
        "/v1/contacts/echo?q=a%20b&x=1",
        headers={**auth, "X-Request-Id": "req-123", "traceparent": TRACEPARENT},
        json={"hello": "world"},
    )
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/v1/contacts/echo"
    assert seen["query"] == "q=a%20b&x=1"
    assert seen["body"] == '{"hello":"world"}'
    headers = seen["headers"]
    assert headers["x-request-id"] == "req-123"
    assert headers["traceparent"] == TRACEPARENT
    assert headers["authorization"] == auth["Authorization"]
    assert headers["content-type"] == "application/json"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["host"] == upstream.url.removeprefix("http://")
    # The client sees the request id once, not once from each hop.
    assert response.headers.get_list("x-request-id") == ["req-123"]


async def test_gateway_made_request_id_and_trace_reach_the_service(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/contacts/echo", headers=auth)
    headers = response.json()["headers"]
    assert headers["x-request-id"] == response.headers["x-request-id"]
    version, trace_id, span_id, flags = headers["traceparent"].split("-")
    assert (version, len(trace_id), len(span_id), flags) == ("00", 32, 16, "01")


async def test_hop_by_hop_headers_stay_at_the_gateway(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get(
        "/v1/contacts/echo",
        headers={**auth, "Connection": "keep-alive, x-hop", "x-hop": "1", "x-kept": "2"},
    )
    headers = response.json()["headers"]
    assert "x-hop" not in headers
    assert headers["x-kept"] == "2"
    assert "transfer-encoding" not in headers


async def test_a_chunked_upload_streams_through_before_it_ends(
    client: httpx.AsyncClient, auth: dict[str, str], upstream: Upstream
) -> None:
    head, tail = os.urandom(256 * 1024), os.urandom(3 * 1024 * 1024)

    async def body() -> AsyncIterator[bytes]:
        yield head
        # Only a streaming proxy lets the service see the start of a body still being sent.
        await asyncio.wait_for(upstream.upload_started.wait(), 5)
        for i in range(0, len(tail), 65536):
            yield tail[i : i + 65536]

    response = await client.post("/v1/contacts/upload", headers=auth, content=body())
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["size"] == len(head) + len(tail)
    assert result["sha256"] == hashlib.sha256(head + tail).hexdigest()
    assert result["headers"].get("transfer-encoding") == "chunked"


async def test_a_large_upload_with_a_length_keeps_its_length(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    payload = os.urandom(1024 * 1024)
    response = await client.post("/v1/contacts/upload", headers=auth, content=payload)
    result = response.json()
    assert result["sha256"] == hashlib.sha256(payload).hexdigest()
    assert result["headers"]["content-length"] == str(len(payload))


async def test_a_response_streams_back_as_the_service_writes_it(
    client: httpx.AsyncClient, auth: dict[str, str], upstream: Upstream
) -> None:
    received = b""
    async with (
        asyncio.timeout(5),
        client.stream("GET", "/v1/contacts/stream", headers=auth) as response,
    ):
        assert response.status_code == 200
        async for chunk in response.aiter_raw():
            received += chunk
            if received == b"first\n":
                # The service holds "second" back until the client has seen "first":
                # a buffering proxy would deadlock here (and time out).
                upstream.release_stream.set()
    assert received == b"first\nsecond\n"


async def test_service_errors_and_repeated_headers_pass_through(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    missing = await client.get("/v1/contacts/missing", headers=auth)
    assert_problem(missing, 404)
    assert missing.json()["detail"] == "No contact 42"
    cookies = await client.get("/v1/contacts/cookies", headers=auth)
    assert len(cookies.headers.get_list("set-cookie")) == 2
    assert len(cookies.headers.get_list("date")) == 1
    assert len(cookies.headers.get_list("server")) == 1


async def test_closed_service_port_is_a_502_naming_the_service(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = assert_problem(await client.get("/v1/deals", headers=auth), 502)
    assert "sales" in str(body["detail"])
    metrics = (await client.get("/metrics")).text
    assert 'crm_gateway_upstream_failures_total{reason="unreachable",service="sales"}' in metrics


async def test_slow_service_is_a_504(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    started = asyncio.get_running_loop().time()
    body = assert_problem(await client.get("/v1/contacts/slow", headers=auth), 504)
    assert "contacts" in str(body["detail"])
    assert asyncio.get_running_loop().time() - started < READ_TIMEOUT * 2.5


async def test_bad_or_missing_token_is_401_and_never_reaches_the_service(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    before = len(upstream.seen)
    bad = await client.get("/v1/contacts/echo", headers={"Authorization": "Bearer nope"})
    assert_problem(bad, 401)
    assert bad.headers["www-authenticate"] == "Bearer"
    assert_problem(await client.get("/v1/contacts/echo"), 401)
    assert len(upstream.seen) == before


async def test_unknown_routes_are_404_problems(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    assert_problem(await client.get("/v1/nope", headers=auth), 404)
    assert_problem(await client.get("/v1/contactsx/1", headers=auth), 404)
    assert_problem(await client.get("/nope"), 404)
    assert_problem(await client.get("/v1/auth/token"), 405)
