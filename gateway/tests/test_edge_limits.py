"""Size limits at the edge, through the real server: each refused with a problem before
any work (no token check, no routing, nothing reaches the service)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

Upstream = Any
PROBLEM = "application/problem+json"


async def assert_refused(
    response: httpx.Response, status: int, upstream: Upstream, before: int
) -> None:
    assert response.status_code == status, response.text[:200]
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == status
    assert len(upstream.seen) == before


@pytest.mark.parametrize("size", [100 * 1024, 1024 * 1024])
async def test_a_huge_header_is_431(
    client: httpx.AsyncClient, auth: dict[str, str], upstream: Upstream, size: int
) -> None:
    before = len(upstream.seen)
    response = await client.get("/v1/contacts/echo", headers={**auth, "X-Big": "a" * size})
    await assert_refused(response, 431, upstream, before)


async def test_too_many_headers_is_431(
    client: httpx.AsyncClient, auth: dict[str, str], upstream: Upstream
) -> None:
    before = len(upstream.seen)
    headers = {**auth, **{f"X-H{i}": "1" for i in range(150)}}
    await assert_refused(
        await client.get("/v1/contacts/echo", headers=headers), 431, upstream, before
    )


async def test_a_long_url_is_414(
    client: httpx.AsyncClient, auth: dict[str, str], upstream: Upstream
) -> None:
    before = len(upstream.seen)
    response = await client.get("/v1/contacts/echo?q=" + "a" * 9000, headers=auth)
    await assert_refused(response, 414, upstream, before)


async def raw_get(base_url: str, target: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """Status, content type and body of a GET sent as raw bytes (httpx refuses URLs over
    64 KB, which is what this tests)."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    content_type = next(
        (ln.split(b":", 1)[1].strip().decode() for ln in head.split(b"\r\n")
         if ln.lower().startswith(b"content-type:")),
        "",
    )  # fmt: skip
    return status, content_type, body


@pytest.mark.parametrize("distinct", [False, True])
async def test_ten_thousand_parameters_are_refused(
    gateway_url: str, auth: dict[str, str], upstream: Upstream, distinct: bool
) -> None:
    before = len(upstream.seen)
    query = "&".join(f"p{i if distinct else ''}=1" for i in range(10_000))
    status, content_type, body = await raw_get(gateway_url, f"/v1/contacts/echo?{query}", auth)
    assert (status, content_type) == (414, PROBLEM), body[:200]
    assert json.loads(body)["status"] == 414
    assert len(upstream.seen) == before


async def test_too_many_parameters_in_a_short_url_is_400(
    client: httpx.AsyncClient, auth: dict[str, str], upstream: Upstream
) -> None:
    before = len(upstream.seen)
    query = "&".join(f"p{i}=1" for i in range(300))
    response = await client.get(f"/v1/contacts/echo?{query}", headers=auth)
    await assert_refused(response, 400, upstream, before)
    ok = await client.get(
        "/v1/contacts/echo?" + "&".join(f"p{i}=1" for i in range(200)), headers=auth
    )
    assert ok.status_code == 200
