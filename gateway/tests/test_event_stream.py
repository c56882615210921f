"""The integrators' event stream: the AsyncAPI catalogue and server-sent events that
resume from Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jsonschema
from crm_proto.registry import REGISTRY


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


async def test_the_asyncapi_document_lists_every_event_type_and_its_refs_resolve(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/asyncapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["asyncapi"] == "3.0.0"
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == set(REGISTRY)
    for ref in refs(doc):
        resolve(doc, ref)
    for operation in doc["operations"].values():
        assert operation["action"] == "receive"
        assert resolve(doc, operation["channel"]["$ref"])["address"].startswith("crm.")

    # A real event validates against its message's payload schema.
    team = await client.post("/v1/teams", headers=auth, json={"name": secrets.token_hex(4)})
    snapshot = {k: team.json()[k] for k in ("id", "name", "version", "created_at", "updated_at")}
    event = {
        "specversion": "1.0", "id": "x", "source": "/crm/gateway", "tenantid": "t",
        "time": "2026-01-01T00:00:00Z", "type": "crm.gateway.team.created.v1",
        "datacontenttype": "application/json", "data": {"team": snapshot},
    }  # fmt: skip
    key = "crm_gateway_team_created_v1"
    schema = {**doc, "$ref": f"#/components/messages/{key}/payload"}
    jsonschema.Draft202012Validator(schema).validate(event)
    event["data"] = {"team": {"id": "not a uuid"}}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(event))


async def read_events(lines: AsyncIterator[str], count: int) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    async for line in lines:
        if line == "":
            if "data" in current:
                events.append(current)
                if len(events) == count:
                    return events
            current = {}
        elif not line.startswith(":"):
            field, _, value = line.partition(": ")
            current[field] = value
    return events


async def team(client: httpx.AsyncClient, auth: dict[str, str]) -> str:
    name = secrets.token_hex(4)
    created = await client.post("/v1/teams", headers=auth, json={"name": name})
    assert created.status_code == 201
    return name


async def test_the_stream_sends_the_tenants_events_and_resumes_after_last_event_id(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    other = await client.post(
        "/v1/tenants", headers=auth, json={"name": f"sse-{secrets.token_hex(4)}"}
    )
    key = other.json()["admin_key"]["api_key"]
    token = (await client.post("/v1/auth/token", json={"api_key": key})).json()["access_token"]
    other_auth = {"Authorization": f"Bearer {token}"}
    params = {"types": "crm.gateway.team.*"}

    async with (
        asyncio.timeout(15),
        client.stream("GET", "/v1/events/stream", headers=auth, params=params) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        assert await anext(lines) == ": connected"
        await team(client, other_auth)  # another tenant's: never sent here
        first = await team(client, auth)
        [event] = await read_events(lines, 1)
    assert event["event"] == "crm.gateway.team.created.v1"
    assert json.loads(event["data"])["data"]["team"]["name"] == first

    second, third = await team(client, auth), await team(client, auth)
    resumed = {**auth, "Last-Event-ID": event["id"]}
    async with (
        asyncio.timeout(15),
        client.stream("GET", "/v1/events/stream", headers=resumed, params=params) as response,
    ):
        got = await read_events(response.aiter_lines(), 2)
    assert [json.loads(e["data"])["data"]["team"]["name"] for e in got] == [second, third]
    assert int(got[0]["id"]) > int(event["id"])


async def test_the_stream_needs_the_events_scope(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    key = await client.post(
        "/v1/api-keys", headers=auth, json={"name": "r", "scopes": ["contacts:read"]}
    )
    token = (await client.post("/v1/auth/token", json={"api_key": key.json()["api_key"]})).json()
    response = await client.get(
        "/v1/events/stream", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert response.status_code == 403
    bad = await client.get("/v1/events/stream", headers={**auth, "Last-Event-ID": "x"})
    assert bad.status_code == 422
