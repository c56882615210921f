"""The whole platform as separate processes, for end-to-end tests through the gateway."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from crm_local.ports import free_ports
from crm_local.stack import ALL_APPS, Stack

API_KEY = "crm_e2e_" + uuid.uuid4().hex


@pytest.fixture(scope="session")
async def stack(postgres_url: str, nats_url: str, tmp_path_factory) -> AsyncIterator[Stack]:
    ports = dict(zip([a.name for a in ALL_APPS], free_ports(len(ALL_APPS)), strict=True))
    platform = Stack(
        postgres_url,
        nats_url,
        ports=ports,
        jwt_secret="e2e-" + uuid.uuid4().hex,
        bootstrap_api_key=API_KEY,
        log_dir=tmp_path_factory.mktemp("e2e-logs"),
        db_prefix=f"e2e{uuid.uuid4().hex[:6]}_",
        # Its own files (object store, imports, the analytics warehouse), not make run's.
        extra_env={"CRM_DATA_DIR": str(tmp_path_factory.mktemp("e2e-data"))},
    )
    await asyncio.to_thread(platform.start)
    try:
        yield platform
    finally:
        await asyncio.to_thread(platform.stop)
    assert platform.killed == [], f"{platform.killed} did not shut down on SIGTERM"


@pytest.fixture(scope="session")
async def gateway(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        yield client


async def token_for(gateway: httpx.AsyncClient, api_key: str) -> str:
    response = await gateway.post("/v1/auth/token", json={"api_key": api_key})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    return str(body["access_token"])


@pytest.fixture(scope="session")
async def admin_headers(gateway: httpx.AsyncClient) -> dict[str, str]:
    return {"authorization": f"Bearer {await token_for(gateway, API_KEY)}"}
