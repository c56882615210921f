"""CRM_BOOTSTRAP_API_KEY: the first start creates the default tenant and its admin key."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from crm_gateway.main import create_app
from crm_gateway.settings import GatewaySettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

KEY = "crm_bootstrap_idempotence_test"


async def start_and_stop(settings: GatewaySettings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pass


async def test_bootstrap_creates_one_admin_key_however_often_it_starts(
    service_database: Any, nats_url: str
) -> None:
    # A database of its own: the shared one already holds the suite's bootstrap key.
    url = await service_database.acreate("gateway_bootstrap", section="gateway")
    settings = GatewaySettings(database_url=url, nats_url=nats_url, bootstrap_api_key=KEY)

    # Two replicas starting together, then a restart.
    await asyncio.gather(start_and_stop(settings), start_and_stop(settings))
    await start_and_stop(settings)

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            tenants = (await conn.execute(text("SELECT name FROM tenants"))).scalars().all()
            keys = (await conn.execute(text("SELECT roles, scopes FROM api_keys"))).all()
    finally:
        await engine.dispose()
    assert tenants == ["default"]
    assert [(list(r.roles), list(r.scopes)) for r in keys] == [(["admin", "operator"], ["*"])]

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            response = await client.post("/v1/auth/token", json={"api_key": KEY})
    assert response.status_code == 200, response.text


async def test_without_bootstrap_key_nothing_is_created(
    service_database: Any, nats_url: str
) -> None:
    url = await service_database.acreate("gateway_no_bootstrap", section="gateway")
    await start_and_stop(GatewaySettings(database_url=url, nats_url=nats_url))
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM api_keys"))).scalar_one()
    finally:
        await engine.dispose()
    assert count == 0
