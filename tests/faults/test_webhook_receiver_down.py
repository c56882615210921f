"""A webhook receiver that is down for a while (connections refused) gets every event
after it comes back, each delivery exactly once: contacts-service and the gateway as a
Stack, the webhook dispatcher as its own process, all on real PostgreSQL and NATS."""

import json
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from crm_local.ports import free_port, free_ports, wait_for_port
from crm_local.stack import GATEWAY, SERVICES, Stack
from crm_testing.service import eventually

from .counting import CONTACT_CREATED
from .load import SCALE
from .receiver import Receiver

BEFORE, WHILE_DOWN, AFTER = 5 * SCALE, 20 * SCALE, 5 * SCALE
#: Retries a second apart, more than the outage lasts: the subscription stays enabled.
RETRY_DELAYS = [1.0] * 60
API_KEY = "crm_faults_" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def platform(postgres_url: str, nats_url: str, tmp_path_factory) -> Iterator[Stack]:
    contacts = next(s for s in SERVICES if s.name == "contacts")
    stack = Stack(
        postgres_url,
        nats_url,
        apps=(contacts, GATEWAY),
        ports=dict(zip(("contacts", "gateway"), free_ports(2), strict=True)),
        bootstrap_api_key=API_KEY,
        log_dir=tmp_path_factory.mktemp("webhook-logs"),
        db_prefix=f"wh{uuid.uuid4().hex[:6]}_",
        extra_env={"CRM_GATEWAY_WEBHOOK_RETRY_DELAYS": json.dumps(RETRY_DELAYS)},
    )
    with stack:
        yield stack


@pytest.fixture(scope="module")
def dispatcher(platform: Stack) -> Iterator[str]:
    """``crm_gateway.dispatcher`` under uvicorn, on the gateway's database."""
    port = free_port()
    log = platform.log_dir / "dispatcher.log"
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "crm_gateway.dispatcher:create_app",
           "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=platform.env_for(GATEWAY), stdout=out, stderr=out)
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture
async def gateway(platform: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as client:
        yield client


async def tenant_admin(gateway: httpx.AsyncClient) -> dict[str, str]:
    """A new tenant whose webhooks may go to loopback, and its admin's authorization."""

    async def token(api_key: str) -> dict[str, str]:
        answer = await gateway.post("/v1/auth/token", json={"api_key": api_key})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    operator = await token(API_KEY)
    created = (await gateway.post("/v1/tenants", headers=operator, json={"name": "wh"})).json()
    allowed = await gateway.patch(
        f"/v1/tenants/{created['tenant']['id']}",
        headers=operator,
        json={"allow_private_webhooks": True},
    )
    assert allowed.status_code == 200, allowed.text
    return await token(created["admin_key"]["api_key"])


async def test_a_receiver_down_for_a_while_gets_everything_after(gateway, dispatcher):
    await answers_ready(dispatcher)  # its consumer is bound to the stream
    auth = await tenant_admin(gateway)
    receiver = Receiver(free_port())
    await receiver.up()
    subscribed = await gateway.post(
        "/v1/webhooks", headers=auth, json={"url": receiver.url, "event_types": [CONTACT_CREATED]}
    )
    assert subscribed.status_code == 201, subscribed.text
    deliveries = f"/v1/webhooks/{subscribed.json()['id']}/deliveries"
    created: list[str] = []

    async def create(count: int) -> None:
        for _ in range(count):
            answer = await gateway.post(
                "/v1/contacts", headers=auth, json={"first_name": f"c{len(created)}"}
            )
            assert answer.status_code == 201, answer.text
            created.append(answer.json()["id"])

    def received_subjects() -> list[str]:
        return [event["subject"] for _, event in receiver.received]

    async def received(count: int) -> None:
        assert len(receiver.received) >= count

    try:
        await create(BEFORE)
        await eventually(lambda: received(BEFORE), within=60)
        await receiver.down()
        await create(WHILE_DOWN)

        async def each_failed_twice() -> None:
            log = await every_page(gateway, deliveries, auth)
            failing = [d for d in log if d["state"] != "delivered" and d["attempts"] >= 2]
            assert len(failing) == WHILE_DOWN

        await eventually(each_failed_twice, within=60)  # the receiver was down a while
        assert len(receiver.received) == BEFORE
        await receiver.up()
        await create(AFTER)
        total = BEFORE + WHILE_DOWN + AFTER
        await eventually(lambda: received(total), within=60)
    finally:
        await receiver.down()

    assert sorted(received_subjects()) == sorted(created)  # every event, once
    assert Counter(webhook_id for webhook_id, _ in receiver.received).most_common(1)[0][1] == 1
    log = await every_page(gateway, deliveries, auth)
    assert Counter(d["state"] for d in log) == {"delivered": total}


async def every_page(
    client: httpx.AsyncClient, path: str, auth: dict[str, str]
) -> list[dict[str, Any]]:
    """Every row of a paginated listing."""
    rows: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 200}
    while True:
        page = await client.get(path, headers=auth, params=params)
        assert page.status_code == 200, page.text
        rows += page.json()["data"]
        if not (cursor := page.json()["next_cursor"]):
            return rows
        params["cursor"] = cursor


async def answers_ready(url: str) -> None:
    async with httpx.AsyncClient() as probe:

        async def ready() -> None:
            assert (await probe.get(f"{url}/readyz")).status_code == 200

        await eventually(ready, within=60)
