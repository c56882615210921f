"""The access matrix, through the gateway to the five real services: for every
tenant-scoped resource of every service, another tenant's token gets 404 (and does not
list it), a role without the scope 403; for every resource with an owner, a rep with own
visibility cannot read or change a colleague's record; a PATCH that sets ``tenant_id`` or
``version``, or an owner outside the caller's reach, is refused; a tenant admin cannot
create a tenant."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from crm_gateway.main import create_app
from crm_gateway.settings import GatewaySettings
from crm_testing import free_port

PASSWORD = "matrix password 0123"
#: Database limits for apps started together on a loaded machine (the defaults, 2 s to
#: connect and 3 s per statement, are production's: fail fast behind a load balancer).
PATIENT: dict[str, Any] = {"db_connect_timeout": 15.0, "db_statement_timeout": 15.0}
SERVICES = ("contacts", "sales", "marketing", "support", "analytics")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
#: A tenant-defined role: the services sales_rep has no scope of, with own visibility
#: (so the rep and the colleague hold own visibility everywhere).
OWN_ELSEWHERE = {
    "name": "own_elsewhere",
    "scopes": ["marketing:*", "support:*", "analytics:*"],
    "visibility": "own",
}


def unique(text: str) -> str:
    return f"{text} {secrets.token_hex(3)}"


@dataclass(frozen=True)
class Resource:
    """An owned resource of a service: where it lives, a body that creates one (from the
    records it needs, :class:`Parents`), and whether it has an owner (``owner_id``), so
    row visibility applies to it."""

    service: str
    path: str
    body: Callable[[Parents], dict[str, Any]]
    owned: bool = False
    #: The methods its record route answers (a quote is never deleted: it is rejected).
    methods: tuple[str, ...] = ("GET", "PATCH", "DELETE")

    @property
    def id(self) -> str:
        return self.path


@dataclass
class Parents:
    """Records of the matrix's tenant that other resources refer to."""

    pipeline_id: str = ""
    deal_id: str = ""
    rep_id: str = ""
    segment_id: str = ""
    #: Accounts not yet a partner (an account is the partner of at most one record).
    accounts: list[str] = field(default_factory=list)


RESOURCES = [
    Resource("contacts", "contacts", lambda _: {"first_name": "Ada"}, owned=True),
    Resource("contacts", "accounts", lambda _: {"name": unique("Acme")}, owned=True),
    Resource("sales", "pipelines", lambda _: {"name": unique("Direct")}, owned=True),
    Resource(
        "sales",
        "deals",
        lambda p: {"name": unique("Big"), "pipeline_id": p.pipeline_id},
        owned=True,
    ),
    Resource(
        "sales", "leads", lambda _: {"first_name": "Lee", "company": unique("Lead Co")}, owned=True
    ),
    Resource("sales", "tasks", lambda _: {"title": unique("Call back")}, owned=True),
    Resource(
        "sales",
        "stages",
        lambda p: {
            "pipeline_id": p.pipeline_id,
            "name": unique("Won?"),
            "position": 5,
            "probability": 50,
        },
    ),
    Resource(
        "sales",
        "quotes",
        lambda p: {"deal_id": p.deal_id, "currency": "EUR"},
        methods=("GET", "PATCH"),
    ),
    Resource(
        "sales",
        "products",
        lambda _: {"sku": f"SKU-{secrets.token_hex(4)}", "name": unique("Widget")},
    ),
    Resource("sales", "price-books", lambda _: {"name": unique("List")}),
    Resource(
        "sales", "partners", lambda p: {"account_id": p.accounts.pop(), "name": unique("Reseller")}
    ),
    Resource("sales", "assignment-queues", lambda _: {"name": unique("Inbound")}),
    Resource(
        "sales",
        "assignment-rules",
        lambda p: {"name": unique("Rule"), "position": 1, "owner_id": p.rep_id},
    ),
    Resource("sales", "web-forms", lambda _: {"name": unique("Signup")}),
    Resource(
        "sales",
        "quotas",
        lambda p: {
            "owner_id": p.rep_id,
            "period": f"20{secrets.randbelow(70) + 30}-Q{secrets.randbelow(4) + 1}",
            "amount": {"amount": "1000.00", "currency": "EUR"},
        },
    ),
    Resource("marketing", "segments", lambda _: {"name": unique("Vip"), "rule": {"tag": "vip"}}),
    Resource(
        "marketing",
        "campaigns",
        lambda p: {
            "name": unique("Spring"),
            "subject": "Hello",
            "text": "Hi",
            "segment_id": p.segment_id,
        },
    ),
    Resource(
        "marketing",
        "scoring-rules",
        lambda _: {"name": unique("Fit"), "kind": "fit", "points": 5, "condition": {"tag": "vip"}},
    ),
    Resource("support", "tickets", lambda _: {"subject": unique("It broke")}, owned=True),
    Resource("support", "queues", lambda _: {"name": unique("Tier 1")}),
    Resource("support", "sla-policies", lambda _: {"name": unique("Standard")}),
    Resource(
        "support",
        "calendars",
        lambda _: {
            "name": unique("Office"),
            "time_zone": "Europe/Berlin",
            "hours": {d: [["09:00", "17:00"]] for d in WEEKDAYS},
        },
    ),
    Resource(
        "support", "articles", lambda _: {"draft_title": unique("How to"), "draft_body": "Steps."}
    ),
]
OWNED = [r for r in RESOURCES if r.owned]


@pytest_asyncio.fixture(scope="module")
async def services(
    service_database: Any, nats_url: str, serve_app: Any, tmp_path_factory: Any
) -> AsyncIterator[dict[str, str]]:
    """Every service on its own database, served over HTTP (once for the module)."""
    from analytics_service.main import create_app as analytics_app
    from analytics_service.settings import AnalyticsSettings
    from contacts_service.main import create_app as contacts_app
    from contacts_service.settings import ContactsSettings
    from marketing_service.main import create_app as marketing_app
    from marketing_service.settings import MarketingSettings
    from sales_service.main import create_app as sales_app
    from sales_service.settings import SalesSettings
    from support_service.main import create_app as support_app
    from support_service.settings import SupportSettings

    folder: Path = tmp_path_factory.mktemp("matrix")

    async def database(name: str) -> str:
        return str(await service_database.acreate(f"matrix_{name}", section=name))

    db = PATIENT  # six apps start at once, beside other suites: no 2 s connect limit

    apps = {
        "contacts": contacts_app(
            ContactsSettings(
                database_url=await database("contacts"),
                **db,
                nats_url=nats_url,
                imports_path=str(folder / "imports"),
                storage_path=str(folder / "objects"),
            )
        ),
        "sales": sales_app(
            SalesSettings(database_url=await database("sales"), nats_url=nats_url, **db)
        ),
        "marketing": marketing_app(
            MarketingSettings(database_url=await database("marketing"), nats_url=nats_url, **db)
        ),
        "support": support_app(
            SupportSettings(
                database_url=await database("support"),
                **db,
                nats_url=nats_url,
                storage_path=str(folder / "support-objects"),
            )
        ),
        "analytics": analytics_app(
            AnalyticsSettings(
                database_url=await database("analytics"),
                **db,
                nats_url=nats_url,
                warehouse_path=folder / "warehouse.duckdb",
                parquet_path=folder / "parquet",
            )
        ),
    }
    async with contextlib.AsyncExitStack() as stack:
        urls = {
            name: await stack.enter_async_context(serve_app(app, free_port()))
            for name, app in apps.items()
        }
        yield urls


@pytest_asyncio.fixture(scope="module")
async def gateway(
    services: dict[str, str], gateway_settings: GatewaySettings, serve_app: Any
) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings.model_copy(
        update={f"{name}_url": url for name, url in services.items()} | PATIENT
    )
    async with (
        serve_app(create_app(settings), free_port()) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


@dataclass
class People:
    admin: dict[str, str]
    rep: dict[str, str]
    rep_id: str
    colleague: dict[str, str]
    colleague_id: str
    #: Per service, a key of the same tenant holding only another service's scope.
    no_scope: dict[str, dict[str, str]]
    stranger: dict[str, str]
    parents: Parents


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


async def key_token(client: httpx.AsyncClient, admin: dict[str, str], scopes: list[str]) -> str:
    key = await client.post(
        "/v1/api-keys", headers=admin, json={"name": unique("scoped"), "scopes": scopes}
    )
    assert key.status_code == 201, key.text
    token = await client.post("/v1/auth/token", json={"api_key": key.json()["api_key"]})
    return str(token.json()["access_token"])


async def made(
    client: httpx.AsyncClient, who: dict[str, str], path: str, body: dict[str, Any]
) -> dict[str, Any]:
    created = await client.post(f"/v1/{path}", headers=who, json=body)
    assert created.status_code in (201, 202), (path, created.status_code, created.text)
    return dict(created.json())


@pytest_asyncio.fixture(scope="module")
async def people(gateway: httpx.AsyncClient, admin_token: str) -> People:
    operator = bearer(admin_token)
    admin = bearer(await admin_of_new_tenant(gateway, operator))
    role = await gateway.post("/v1/roles", headers=admin, json=OWN_ELSEWHERE)
    assert role.status_code == 201, role.text
    rep, rep_id = await user(gateway, admin, ["sales_rep", OWN_ELSEWHERE["name"]])
    colleague, colleague_id = await user(gateway, admin, ["sales_rep", OWN_ELSEWHERE["name"]])
    elsewhere = {s: "contacts:read" if s == "support" else "support:*" for s in SERVICES}
    no_scope = {
        s: bearer(await key_token(gateway, admin, [scope])) for s, scope in elsewhere.items()
    }
    stranger = bearer(await admin_of_new_tenant(gateway, operator))
    pipeline = await made(gateway, admin, "pipelines", {"name": unique("Parent")})
    stage = {"pipeline_id": pipeline["id"], "name": "Open", "position": 0, "probability": 10}
    await made(gateway, admin, "stages", stage)
    deal = await made(gateway, admin, "deals", {"name": "Parent", "pipeline_id": pipeline["id"]})
    accounts = [
        (await made(gateway, admin, "accounts", {"name": unique("Partner")}))["id"]
        for _ in range(4)
    ]
    segment = await made(gateway, admin, "segments", {"name": "Parent", "rule": {"tag": "a"}})
    parents = Parents(pipeline["id"], deal["id"], rep_id, segment["id"], accounts)
    return People(admin, rep, rep_id, colleague, colleague_id, no_scope, stranger, parents)


def is_problem(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("application/problem+json")


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.id)
async def test_another_tenant_gets_404_and_a_role_without_the_scope_403(
    gateway: httpx.AsyncClient, people: People, resource: Resource
) -> None:
    record = await made(gateway, people.admin, resource.path, resource.body(people.parents))
    path = f"/v1/{resource.path}/{record['id']}"
    for method in resource.methods:
        response = await gateway.request(
            method, path, headers=people.stranger, json={} if method == "PATCH" else None
        )
        assert response.status_code == 404, (method, path, response.text)
        assert is_problem(response), (method, path, response.headers)
    listed = await gateway.get(f"/v1/{resource.path}", headers=people.stranger)
    assert listed.status_code == 200, listed.text
    assert record["id"] not in {r["id"] for r in listed.json()["data"]}
    no_scope = people.no_scope[resource.service]
    assert (await gateway.get(path, headers=no_scope)).status_code == 403
    assert (await gateway.get(f"/v1/{resource.path}", headers=no_scope)).status_code == 403
    body = resource.body(people.parents)
    refused = await gateway.post(f"/v1/{resource.path}", headers=no_scope, json=body)
    assert refused.status_code == 403, refused.text
    assert (await gateway.get(path, headers=people.admin)).status_code == 200


@pytest.mark.parametrize("resource", OWNED, ids=lambda r: r.id)
async def test_a_sales_rep_with_own_visibility_cannot_read_a_colleagues_record(
    gateway: httpx.AsyncClient, people: People, resource: Resource
) -> None:
    body = {**resource.body(people.parents), "owner_id": people.colleague_id}
    record = await made(gateway, people.admin, resource.path, body)
    path = f"/v1/{resource.path}/{record['id']}"
    assert (await gateway.get(path, headers=people.colleague)).status_code == 200
    assert (await gateway.get(path, headers=people.rep)).status_code == 404
    listed = await gateway.get(f"/v1/{resource.path}", headers=people.rep)
    assert listed.status_code == 200, listed.text
    assert record["id"] not in {r["id"] for r in listed.json()["data"]}
    changed = await gateway.patch(path, headers=people.rep, json={})
    assert changed.status_code == 404, changed.text


def refused(response: httpx.Response) -> bool:
    return response.status_code in (403, 409, 422, 428) and is_problem(response)


@pytest.mark.parametrize("resource", OWNED, ids=lambda r: r.id)
async def test_a_patch_of_tenant_version_or_an_owner_out_of_reach_is_refused(
    gateway: httpx.AsyncClient, people: People, resource: Resource
) -> None:
    record = await made(gateway, people.rep, resource.path, resource.body(people.parents))
    assert record["owner_id"] == people.rep_id
    path = f"/v1/{resource.path}/{record['id']}"
    for body in (
        {"tenant_id": record["id"]},
        {"version": record["version"] + 5},
        {"owner_id": people.colleague_id},
    ):
        response = await gateway.patch(path, headers=people.rep, json=body)
        assert refused(response), (body, response.status_code, response.text)
    after = (await gateway.get(path, headers=people.rep)).json()
    assert after["owner_id"] == people.rep_id and after["version"] == record["version"]


@pytest.mark.parametrize("resource", [r for r in RESOURCES if not r.owned], ids=lambda r: r.id)
async def test_a_patch_of_tenant_or_version_of_an_unowned_resource_is_refused(
    gateway: httpx.AsyncClient, people: People, resource: Resource
) -> None:
    record = await made(gateway, people.admin, resource.path, resource.body(people.parents))
    path = f"/v1/{resource.path}/{record['id']}"
    for body in ({"tenant_id": record["id"]}, {"version": record["version"] + 5}):
        response = await gateway.patch(path, headers=people.admin, json=body)
        assert refused(response), (body, response.status_code, response.text)
    after = (await gateway.get(path, headers=people.admin)).json()
    assert after["version"] == record["version"]


async def test_an_analytics_model_run_of_another_tenant_is_404_and_without_the_scope_403(
    gateway: httpx.AsyncClient, people: People
) -> None:
    started = await made(gateway, people.admin, "models/rfm/runs", {})
    path = f"/v1/models/rfm/runs/{started['id']}"
    assert (await gateway.get(path, headers=people.admin)).status_code == 200
    stranger = await gateway.get(path, headers=people.stranger)
    assert stranger.status_code == 404 and is_problem(stranger), stranger.text
    listed = await gateway.get("/v1/models/rfm/runs", headers=people.stranger)
    assert started["id"] not in {r["id"] for r in listed.json()}
    no_scope = people.no_scope["analytics"]
    assert (await gateway.get(path, headers=no_scope)).status_code == 403
    assert (await gateway.post("/v1/models/rfm/runs", headers=no_scope, json={})).status_code == 403


async def test_a_tenant_admin_cannot_create_a_tenant(
    gateway: httpx.AsyncClient, people: People
) -> None:
    refused = await gateway.post("/v1/tenants", headers=people.admin, json={"name": "mine"})
    assert refused.status_code == 403
