"""Tokens for API keys, API keys and tenants, against the real database."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from crm_chassis.auth import verify_token
from crm_gateway.identity.keys import hash_key
from crm_gateway.settings import GatewaySettings

BOOTSTRAP_KEY = "crm_test_bootstrap_key_0123456789"  # = conftest.BOOTSTRAP_KEY
PROBLEM = "application/problem+json"


async def token_for(client: httpx.AsyncClient, api_key: str) -> httpx.Response:
    return await client.post("/v1/auth/token", json={"api_key": api_key})


async def test_api_key_exchanges_for_a_bearer_token(
    client: httpx.AsyncClient, gateway_settings: GatewaySettings
) -> None:
    response = await token_for(client, BOOTSTRAP_KEY)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == gateway_settings.token_ttl_seconds
    assert response.headers["cache-control"] == "no-store"
    principal = verify_token(body["access_token"], gateway_settings)
    assert principal.roles == {"admin", "operator"}  # the bootstrap key is the operator's
    assert principal.scopes == {"*"}


async def test_unknown_key_is_401_problem(client: httpx.AsyncClient) -> None:
    response = await token_for(client, "crm_not_a_key")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["detail"] == "The API key is unknown or revoked"


async def test_malformed_token_request_is_422(client: httpx.AsyncClient) -> None:
    bodies: list[Any] = [{}, {"key": "x"}, {"api_key": ""}, {"api_key": 5}, []]
    for body in bodies:
        response = await client.post("/v1/auth/token", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["errors"]
    not_json = await client.post(
        "/v1/auth/token", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400


async def test_admin_creates_a_scoped_key_that_can_be_revoked(
    client: httpx.AsyncClient, auth: dict[str, str], gateway_settings: GatewaySettings
) -> None:
    created = await client.post(
        "/v1/api-keys",
        headers=auth,
        json={"name": "crm sync", "roles": ["agent"], "scopes": ["contacts:read"]},
    )
    assert created.status_code == 201, created.text
    key = created.json()
    secret = key["api_key"]
    assert secret.startswith("crm_") and secret.startswith(key["prefix"])
    assert len(key["prefix"]) < len(secret)

    issued = await token_for(client, secret)
    assert issued.status_code == 200
    principal = verify_token(issued.json()["access_token"], gateway_settings)
    assert principal.roles == {"agent"}
    assert principal.scopes == {"contacts:read"}
    assert str(principal.user_id) == key["id"]

    # Not an admin: cannot mint keys.
    agent = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    forbidden = await client.post("/v1/api-keys", headers=agent, json={"name": "x"})
    assert forbidden.status_code == 403

    revoked = await client.delete(f"/v1/api-keys/{key['id']}", headers=auth)
    assert revoked.status_code == 204
    assert (await token_for(client, secret)).status_code == 401


async def test_key_is_stored_hashed_and_its_use_recorded(
    client: httpx.AsyncClient, auth: dict[str, str], fetch_one: Any
) -> None:
    created = (await client.post("/v1/api-keys", headers=auth, json={"name": "h"})).json()
    assert (await token_for(client, created["api_key"])).status_code == 200
    row = await fetch_one(
        "SELECT key_hash, prefix, last_used_at FROM api_keys WHERE id = :id",
        id=created["id"],
    )
    assert row["key_hash"] == hash_key(created["api_key"])
    assert created["api_key"] not in row.values()
    assert row["last_used_at"] is not None


async def test_operator_creates_a_tenant_whose_admin_cannot(
    client: httpx.AsyncClient, auth: dict[str, str], gateway_settings: GatewaySettings
) -> None:
    name = f"acme-{secrets.token_hex(4)}"
    created = await client.post("/v1/tenants", headers=auth, json={"name": name})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["tenant"]["name"] == name
    assert body["admin_key"]["tenant_id"] == body["tenant"]["id"]

    token = (await token_for(client, body["admin_key"]["api_key"])).json()["access_token"]
    principal = verify_token(token, gateway_settings)
    assert str(principal.tenant_id) == body["tenant"]["id"]
    assert principal.roles == {"admin"}

    again = await client.post("/v1/tenants", headers=auth, json={"name": name})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith(PROBLEM)

    # The new tenant's admin administers its tenant, but creates no tenants.
    tenant_admin = {"Authorization": f"Bearer {token}"}
    refused = await client.post("/v1/tenants", headers=tenant_admin, json={"name": name + "-x"})
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith(PROBLEM)
    # Nor can it grant itself the operator role through a key.
    escalate = await client.post(
        "/v1/api-keys", headers=tenant_admin, json={"name": "x", "roles": ["operator"]}
    )
    assert escalate.status_code == 403, escalate.text


async def test_another_tenants_key_cannot_be_revoked(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    other = await client.post(
        "/v1/tenants", headers=auth, json={"name": f"other-{secrets.token_hex(4)}"}
    )
    other_key = other.json()["admin_key"]
    # The default tenant's admin asks to revoke another tenant's key: not found for it.
    response = await client.delete(f"/v1/api-keys/{other_key['id']}", headers=auth)
    assert response.status_code == 404
    assert (await token_for(client, other_key["api_key"])).status_code == 200


async def test_identity_routes_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/api-keys", json={"name": "x"})).status_code == 401
    assert (await client.post("/v1/tenants", json={"name": "x"})).status_code == 401
