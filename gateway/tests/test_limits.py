"""Limits the gateway applies to proxied requests itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
from crm_chassis.auth import Actor, issue_token
from crm_gateway.main import create_app
from crm_gateway.settings import GatewaySettings


async def test_a_chunked_body_over_the_limit_is_413_and_not_forwarded_whole(
    gateway_database: str, nats_url: str, upstream: Any
) -> None:
    settings = GatewaySettings(
        database_url=gateway_database,
        nats_url=nats_url,
        contacts_url=upstream.url,
        max_body_bytes=100_000,
    )
    app = create_app(settings)
    token = issue_token(Actor(tenant_id=uuid4(), user_id=uuid4()), settings)

    async def body() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 50_000

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            response = await client.post(
                "/v1/contacts/upload",
                content=body(),
                headers={"Authorization": f"Bearer {token}"},
            )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
