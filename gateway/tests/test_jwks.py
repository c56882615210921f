"""Tokens signed with the gateway's rotating key set, verified by a service that holds
only the published JWKS (no shared secret)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest_asyncio
from crm_chassis.app import create_service_app
from crm_chassis.auth import Actor, ActorDep, RemoteKeySet, issue_token
from crm_chassis.db import transaction
from crm_chassis.settings import ServiceSettings
from crm_gateway.identity.signing import current_keys
from crm_gateway.main import create_app
from crm_gateway.settings import GatewaySettings
from crm_testing import free_port
from fastapi import APIRouter, FastAPI

BOOTSTRAP_KEY = "crm_test_bootstrap_key_0123456789"  # = conftest.BOOTSTRAP_KEY


def service_app(settings: ServiceSettings) -> FastAPI:
    router = APIRouter()

    @router.get("/v1/whoami")
    async def whoami(actor: ActorDep) -> dict[str, str]:
        return {"tenant": str(actor.tenant_id), "user": str(actor.user_id)}

    return create_service_app(name="tiny", settings=settings, routers=[router])


def without_secret(database_url: str, nats_url: str, gateway_url: str) -> ServiceSettings:
    """A service's settings that trust the gateway's published key set, and no secret."""
    return ServiceSettings(
        database_url=database_url,
        nats_url=nats_url,
        jwt_secret="",
        jwt_jwks_url=f"{gateway_url}/.well-known/jwks.json",
        run_background=False,
    )


@pytest_asyncio.fixture(scope="module")
async def signing_gateway(
    gateway_settings: GatewaySettings, serve_app: Any
) -> AsyncIterator[tuple[FastAPI, str]]:
    """A gateway replica that signs with RS256, on the suite's database."""
    settings = gateway_settings.model_copy(update={"token_algorithm": "RS256"})
    app = create_app(settings)
    async with serve_app(app, free_port()) as url:
        yield app, url


@pytest_asyncio.fixture(scope="module")
async def service(
    signing_gateway: tuple[FastAPI, str], gateway_database: str, nats_url: str, serve_app: Any
) -> AsyncIterator[tuple[FastAPI, str]]:
    """A service that trusts the published key set and has no secret."""
    settings = without_secret(gateway_database, nats_url, signing_gateway[1])
    app = service_app(settings)
    async with serve_app(app, free_port()) as url:
        # Refetch at once on an unknown key (the default waits 10 s between fetches).
        app.state.tokens.keys = RemoteKeySet(settings.jwt_jwks_url or "", min_interval=0)
        yield app, url


async def token(url: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/v1/auth/token", json={"api_key": BOOTSTRAP_KEY})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def whoami(service_url: str, bearer: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=service_url) as http:
        return await http.get("/v1/whoami", headers={"Authorization": f"Bearer {bearer}"})


async def test_the_key_set_is_published_without_private_parts(
    signing_gateway: tuple[FastAPI, str],
) -> None:
    async with httpx.AsyncClient(base_url=signing_gateway[1]) as http:
        jwks = (await http.get("/.well-known/jwks.json")).json()
    assert jwks["keys"]
    for key in jwks["keys"]:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert key["kid"]
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


async def test_a_service_without_a_secret_verifies_the_gateways_tokens(
    signing_gateway: tuple[FastAPI, str], service: tuple[FastAPI, str]
) -> None:
    signed = await token(signing_gateway[1])
    response = await whoami(service[1], signed)
    assert response.status_code == 200, response.text
    # A token made with the old shared secret is refused: the service holds none.
    forged = issue_token(
        Actor(tenant_id=uuid4(), user_id=uuid4()), GatewaySettings(bootstrap_api_key=None)
    )
    assert (await whoami(service[1], forged)).status_code == 401


async def test_after_a_rotation_new_and_old_tokens_both_verify(
    signing_gateway: tuple[FastAPI, str], service: tuple[FastAPI, str]
) -> None:
    app, url = signing_gateway
    old = await token(url)
    old_kid = app.state.signer.kid
    async with transaction(app.state.sessions) as session:
        await current_keys(session, rotate_after=timedelta(0), keep_for=timedelta(hours=3))
    await app.state.signer.refresh(app.state.sessions)
    assert app.state.signer.kid != old_kid
    new = await token(url)
    assert (await whoami(service[1], new)).status_code == 200  # the service refetched
    assert (await whoami(service[1], old)).status_code == 200  # the old key is still published


async def test_a_service_started_before_the_gateway_verifies_its_tokens_once_it_is_up(
    gateway_settings: GatewaySettings, gateway_database: str, nats_url: str, serve_app: Any
) -> None:
    """As under ``make run``: the service knows the key set's URL before anything serves
    it, and fetches it (default settings) when the first token names a key."""
    port = free_port()
    settings = without_secret(gateway_database, nats_url, f"http://127.0.0.1:{port}")
    async with serve_app(service_app(settings), free_port()) as service_url:
        gateway = create_app(gateway_settings.model_copy(update={"token_algorithm": "RS256"}))
        async with serve_app(gateway, port) as gateway_url:
            signed = await token(gateway_url)
            response = await whoami(service_url, signed)
    assert response.status_code == 200, response.text
