"""POST /v1/contacts/batch: per-item results, partial success, events only for writes."""

from uuid import UUID, uuid4

from contacts_service.imports.batch import MAX_ITEMS
from crm_chassis.tables import outbox
from crm_testing.service import eventually
from sqlalchemy import func, select

CREATED = "crm.contacts.contact.created.v1"
UPDATED = "crm.contacts.contact.updated.v1"


async def published(app, capture, tenant, type_):
    """The events of ``type_`` published for ``tenant``, once the relay has published all
    of the tenant's outbox rows (it deletes them as it goes)."""

    async def drained():
        async with app.state.sessions() as session:
            stmt = select(func.count()).select_from(outbox).where(outbox.c.tenant_id == tenant)
            assert (await session.execute(stmt)).scalar_one() == 0

    await eventually(drained)
    return [e for e in capture.of_type(type_) if e["tenantid"] == str(tenant)]


async def batch(api, items, **kw):
    response = await api.post("/v1/contacts/batch", json={"items": items, **kw})
    assert response.status_code == 200, response.text
    return response.json()


async def all_contacts(api):
    return (await api.get("/v1/contacts", params={"limit": 500, "sort": "created_at"})).json()[
        "data"
    ]


async def test_create_reports_every_item_in_order_and_writes_only_the_good_ones(
    api, tenant, contacts_app, event_capture
):
    items = [
        {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com"},
        {"first_name": "Bad", "email": "not-an-email"},
        {"first_name": "Grace", "phone": "(202) 555-0100", "tags": ["VIP", "vip", " Navy "]},
        {"title": "nobody"},
        42,
        {"first_name": "Linus", "shoe_size": 44},
        {"last_name": "Hopper", "custom": {"tier": "gold"}},
    ]
    body = await batch(api, items)

    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [
        (0, "created"),
        (1, "error"),
        (2, "created"),
        (3, "error"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
    ]
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (2, 0, 0, 5)
    errors = {r["index"]: r["errors"] for r in body["results"]}
    assert [e["field"] for e in errors[1]] == ["email"]
    assert errors[3] == [
        {"field": "item", "message": "Value error, a contact needs a name, an email or a phone"}
    ]
    assert errors[4] == [{"field": "item", "message": "must be a JSON object"}]
    assert errors[5] == [{"field": "shoe_size", "message": "unknown field"}]
    assert errors[6] == [{"field": "custom.tier", "message": "unknown custom field"}]
    assert all(r["id"] is None for r in body["results"] if r["status"] == "error")

    stored = await all_contacts(api)
    ids = [body["results"][0]["id"], body["results"][2]["id"]]
    assert [c["id"] for c in stored] == ids
    assert all(UUID(i).version == 7 for i in ids)
    ada, grace = stored
    assert ada["email"] == "ada@example.com" and ada["version"] == 1
    assert grace["phone"] == "+12025550100" and grace["tags"] == ["vip", "navy"]

    # One created event per written contact, carrying exactly what GET shows.
    for contact in stored:
        event = await event_capture.wait_for(
            CREATED, predicate=lambda e, c=contact: e["subject"] == c["id"]
        )
        assert event["data"]["contact"] == without_erasure(contact)
        assert event["tenantid"] == str(tenant) and event["sequence"] == 1
        assert event["source"] == "/crm/contacts-service"
    assert len(await published(contacts_app, event_capture, tenant, CREATED)) == 2


async def test_upsert_by_email_updates_creates_or_leaves_unchanged(api, event_capture):
    ada = (
        await api.post("/v1/contacts", json={"first_name": "Ada", "email": "ada@example.com"})
    ).json()
    grace = (
        await api.post(
            "/v1/contacts",
            json={"first_name": "Grace", "emails": [{"email": "g@navy.example"},
                                                    {"email": "grace@home.example"}]},
        )
    ).json()  # fmt: skip
    items = [
        {"email": "ADA@example.com", "title": "Countess"},  # merged into Ada
        {"email": "grace@home.example", "first_name": "Grace"},  # nothing new for Grace
        {"email": "new@example.com", "first_name": "Neo"},
        {"first_name": "No email"},
        {"email": "ada@example.com", "title": "again"},
        {"email": "g@navy.example", "title": "Admiral"},  # Grace again, by her other address
    ]
    body = await batch(api, items, mode="upsert", match_on="email")
    results = body["results"]
    assert [r["status"] for r in results] == [
        "updated",
        "unchanged",
        "created",
        "error",
        "error",
        "error",
    ]
    assert results[0]["id"] == ada["id"] and results[1]["id"] == grace["id"]
    assert results[3]["errors"] == [{"field": "email", "message": "needed to match on email"}]
    assert results[4]["errors"] == [
        {"field": "email", "message": "same email as item 0 of this batch"}
    ]
    assert results[5]["errors"] == [
        {"field": "email", "message": "matches the same contact as item 1"}
    ]

    after = (await api.get(f"/v1/contacts/{ada['id']}")).json()
    assert (after["title"], after["first_name"], after["version"]) == ("Countess", "Ada", 2)
    assert (await api.get(f"/v1/contacts/{grace['id']}")).json()["version"] == 1
    event = await event_capture.wait_for(UPDATED, predicate=lambda e: e["subject"] == ada["id"])
    assert event["data"]["changed"] == ["title"]
    assert event["data"]["contact"] == without_erasure(after) and event["sequence"] == 2
    assert not [e for e in event_capture.of_type(UPDATED) if e["subject"] == grace["id"]]


async def test_upsert_by_external_id_merges_partial_items(api):
    first = await batch(
        api,
        [{"external_id": "crm-1", "first_name": "Ada", "email": "ada@example.com"}],
        mode="upsert",
        match_on="external_id",
    )
    contact_id = first["results"][0]["id"]
    body = await batch(
        api,
        [
            {"external_id": "crm-1", "title": "CTO"},  # no name: fine, it merges into Ada
            {"external_id": "crm-2", "title": "CEO"},  # new, and not a valid contact alone
            {"title": "no key"},
        ],
        mode="upsert",
        match_on="external_id",
    )
    assert [r["status"] for r in body["results"]] == ["updated", "error", "error"]
    assert body["results"][0]["id"] == contact_id
    assert body["results"][1]["errors"][0]["field"] == "item"
    assert body["results"][2]["errors"] == [
        {"field": "external_id", "message": "needed to match on external_id"}
    ]
    stored = (await api.get(f"/v1/contacts/{contact_id}")).json()
    assert (stored["title"], stored["email"], stored["version"]) == ("CTO", "ada@example.com", 2)


async def test_create_refuses_an_external_id_already_taken(api):
    await batch(api, [{"first_name": "Ada", "external_id": "x-1"}])
    body = await batch(
        api,
        [
            {"first_name": "Copy", "external_id": "x-1"},
            {"first_name": "B", "external_id": "x-2"},
            {"first_name": "C", "external_id": "x-2"},
        ],
    )
    assert [r["status"] for r in body["results"]] == ["error", "created", "error"]
    assert body["results"][0]["errors"] == [
        {"field": "external_id", "message": "another contact has this external_id"}
    ]
    assert body["results"][2]["errors"] == [
        {"field": "external_id", "message": "same external_id as item 1 of this batch"}
    ]
    assert len(await all_contacts(api)) == 2


async def test_accounts_are_checked_linked_and_give_the_company(api, event_capture):
    account = (await api.post("/v1/accounts", json={"name": "Analytical Engines"})).json()
    body = await batch(
        api,
        [
            {"first_name": "Ada", "account_id": account["id"]},
            {"first_name": "Nobody", "account_id": str(uuid4())},
        ],
    )
    assert [r["status"] for r in body["results"]] == ["created", "error"]
    assert body["results"][1]["errors"] == [{"field": "account_id", "message": "no such account"}]
    contact_id = body["results"][0]["id"]
    contact = (await api.get(f"/v1/contacts/{contact_id}")).json()
    assert contact["company"] == "Analytical Engines"
    links = (await api.get(f"/v1/contacts/{contact_id}/accounts")).json()["data"]
    assert [(link["account_id"], link["primary"]) for link in links] == [(account["id"], True)]
    await event_capture.wait_for(
        "crm.contacts.contact_account.linked.v1",
        predicate=lambda e: e["data"] == {
            "contact_id": contact_id, "account_id": account["id"], "role": None, "primary": True
        },
    )  # fmt: skip


async def test_custom_field_values_are_checked_against_the_definitions(api):
    field = {"object_type": "contact", "key": "score", "label": "Score", "type": "number"}
    assert (await api.post("/v1/custom-fields", json=field)).status_code == 201
    body = await batch(
        api,
        [
            {"first_name": "A", "custom": {"score": "42"}},
            {"first_name": "B", "custom": {"score": "lots"}},
        ],
    )
    assert [r["status"] for r in body["results"]] == ["created", "error"]
    assert body["results"][1]["errors"] == [
        {"field": "custom.score", "message": "must be a number"}
    ]
    stored = (await api.get(f"/v1/contacts/{body['results'][0]['id']}")).json()
    assert stored["custom"] == {"score": 42}


async def test_a_malformed_envelope_fails_the_whole_request(api):
    too_many = {"items": [{"first_name": "x"}] * (MAX_ITEMS + 1)}
    cases = [
        (too_many, 422, "items"),
        ({"items": []}, 422, "items"),
        ({"items": [{"first_name": "x"}], "mode": "replace"}, 422, "mode"),
        ({"items": [{"first_name": "x"}], "match_on": "phone"}, 422, "match_on"),
        ({"contacts": []}, 422, "items"),
    ]
    for body, status, field in cases:
        response = await api.post("/v1/contacts/batch", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]]
    response = await api.post(
        "/v1/contacts/batch", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert await all_contacts(api) == []


async def test_another_tenants_contacts_are_never_matched(api, other_api):
    mine = await batch(api, [{"first_name": "Ada", "email": "ada@example.com"}])
    theirs = await batch(other_api, [{"email": "ada@example.com", "title": "Spy"}], mode="upsert")
    assert theirs["results"][0]["status"] == "created"
    assert theirs["results"][0]["id"] != mine["results"][0]["id"]
    again = await batch(other_api, [{"email": "ada@example.com", "title": "Spy 2"}], mode="upsert")
    assert again["results"][0]["status"] == "updated"
    assert again["results"][0]["id"] == theirs["results"][0]["id"]
    ada = (await api.get(f"/v1/contacts/{mine['results'][0]['id']}")).json()
    assert (ada["first_name"], ada["title"], ada["version"]) == ("Ada", None, 1)
    assert len(await all_contacts(api)) == 1


async def test_an_update_that_changes_the_account_relinks_the_contact(api):
    a1 = (await api.post("/v1/accounts", json={"name": "One"})).json()
    a2 = (await api.post("/v1/accounts", json={"name": "Two"})).json()
    created = await batch(api, [{"first_name": "Ada", "email": "a@x.example",
                                 "account_id": a1["id"]}])  # fmt: skip
    contact_id = created["results"][0]["id"]
    body = await batch(api, [{"email": "a@x.example", "account_id": a2["id"]}], mode="upsert")
    assert body["results"][0] == {
        "index": 0, "status": "updated", "id": contact_id, "errors": []
    }  # fmt: skip
    links = (await api.get(f"/v1/contacts/{contact_id}/accounts")).json()["data"]
    assert {(link["account_id"], link["primary"]) for link in links} == {
        (a1["id"], False),
        (a2["id"], True),
    }


def without_erasure(contact: dict) -> dict:
    """A contact as its events carry it: ``erased_at`` is only on the read model."""
    assert contact["erased_at"] is None
    return {k: v for k, v in contact.items() if k != "erased_at"}
