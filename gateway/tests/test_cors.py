"""CORS per tenant: preflights for an origin some tenant allows, responses that allow the
origin only for the caller's tenant."""

from __future__ import annotations

import secrets

import httpx

ORIGIN = f"https://app-{secrets.token_hex(3)}.example"


async def tenant_token(client: httpx.AsyncClient, operator: dict[str, str]) -> tuple[str, str]:
    created = await client.post(
        "/v1/tenants", headers=operator, json={"name": f"cors-{secrets.token_hex(4)}"}
    )
    body = created.json()
    key = body["admin_key"]["api_key"]
    token = (await client.post("/v1/auth/token", json={"api_key": key})).json()["access_token"]
    return body["tenant"]["id"], token


async def test_an_origin_is_allowed_for_its_tenant_only(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    tenant, token = await tenant_token(client, auth)
    _, other_token = await tenant_token(client, auth)
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH"}
    before = await client.options("/v1/contacts/echo", headers=preflight)
    assert before.status_code == 403
    assert before.headers["content-type"].startswith("application/problem+json")

    set_origins = await client.patch(
        f"/v1/tenants/{tenant}", headers=auth, json={"cors_origins": [ORIGIN]}
    )
    assert set_origins.status_code == 200, set_origins.text
    assert set_origins.json()["cors_origins"] == [ORIGIN]
    allowed = await client.options(
        "/v1/contacts/echo",
        headers={**preflight, "Access-Control-Request-Headers": "authorization,content-type"},
    )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "PATCH" in allowed.headers["access-control-allow-methods"]
    assert allowed.headers["access-control-allow-headers"] == "authorization,content-type"

    mine = await client.get(
        "/v1/contacts/echo", headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"}
    )
    assert mine.status_code == 200
    assert mine.headers["access-control-allow-origin"] == ORIGIN
    assert "RateLimit" in mine.headers["access-control-expose-headers"]
    theirs = await client.get(
        "/v1/contacts/echo", headers={"Origin": ORIGIN, "Authorization": f"Bearer {other_token}"}
    )
    assert theirs.status_code == 200
    assert "access-control-allow-origin" not in theirs.headers
    assert "Origin" in theirs.headers["vary"]


async def test_only_the_operator_sets_a_tenants_origins(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    tenant, token = await tenant_token(client, auth)
    refused = await client.patch(
        f"/v1/tenants/{tenant}",
        headers={"Authorization": f"Bearer {token}"},
        json={"cors_origins": ["https://evil.example"]},
    )
    assert refused.status_code == 403
    bad = await client.patch(f"/v1/tenants/{tenant}", headers=auth, json={"cors_origins": ["x"]})
    assert bad.status_code == 422
