"""Contacts through the HTTP API, against real PostgreSQL and NATS."""

from uuid import UUID

import pytest

PROBLEM = "application/problem+json"


async def create_contact(api, **fields):
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com", **fields}
    response = await api.post("/v1/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_contact_answers_201_with_location_etag_and_publishes_created(
    api, tenant, event_capture
):
    response = await api.post(
        "/v1/contacts",
        json={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "Ada@Example.com",
            "phone": "+44 20 7946 0000",
            "title": "Analyst",
        },
    )
    assert response.status_code == 201
    contact = response.json()
    assert contact["email"] == "ada@example.com"
    assert contact["version"] == 1
    assert response.headers["location"] == f"/v1/contacts/{contact['id']}"
    assert response.headers["etag"] == '"1"'
    assert UUID(contact["id"]).version == 7

    event = await event_capture.wait_for(
        "crm.contacts.contact.created.v1", predicate=lambda e: e["subject"] == contact["id"]
    )
    assert event["tenantid"] == str(tenant)
    assert event["source"] == "/crm/contacts-service"
    assert event["sequence"] == 1
    assert event["data"]["contact"]["email"] == "ada@example.com"


async def test_get_returns_the_contact_and_its_etag(api):
    contact = await create_contact(api)
    response = await api.get(f"/v1/contacts/{contact['id']}")
    assert response.status_code == 200
    assert response.json() == contact
    assert response.headers["etag"] == '"1"'


async def test_another_tenants_contact_is_not_found(api, other_api):
    contact = await create_contact(api)
    for call in (
        other_api.get(f"/v1/contacts/{contact['id']}"),
        other_api.patch(f"/v1/contacts/{contact['id']}", json={"title": "x"}),
        other_api.delete(f"/v1/contacts/{contact['id']}"),
    ):
        response = await call
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
    assert (await other_api.get("/v1/contacts")).json()["data"] == []
    assert (await api.get(f"/v1/contacts/{contact['id']}")).json()["version"] == 1


async def test_list_pages_through_every_contact_once(api):
    created = [await create_contact(api, email=f"p{i}@example.com") for i in range(7)]
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/v1/contacts", params=params)).json()
        seen += [c["id"] for c in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in reversed(created)]  # default sort: newest first
    ascending = (await api.get("/v1/contacts", params={"sort": "created_at"})).json()["data"]
    assert [c["id"] for c in ascending] == [c["id"] for c in created]


async def test_list_filters_by_email(api):
    await create_contact(api, email="one@example.com")
    await create_contact(api, email="two@example.com")
    data = (await api.get("/v1/contacts", params={"email": "TWO@example.com"})).json()["data"]
    assert [c["email"] for c in data] == ["two@example.com"]


async def test_a_tampered_cursor_is_a_422_problem(api):
    response = await api.get("/v1/contacts", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


async def test_patch_is_a_json_merge_patch_and_publishes_the_changed_fields(api, event_capture):
    contact = await create_contact(api, phone="+1 555 0100", title="Engineer")
    response = await api.patch(
        f"/v1/contacts/{contact['id']}",
        json={"title": "CTO", "phone": None},
        headers={"content-type": "application/merge-patch+json", "if-match": '"1"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "CTO" and body["phone"] is None
    assert body["first_name"] == "Ada"  # untouched
    assert body["version"] == 2 and response.headers["etag"] == '"2"'
    event = await event_capture.wait_for(
        "crm.contacts.contact.updated.v1", predicate=lambda e: e["subject"] == contact["id"]
    )
    assert event["data"]["changed"] == ["phone", "phones", "title"]
    assert event["sequence"] == 2


async def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(api):
    contact = await create_contact(api)
    await api.patch(f"/v1/contacts/{contact['id']}", json={"title": "A"})
    response = await api.patch(
        f"/v1/contacts/{contact['id']}", json={"title": "B"}, headers={"if-match": '"1"'}
    )
    assert response.status_code == 412
    assert response.headers["content-type"] == PROBLEM
    assert (await api.get(f"/v1/contacts/{contact['id']}")).json()["title"] == "A"


async def test_patch_that_changes_nothing_keeps_the_version(api):
    contact = await create_contact(api, title="Same")
    response = await api.patch(f"/v1/contacts/{contact['id']}", json={"title": "Same"})
    assert response.json()["version"] == 1


async def test_patch_rejects_unknown_fields_and_invalid_values(api):
    contact = await create_contact(api)
    response = await api.patch(f"/v1/contacts/{contact['id']}", json={"shoe_size": 44})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "shoe_size", "message": "unknown field"}]
    response = await api.patch(f"/v1/contacts/{contact['id']}", json={"email": "nope"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"
    response = await api.patch(f"/v1/contacts/{contact['id']}", json=["not", "an", "object"])
    assert response.status_code == 422


async def test_delete_removes_the_contact_and_publishes_deleted(api, event_capture):
    contact = await create_contact(api)
    assert (await api.delete(f"/v1/contacts/{contact['id']}")).status_code == 204
    assert (await api.get(f"/v1/contacts/{contact['id']}")).status_code == 404
    event = await event_capture.wait_for(
        "crm.contacts.contact.deleted.v1", predicate=lambda e: e["subject"] == contact["id"]
    )
    assert event["data"] == {"id": contact["id"]}


async def test_contact_cannot_point_at_another_tenants_account(api, other_api):
    account = (await other_api.post("/v1/accounts", json={"name": "Theirs"})).json()
    response = await api.post("/v1/contacts", json={"first_name": "X", "account_id": account["id"]})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "account_id", "message": "no such account"}]
    assert (await api.get("/v1/contacts")).json()["data"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": 12}, "first_name"),
        ({"first_name": "A", "unknown": 1}, "unknown"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": "A", "account_id": "not-a-uuid"}, "account_id"),
        ({}, "body"),
    ],
)
async def test_invalid_contact_is_a_422_problem_naming_the_field(api, body, field):
    response = await api.post("/v1/contacts", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422 and problem["title"]
    assert field in {e["field"] for e in problem["errors"]}
    assert (await api.get("/v1/contacts")).json()["data"] == []


async def test_malformed_json_is_a_400_problem(api):
    response = await api.post(
        "/v1/contacts", content=b'{"first_name": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_oversized_body_is_a_413_problem(api):
    response = await api.post("/v1/contacts", json={"first_name": "x" * 2_000_000})
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


async def test_unknown_route_is_a_404_problem(api):
    response = await api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


async def test_missing_or_bad_token_is_a_401_problem(anonymous):
    assert (await anonymous.get("/v1/contacts")).status_code == 401
    response = await anonymous.get("/v1/contacts", headers={"authorization": "Bearer abc.def.ghi"})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert "Traceback" not in response.text


async def test_same_idempotency_key_and_body_replays_the_first_response(api):
    headers = {"idempotency-key": "k-1"}
    body = {"first_name": "Once"}
    first = await api.post("/v1/contacts", json=body, headers=headers)
    second = await api.post("/v1/contacts", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    assert len((await api.get("/v1/contacts")).json()["data"]) == 1


async def test_same_idempotency_key_with_another_body_is_422(api):
    headers = {"idempotency-key": "k-2"}
    await api.post("/v1/contacts", json={"first_name": "A"}, headers=headers)
    response = await api.post("/v1/contacts", json={"first_name": "B"}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert len((await api.get("/v1/contacts")).json()["data"]) == 1


async def test_idempotency_keys_are_per_tenant(api, other_api):
    headers = {"idempotency-key": "shared"}
    await api.post("/v1/contacts", json={"first_name": "A"}, headers=headers)
    response = await other_api.post("/v1/contacts", json={"first_name": "B"}, headers=headers)
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
