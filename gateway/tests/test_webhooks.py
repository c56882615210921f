"""Webhooks end to end: the gateway's API, the dispatcher consuming real NATS, and a real
HTTP receiver on loopback."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio
from crm_gateway.dispatcher import create_app as create_dispatcher
from crm_gateway.settings import GatewaySettings
from crm_testing import free_port
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook

T = TypeVar("T")
RETRIES = (0.01,) * 5  # six attempts in all, each retry due at once


@dataclass
class Receiver:
    """An integrator's endpoint: per path, how often to fail and with what."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, list[int]] = field(default_factory=dict)

    def endpoint(self, statuses: list[int] | None = None) -> str:
        name = secrets.token_hex(4)
        self.plan[name] = list(statuses or [])
        return f"{self.url}/hook/{name}"

    def of(self, url: str) -> list[dict[str, Any]]:
        name = url.rsplit("/", 1)[1]
        return [r for r in self.received if r["name"] == name]


def receiver_app(state: Receiver) -> FastAPI:
    app = FastAPI()

    @app.post("/hook/{name}")
    async def hook(name: str, request: Request) -> Response:
        body = await request.body()
        planned = state.plan.get(name) or [200]
        status = planned.pop(0) if len(planned) > 1 else planned[0]
        state.received.append(
            {"name": name, "headers": dict(request.headers), "body": body, "status": status}
        )
        return Response(b"ok" if status < 300 else b"nope", status_code=status)

    @app.post("/redirect")
    async def redirect() -> Response:
        return Response(status_code=307, headers={"Location": "/hook/x"})

    return app


async def until(check: Callable[[], Awaitable[T | None]], timeout: float = 10.0) -> T:  # noqa: ASYNC109
    """Poll ``check`` until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while True:
            if result := await check():
                return result
            await asyncio.sleep(0.05)


@pytest_asyncio.fixture(scope="module")
async def receiver(serve_app: Any) -> AsyncIterator[Receiver]:
    state = Receiver()
    async with serve_app(receiver_app(state), free_port()) as url:
        state.url = url
        yield state


@pytest_asyncio.fixture(scope="module")
async def dispatcher(gateway_settings: GatewaySettings) -> AsyncIterator[None]:
    settings = gateway_settings.model_copy(
        update={"bootstrap_api_key": None, "webhook_retry_delays": RETRIES}
    )
    app = create_dispatcher(settings)
    async with app.router.lifespan_context(app):
        yield


@dataclass
class Tenant:
    id: str
    auth: dict[str, str]


async def new_tenant(
    client: httpx.AsyncClient, operator: dict[str, str], *, private: bool
) -> Tenant:
    created = await client.post(
        "/v1/tenants", headers=operator, json={"name": f"wh-{secrets.token_hex(4)}"}
    )
    body = created.json()
    if private:
        allowed = await client.patch(
            f"/v1/tenants/{body['tenant']['id']}",
            headers=operator,
            json={"allow_private_webhooks": True},
        )
        assert allowed.status_code == 200, allowed.text
    key = body["admin_key"]["api_key"]
    token = (await client.post("/v1/auth/token", json={"api_key": key})).json()["access_token"]
    return Tenant(body["tenant"]["id"], {"Authorization": f"Bearer {token}"})


@pytest_asyncio.fixture
async def tenant(client: httpx.AsyncClient, auth: dict[str, str]) -> Tenant:
    """A tenant whose webhooks may go to loopback (the receiver)."""
    return await new_tenant(client, auth, private=True)


async def subscribe(
    client: httpx.AsyncClient, tenant: Tenant, url: str, types: list[str] | None = None
) -> dict[str, Any]:
    created = await client.post(
        "/v1/webhooks",
        headers=tenant.auth,
        json={"url": url, "event_types": types or ["crm.gateway.team.*"]},
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def make_event(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """A ``crm.gateway.team.created.v1`` of the tenant, through the outbox and NATS."""
    team = await client.post("/v1/teams", headers=tenant.auth, json={"name": secrets.token_hex(4)})
    assert team.status_code == 201, team.text


async def deliveries(client: httpx.AsyncClient, tenant: Tenant, hook: dict[str, Any]) -> list[Any]:
    response = await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant.auth)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


pytestmark = pytest.mark.usefixtures("dispatcher")


async def test_a_delivery_verifies_with_the_standard_webhooks_library(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver
) -> None:
    url = receiver.endpoint()
    hook = await subscribe(client, tenant, url)
    assert hook["secret"].startswith("whsec_")
    await make_event(client, tenant)
    [got] = await until(lambda: asyncio.sleep(0, receiver.of(url)))
    payload = Webhook(hook["secret"]).verify(got["body"], got["headers"])
    assert payload["type"] == "crm.gateway.team.created.v1"
    assert payload["specversion"] == "1.0" and payload["tenantid"] == tenant.id
    assert got["headers"]["content-type"] == "application/cloudevents+json"

    [delivery] = await until(lambda: deliveries(client, tenant, hook))
    assert delivery["id"] == got["headers"]["webhook-id"]
    logged = await until(lambda: _delivered(client, tenant, hook))
    assert logged["log"][0]["status"] == 200
    assert logged["log"][0]["duration_ms"] >= 0
    assert "webhook-signature" not in logged["log"][0]["request_headers"]


async def _delivered(client: httpx.AsyncClient, tenant: Tenant, hook: dict[str, Any]) -> Any:
    found = await deliveries(client, tenant, hook)
    return next((d for d in found if d["state"] == "delivered"), None)


async def test_a_receiver_failing_five_times_then_recovering_gets_the_same_webhook_id(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver
) -> None:
    url = receiver.endpoint([500, 503, 502, 500, 429, 200])
    hook = await subscribe(client, tenant, url)
    await make_event(client, tenant)
    delivered = await until(lambda: _delivered(client, tenant, hook), timeout=20)
    got = receiver.of(url)
    assert [r["status"] for r in got] == [500, 503, 502, 500, 429, 200]
    assert {r["headers"]["webhook-id"] for r in got} == {delivered["id"]}
    assert [a["status"] for a in delivered["log"]] == [200, 429, 500, 502, 503, 500]
    assert delivered["attempts"] == 6
    Webhook(hook["secret"]).verify(got[-1]["body"], got[-1]["headers"])


async def test_a_receiver_answering_410_is_disabled_and_an_event_says_so(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, event_capture: Any
) -> None:
    url = receiver.endpoint([410])
    hook = await subscribe(client, tenant, url)
    await make_event(client, tenant)

    async def disabled() -> Any:
        read = (await client.get(f"/v1/webhooks/{hook['id']}", headers=tenant.auth)).json()
        return read if read["disabled_at"] else None

    read = await until(disabled)
    assert "410" in read["disabled_reason"]
    assert len(receiver.of(url)) == 1  # never retried
    event = await event_capture.wait_for("crm.gateway.webhook.disabled.v1")
    assert event["data"]["webhook"]["id"] == hook["id"]
    # Disabled: further events are not delivered; re-enabled, they are.
    await make_event(client, tenant)
    enabled = await client.patch(
        f"/v1/webhooks/{hook['id']}", headers=tenant.auth, json={"enabled": True}
    )
    assert enabled.status_code == 200 and enabled.json()["disabled_at"] is None


async def test_a_receiver_that_never_recovers_is_disabled_after_the_last_retry(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver
) -> None:
    url = receiver.endpoint([500])
    hook = await subscribe(client, tenant, url)
    await make_event(client, tenant)

    async def failed() -> Any:
        found = await deliveries(client, tenant, hook)
        return found if found and found[0]["state"] == "failed" else None

    [delivery] = await until(failed, timeout=20)
    assert delivery["attempts"] == len(RETRIES) + 1
    read = (await client.get(f"/v1/webhooks/{hook['id']}", headers=tenant.auth)).json()
    assert read["disabled_at"] is not None


async def test_metadata_and_loopback_targets_are_refused(
    client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    strict = await new_tenant(client, auth, private=False)
    for url in (
        "http://169.254.169.254/latest/meta-data",
        f"http://localhost:{receiver.url.rsplit(':', 1)[1]}/hook/x",  # resolves to 127.0.0.1
        "http://10.0.0.8/hook",
    ):
        refused = await client.post(
            "/v1/webhooks", headers=strict.auth, json={"url": url, "event_types": ["*"]}
        )
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["errors"][0]["field"] == "url"


async def test_the_address_is_checked_again_at_delivery_time(
    client: httpx.AsyncClient, auth: dict[str, str], tenant: Tenant, receiver: Receiver
) -> None:
    url = receiver.endpoint()
    hook = await subscribe(client, tenant, url)
    # The operator withdraws the tenant's leave after the subscription was saved (the
    # same as a name that now resolves to a private address).
    withdrawn = await client.patch(
        f"/v1/tenants/{tenant.id}", headers=auth, json={"allow_private_webhooks": False}
    )
    assert withdrawn.status_code == 200
    await make_event(client, tenant)

    async def attempted() -> Any:
        found = await deliveries(client, tenant, hook)
        return found[0] if found and found[0]["log"] else None

    delivery = await until(attempted)
    assert delivery["log"][0]["status"] is None
    assert delivery["log"][0]["error"].startswith("refused")
    assert receiver.of(url) == []


async def test_redirects_are_not_followed(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver
) -> None:
    hook = await subscribe(client, tenant, f"{receiver.url}/redirect")
    await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=tenant.auth)

    async def attempted() -> Any:
        found = await deliveries(client, tenant, hook)
        return found[0] if found and found[0]["log"] else None

    delivery = await until(attempted)
    assert delivery["log"][-1]["status"] == 307
    assert delivery["state"] != "delivered"


async def test_ping_redeliver_and_redeliver_a_range(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver
) -> None:
    url = receiver.endpoint()
    hook = await subscribe(client, tenant, url, types=["crm.nothing.*"])
    ping = await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=tenant.auth)
    assert ping.status_code == 202, ping.text
    assert ping.json()["event_type"] == "crm.gateway.webhook.ping.v1"
    [first] = await until(lambda: asyncio.sleep(0, receiver.of(url)))

    again = await client.post(
        f"/v1/webhooks/{hook['id']}/deliveries/{ping.json()['id']}/redeliver",
        headers=tenant.auth,
    )
    assert again.status_code == 202
    await until(lambda: asyncio.sleep(0, len(receiver.of(url)) == 2))
    ranged = await client.post(
        f"/v1/webhooks/{hook['id']}/redeliver",
        headers=tenant.auth,
        json={"since": "2020-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"},
    )
    assert ranged.json() == {"count": 1}
    got = await until(lambda: asyncio.sleep(0, len(receiver.of(url)) == 3 and receiver.of(url)))
    assert {r["headers"]["webhook-id"] for r in got} == {first["headers"]["webhook-id"]}


async def test_a_rotated_secret_and_the_old_one_both_sign(
    client: httpx.AsyncClient, tenant: Tenant, receiver: Receiver
) -> None:
    url = receiver.endpoint()
    hook = await subscribe(client, tenant, url)
    rotated = await client.post(f"/v1/webhooks/{hook['id']}/secret", headers=tenant.auth)
    assert rotated.status_code == 200, rotated.text
    await client.post(f"/v1/webhooks/{hook['id']}/ping", headers=tenant.auth)
    [got] = await until(lambda: asyncio.sleep(0, receiver.of(url)))
    assert len(got["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], rotated.json()["secret"]):
        Webhook(secret).verify(got["body"], got["headers"])


async def test_another_tenants_subscription_is_404_and_scopes_are_needed(
    client: httpx.AsyncClient, auth: dict[str, str], tenant: Tenant, receiver: Receiver
) -> None:
    hook = await subscribe(client, tenant, receiver.endpoint())
    other = await new_tenant(client, auth, private=True)
    for method, path in (
        ("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/deliveries"), ("POST", "/ping"),
    ):  # fmt: skip
        response = await client.request(
            method,
            f"/v1/webhooks/{hook['id']}{path}",
            headers=other.auth,
            json={} if method == "PATCH" else None,
        )
        assert response.status_code == 404, (method, path, response.text)
    listed = (await client.get("/v1/webhooks", headers=other.auth)).json()["data"]
    assert listed == []


async def test_a_records_field_level_history_comes_from_its_events(
    client: httpx.AsyncClient, tenant: Tenant, auth: dict[str, str]
) -> None:
    created = await client.post("/v1/teams", headers=tenant.auth, json={"name": "Before"})
    team = created.json()
    patched = await client.patch(
        f"/v1/teams/{team['id']}",
        headers={**tenant.auth, "If-Match": created.headers["etag"]},
        json={"name": "After"},
    )
    assert patched.status_code == 200, patched.text

    async def both() -> Any:
        response = await client.get(f"/v1/audit/records/{team['id']}", headers=tenant.auth)
        return (
            response.json() if response.status_code == 200 and len(response.json()) == 2 else None
        )

    first, second = await until(both)
    assert first["type"] == "crm.gateway.team.created.v1"
    assert first["changes"]["name"] == {"from": None, "to": "Before"}
    assert second["changes"] == {"name": {"from": "Before", "to": "After"}}
    # Another tenant's admin learns nothing about it.
    other = await client.get(f"/v1/audit/records/{team['id']}", headers=auth)
    assert other.status_code == 404
