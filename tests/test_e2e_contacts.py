"""End to end: token, create a contact through the gateway, the CloudEvent on NATS."""

import json
from pathlib import Path
from uuid import UUID

import jsonschema
import pytest

from .conftest import token_for

PROBLEM = "application/problem+json"
SCHEMAS = Path(__file__).resolve().parents[1] / "proto" / "schemas"
pytestmark = pytest.mark.e2e


async def test_a_contact_created_through_the_gateway_is_published_on_nats(
    gateway, admin_headers, event_capture
):
    response = await gateway.post(
        "/v1/contacts",
        headers=admin_headers,
        json={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
    )
    assert response.status_code == 201, response.text
    contact = response.json()
    assert response.headers["location"] == f"/v1/contacts/{contact['id']}"
    assert response.headers["x-request-id"]

    event = await event_capture.wait_for(
        "crm.contacts.contact.created.v1",
        predicate=lambda e: e["subject"] == contact["id"],
        timeout=20,
    )
    me = await gateway.get(f"/v1/contacts/{contact['id']}", headers=admin_headers)
    assert me.status_code == 200
    assert UUID(event["tenantid"])
    assert event["data"]["contact"]["id"] == contact["id"]
    assert event["traceparent"].startswith("00-")
    schema = json.loads((SCHEMAS / "crm.contacts.contact.created.v1.json").read_text())
    jsonschema.validate(event, schema)


async def test_every_event_published_validates_against_its_schema(
    gateway, admin_headers, event_capture
):
    account = (
        await gateway.post("/v1/accounts", headers=admin_headers, json={"name": "Acme"})
    ).json()
    contact = (
        await gateway.post(
            "/v1/contacts",
            headers=admin_headers,
            json={"first_name": "Bo", "account_id": account["id"]},
        )
    ).json()
    await gateway.patch(
        f"/v1/contacts/{contact['id']}", headers=admin_headers, json={"title": "CTO"}
    )
    await gateway.delete(f"/v1/contacts/{contact['id']}", headers=admin_headers)
    await event_capture.wait_for(
        "crm.contacts.contact.deleted.v1",
        predicate=lambda e: e["subject"] == contact["id"],
        timeout=20,
    )
    assert len(event_capture.events) >= 4
    for event in event_capture.events:
        schema = json.loads((SCHEMAS / f"{event['type']}.json").read_text())
        jsonschema.validate(event, schema)


async def test_bad_input_through_the_gateway_is_a_4xx_problem(gateway, admin_headers):
    async def problem(response, status):
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert "Traceback" not in response.text
        return response.json()

    h = {**admin_headers, "content-type": "application/json"}
    await problem(await gateway.post("/v1/contacts", headers=h, content=b'{"first_name":'), 400)
    body = await problem(
        await gateway.post("/v1/contacts", headers=h, json={"first_name": ["not", "a", "string"]}),
        422,
    )
    assert body["errors"][0]["field"] == "first_name"
    body = await problem(
        await gateway.post("/v1/contacts", headers=h, json={"first_name": "A", "surprise": 1}), 422
    )
    assert {"field": "surprise", "message": "unknown field"} in body["errors"]
    await problem(
        await gateway.post("/v1/contacts", headers=h, json={"first_name": "x" * 3_000_000}), 413
    )
    await problem(await gateway.get("/v1/no-such-resource", headers=h), 404)
    await problem(await gateway.get("/v1/contacts", headers={"authorization": "Bearer nope"}), 401)
    await problem(await gateway.get("/v1/contacts"), 401)
    await problem(await gateway.post("/v1/auth/token", json={"api_key": "crm_wrong"}), 401)


async def test_another_tenants_contact_answers_404(gateway, admin_headers):
    created = await gateway.post("/v1/tenants", headers=admin_headers, json={"name": "Other Co"})
    assert created.status_code == 201, created.text
    other_key = created.json()["admin_key"]["api_key"]
    other = {"authorization": f"Bearer {await token_for(gateway, other_key)}"}
    contact = (
        await gateway.post("/v1/contacts", headers=admin_headers, json={"first_name": "Mine"})
    ).json()
    response = await gateway.get(f"/v1/contacts/{contact['id']}", headers=other)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    patch = await gateway.patch(
        f"/v1/contacts/{contact['id']}", headers=other, json={"first_name": "Theirs"}
    )
    assert patch.status_code == 404
