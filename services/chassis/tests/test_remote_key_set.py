"""A service's copy of the gateway's key set: fetched on demand, sparingly, and again
soon after a failure (a service started before the gateway)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from crm_chassis.auth import RemoteKeySet
from crm_testing import free_port


def _jwks() -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    jwk = {**RSAAlgorithm.to_jwk(key, as_dict=True), "kid": "k1", "alg": "RS256", "use": "sig"}
    return {"keys": [jwk]}


async def _serve(port: int, hits: list[int]) -> asyncio.Server:
    body = json.dumps(_jwks()).encode()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        hits.append(1)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", port)


async def test_after_a_failed_fetch_the_next_comes_after_the_retry_interval() -> None:
    port = free_port()
    keys = RemoteKeySet(f"http://127.0.0.1:{port}/jwks", min_interval=60, retry_interval=0.2)
    await keys.refresh()  # nothing listens yet
    assert keys.get("k1") is None
    hits: list[int] = []
    server = await _serve(port, hits)
    try:
        await keys.refresh()  # too soon after the failure: not fetched
        assert hits == [] and keys.get("k1") is None
        await asyncio.sleep(0.3)
        await keys.refresh()
        assert hits == [1]
        found: Any = keys.get("k1")
        assert found is not None and found[0] == "RS256"
        await keys.refresh()  # a success holds for min_interval
        assert hits == [1]
    finally:
        server.close()
        await server.wait_closed()
