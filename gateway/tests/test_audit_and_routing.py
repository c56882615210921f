"""Audit of every write, routes learned from the services' OpenAPI, and the circuit
breaker, through the real gateway."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx

Upstream = Any


async def audit_of(client: httpx.AsyncClient, auth: dict[str, str], **filters: Any) -> list[Any]:
    response = await client.get("/v1/audit", headers=auth, params=filters)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def recorded(client: httpx.AsyncClient, auth: dict[str, str], **filters: Any) -> list[Any]:
    """The entries once there: a row is written just after its response went out."""
    async with asyncio.timeout(10):
        while True:
            if found := await audit_of(client, auth, **filters):
                return found
            await asyncio.sleep(0.05)


async def test_every_write_is_recorded_with_who_what_and_outcome(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    request_id = f"audit-{secrets.token_hex(4)}"
    # The read first: by the time the write's row is there, a row of the read would be.
    await client.get("/v1/contacts/echo", headers={**auth, "X-Request-Id": request_id + "-r"})
    written = await client.post(
        "/v1/contacts/echo", headers={**auth, "X-Request-Id": request_id}, json={"a": 1}
    )
    assert written.status_code == 200
    [entry] = await recorded(client, auth, request_id=request_id)
    assert entry["method"] == "POST"
    assert entry["path"] == "/v1/contacts/echo"
    assert entry["resource"] == "contacts"
    assert entry["status"] == 200
    assert entry["actor_id"] is not None and entry["at"]
    assert await audit_of(client, auth, request_id=request_id + "-r") == []  # reads are not

    refused_id = f"audit-{secrets.token_hex(4)}"
    team = await client.post(
        "/v1/teams", headers={**auth, "X-Request-Id": refused_id}, json={"nope": 1}
    )
    assert team.status_code == 422
    [refused] = await recorded(client, auth, request_id=refused_id)
    assert (refused["status"], refused["resource"]) == (422, "teams")


async def test_the_audit_log_is_the_tenants_own_and_for_admins(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    other = await client.post(
        "/v1/tenants", headers=auth, json={"name": f"aud-{secrets.token_hex(4)}"}
    )
    key = other.json()["admin_key"]["api_key"]
    token = (await client.post("/v1/auth/token", json={"api_key": key})).json()["access_token"]
    other_admin = {"Authorization": f"Bearer {token}"}
    mine = await recorded(client, auth, resource="tenants", method="POST")
    assert any(e["status"] == 201 for e in mine)
    assert await audit_of(client, other_admin, resource="tenants") == []
    limited = await client.post(
        "/v1/api-keys", headers=other_admin, json={"name": "ro", "roles": ["read_only"]}
    )
    ro_token = (
        await client.post("/v1/auth/token", json={"api_key": limited.json()["api_key"]})
    ).json()["access_token"]
    forbidden = await client.get("/v1/audit", headers={"Authorization": f"Bearer {ro_token}"})
    assert forbidden.status_code == 403


async def test_a_resource_a_service_adds_routes_without_a_gateway_change(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/widgets/w1", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": "w1"}
    assert (await client.get("/v1/gadgets/1", headers=auth)).status_code == 404


async def test_a_failing_service_opens_its_circuit_with_a_clear_503(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # analytics listens nowhere in these tests: five 502s, then the circuit is open.
    statuses = [(await client.get("/v1/cubes", headers=auth)).status_code for _ in range(6)]
    assert statuses == [502] * 5 + [503]
    refused = await client.get("/v1/reports", headers=auth)
    assert refused.status_code == 503
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "analytics" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) >= 1
    # Other services are unaffected.
    assert (await client.get("/v1/contacts/echo", headers=auth)).status_code == 200
