"""The access matrix, through the gateway to the real services: for every owned resource
of every service here, another tenant's token gets 404, a role without the scope 403, a
sales rep with own visibility cannot read a colleague's record, and a PATCH that sets
``tenant_id``, ``version`` or an owner outside the caller's reach is refused."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from crm_gateway.main import create_app
from crm_gateway.settings import GatewaySettings
from crm_testing import free_port

PASSWORD = "matrix password 0123"
#: Per service, its owned resources and a body that creates one.
RESOURCES: dict[str, dict[str, dict[str, Any]]] = {
    "contacts": {"contacts": {"first_name": "Ada"}, "accounts": {"name": "Acme"}},
    "sales": {"pipelines": {"name": "Direct"}},
}
CASES = [(s, r) for s, resources in RESOURCES.items() for r in resources]


@pytest_asyncio.fixture(scope="module")
async def services(
    service_database: Any, nats_url: str, serve_app: Any, tmp_path_factory: Any
) -> AsyncIterator[dict[str, str]]:
    from contacts_service.main import create_app as contacts_app
    from contacts_service.settings import ContactsSettings
    from sales_service.main import create_app as sales_app
    from sales_service.settings import SalesSettings

    folder: Path = tmp_path_factory.mktemp("matrix")
    contacts = ContactsSettings(
        database_url=await service_database.acreate("matrix_contacts", section="contacts"),
        nats_url=nats_url,
        imports_path=str(folder / "imports"),
        storage_path=str(folder / "objects"),
    )
    sales = SalesSettings(
        database_url=await service_database.acreate("matrix_sales", section="sales"),
        nats_url=nats_url,
    )
    async with (
        serve_app(contacts_app(contacts), free_port()) as contacts_url,
        serve_app(sales_app(sales), free_port()) as sales_url,
    ):
        yield {"contacts": contacts_url, "sales": sales_url}


@pytest_asyncio.fixture(scope="module")
async def gateway(
    services: dict[str, str], gateway_settings: GatewaySettings, serve_app: Any
) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings.model_copy(
        update={"contacts_url": services["contacts"], "sales_url": services["sales"]}
    )
    async with (
        serve_app(create_app(settings), free_port()) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


@dataclass
class People:
    admin: dict[str, str]
    rep: dict[str, str]
    rep_id: str
    colleague: dict[str, str]
    colleague_id: str
    no_scope: dict[str, str]
    stranger: dict[str, str]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def admin_of_new_tenant(client: httpx.AsyncClient, operator: dict[str, str]) -> str:
    created = await client.post(
        "/v1/tenants", headers=operator, json={"name": f"mx-{secrets.token_hex(4)}"}
    )
    key = created.json()["admin_key"]["api_key"]
    return str((await client.post("/v1/auth/token", json={"api_key": key})).json()["access_token"])


async def user(
    client: httpx.AsyncClient, admin: dict[str, str], roles: list[str]
) -> tuple[dict[str, str], str]:
    email = f"m{secrets.token_hex(5)}@example.com"
    created = await client.post(
        "/v1/users", headers=admin, json={"email": email, "password": PASSWORD, "roles": roles}
    )
    assert created.status_code == 201, created.text
    login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    return bearer(login.json()["access_token"]), created.json()["id"]


@pytest_asyncio.fixture(scope="module")
async def people(gateway: httpx.AsyncClient, admin_token: str) -> People:
    operator = bearer(admin_token)
    admin = bearer(await admin_of_new_tenant(gateway, operator))
    rep, rep_id = await user(gateway, admin, ["sales_rep"])
    colleague, colleague_id = await user(gateway, admin, ["sales_rep"])
    key = await gateway.post(
        "/v1/api-keys", headers=admin, json={"name": "support only", "scopes": ["support:*"]}
    )
    token = await gateway.post("/v1/auth/token", json={"api_key": key.json()["api_key"]})
    no_scope = bearer(token.json()["access_token"])
    stranger = bearer(await admin_of_new_tenant(gateway, operator))
    return People(admin, rep, rep_id, colleague, colleague_id, no_scope, stranger)


async def create(
    client: httpx.AsyncClient, who: dict[str, str], resource: str, body: dict[str, Any]
) -> dict[str, Any]:
    unique = {k: f"{v} {secrets.token_hex(3)}" if k == "name" else v for k, v in body.items()}
    created = await client.post(f"/v1/{resource}", headers=who, json=unique)
    assert created.status_code == 201, created.text
    return dict(created.json())


@pytest.mark.parametrize(("service", "resource"), CASES)
async def test_another_tenant_gets_404_and_a_role_without_the_scope_403(
    gateway: httpx.AsyncClient, people: People, service: str, resource: str
) -> None:
    record = await create(gateway, people.admin, resource, RESOURCES[service][resource])
    path = f"/v1/{resource}/{record['id']}"
    for method in ("GET", "PATCH", "DELETE"):
        response = await gateway.request(
            method, path, headers=people.stranger, json={} if method == "PATCH" else None
        )
        assert response.status_code == 404, (method, path, response.text)
    assert (await gateway.get(path, headers=people.no_scope)).status_code == 403
    assert (await gateway.get(f"/v1/{resource}", headers=people.no_scope)).status_code == 403
    refused = await gateway.post(
        f"/v1/{resource}", headers=people.no_scope, json=RESOURCES[service][resource]
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(("service", "resource"), CASES)
async def test_a_sales_rep_with_own_visibility_cannot_read_a_colleagues_record(
    gateway: httpx.AsyncClient, people: People, service: str, resource: str
) -> None:
    body = {**RESOURCES[service][resource], "owner_id": people.colleague_id}
    record = await create(gateway, people.admin, resource, body)
    path = f"/v1/{resource}/{record['id']}"
    assert (await gateway.get(path, headers=people.colleague)).status_code == 200
    assert (await gateway.get(path, headers=people.rep)).status_code == 404
    listed = (await gateway.get(f"/v1/{resource}", headers=people.rep)).json()["data"]
    assert record["id"] not in {r["id"] for r in listed}


@pytest.mark.parametrize(("service", "resource"), CASES)
async def test_a_patch_of_tenant_version_or_an_owner_out_of_reach_is_refused(
    gateway: httpx.AsyncClient, people: People, service: str, resource: str
) -> None:
    record = await create(gateway, people.rep, resource, RESOURCES[service][resource])
    assert record["owner_id"] == people.rep_id
    path = f"/v1/{resource}/{record['id']}"
    for body in (
        {"tenant_id": record["id"]},
        {"version": record["version"] + 5},
        {"owner_id": people.colleague_id},
    ):
        response = await gateway.patch(path, headers=people.rep, json=body)
        assert response.status_code in (403, 422), (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    after = (await gateway.get(path, headers=people.rep)).json()
    assert after["owner_id"] == people.rep_id and after["version"] == record["version"]


async def test_a_tenant_admin_cannot_create_a_tenant(
    gateway: httpx.AsyncClient, people: People
) -> None:
    refused = await gateway.post("/v1/tenants", headers=people.admin, json={"name": "mine"})
    assert refused.status_code == 403
