"""Token-bucket rate limits shared by replicas, with the IETF headers and honest 429s."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
from crm_chassis.auth import Actor, issue_token
from crm_gateway.main import create_app
from crm_gateway.settings import GatewaySettings

Upstream = Any
ITEM = re.compile(r'^"(?P<name>[a-z]+)"((;[a-z]=[0-9]+)+)$')


def parse_list(header: str) -> dict[str, dict[str, int]]:
    """A structured-field list of ``"name";k=v;...`` items."""
    items = {}
    for raw in header.split(","):
        match = ITEM.match(raw.strip())
        assert match, header
        params = dict(p.split("=") for p in match.group(2).strip(";").split(";"))
        items[match.group("name")] = {k: int(v) for k, v in params.items()}
    return items


@contextlib.asynccontextmanager
async def replicas(settings: GatewaySettings, count: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """``count`` gateway apps over the same database, each with its own client."""
    apps = [create_app(settings) for _ in range(count)]
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://gw")
                )
            )
        yield clients


def settings_for(gateway_settings: GatewaySettings, **limits: Any) -> GatewaySettings:
    return gateway_settings.model_copy(update={"bootstrap_api_key": None, **limits})


def bearer(settings: GatewaySettings, tenant: Any = None) -> dict[str, str]:
    actor = Actor(tenant_id=tenant or uuid4(), user_id=uuid4(), scopes=frozenset({"*"}))
    return {"Authorization": f"Bearer {issue_token(actor, settings)}"}


async def test_headers_are_present_and_a_429_comes_when_the_bucket_is_empty(
    gateway_settings: GatewaySettings,
) -> None:
    settings = settings_for(gateway_settings, rate_limit_per_key=3, rate_limit_window_seconds=3)
    auth = bearer(settings)
    async with replicas(settings, 1) as [client]:
        remaining = []
        for _ in range(3):
            response = await client.get("/v1/contacts/echo", headers=auth)
            assert response.status_code == 200, response.text
            policy = parse_list(response.headers["ratelimit-policy"])
            assert policy["key"] == {"q": 3, "w": 3}
            assert "tenant" in policy
            remaining.append(parse_list(response.headers["ratelimit"])["key"]["r"])
        assert remaining == [2, 1, 0]

        refused = await client.get("/v1/contacts/echo", headers=auth)
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        retry_after = int(refused.headers["retry-after"])
        assert retry_after == 1  # one token a second
        assert parse_list(refused.headers["ratelimit"])["key"]["r"] == 0

        # Honest: after the advertised wait a token is there.
        await asyncio.sleep(retry_after)
        assert (await client.get("/v1/contacts/echo", headers=auth)).status_code == 200


async def test_the_limit_holds_across_replicas(gateway_settings: GatewaySettings) -> None:
    settings = settings_for(gateway_settings, rate_limit_per_key=4, rate_limit_window_seconds=400)
    auth = bearer(settings)
    async with replicas(settings, 2) as clients:
        statuses = [
            (await clients[i % 2].get("/v1/contacts/echo", headers=auth)).status_code
            for i in range(6)
        ]
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_a_tenant_limit_covers_all_its_callers(gateway_settings: GatewaySettings) -> None:
    settings = settings_for(
        gateway_settings,
        rate_limit_per_key=100,
        rate_limit_per_tenant=3,
        rate_limit_window_seconds=300,
    )
    tenant = uuid4()
    async with replicas(settings, 1) as [client]:
        statuses = [
            (await client.get("/v1/contacts/echo", headers=bearer(settings, tenant))).status_code
            for _ in range(4)
        ]
        other_tenant = await client.get("/v1/contacts/echo", headers=bearer(settings))
    assert statuses == [200, 200, 200, 429]
    assert other_tenant.status_code == 200


async def test_requests_without_a_token_are_limited_per_address(
    gateway_settings: GatewaySettings,
) -> None:
    settings = settings_for(
        gateway_settings, rate_limit_per_address=2, rate_limit_window_seconds=300
    )
    async with replicas(settings, 1) as [client]:
        # The address bucket is shared by every run of this test: drain it, then check.
        statuses = []
        for _ in range(5):
            response = await client.post("/v1/auth/token", json={"api_key": "crm_nope"})
            statuses.append(response.status_code)
    assert set(statuses) <= {401, 429} and statuses[-1] == 429
    assert parse_list(response.headers["ratelimit-policy"]) == {"address": {"q": 2, "w": 300}}
