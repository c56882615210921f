"""Notes (C9): on a contact and/or an account, with @mentions published for notifying."""

from uuid import uuid4

from crm_testing.service import TEST_USER, eventually

ADA = "@[Ada Lovelace](user:u-ada)"
BOB = "@[Bob](user:u-bob)"


async def contact_and_account(api):
    account = (await api.post("/v1/accounts", json={"name": "Acme"})).json()
    contact = (await api.post("/v1/contacts", json={"first_name": "Lin"})).json()
    return contact, account


async def test_a_note_records_its_author_and_mentions_and_publishes_them(api, event_capture):
    contact, account = await contact_and_account(api)
    response = await api.post(
        "/v1/notes",
        json={
            "body": f"**Renewal** call went well. {ADA} please send the quote, {ADA}!",
            "contact_id": contact["id"],
            "account_id": account["id"],
        },
    )
    assert response.status_code == 201, response.text
    note = response.json()
    assert response.headers["location"] == f"/v1/notes/{note['id']}"
    assert response.headers["etag"] == '"1"'
    assert note["author_id"] == str(TEST_USER)  # the caller, never the client's say
    assert note["mentions"] == ["u-ada"]
    event = await event_capture.wait_for(
        "crm.contacts.note.created.v1", predicate=lambda e: e["subject"] == note["id"]
    )
    assert event["data"]["note"]["mentions"] == ["u-ada"]
    assert event["data"]["note"]["contact_id"] == contact["id"]
    assert event["data"]["note"]["account_id"] == account["id"]

    assert (await api.get(f"/v1/notes/{note['id']}")).json() == note
    on_contact = (await api.get(f"/v1/contacts/{contact['id']}/notes")).json()["data"]
    on_account = (await api.get(f"/v1/accounts/{account['id']}/notes")).json()["data"]
    assert [n["id"] for n in on_contact] == [n["id"] for n in on_account] == [note["id"]]
    mentioned = (await api.get("/v1/notes", params={"mentioned": "u-ada"})).json()["data"]
    assert [n["id"] for n in mentioned] == [note["id"]]
    assert (await api.get("/v1/notes", params={"mentioned": "u-bob"})).json()["data"] == []


async def test_a_note_must_belong_to_a_record_of_this_tenant(api, other_api):
    contact, _ = await contact_and_account(api)
    nobody = await api.post("/v1/notes", json={"body": "floating"})
    assert nobody.status_code == 422
    assert nobody.headers["content-type"] == "application/problem+json"
    assert nobody.json()["errors"][0]["field"] == "contact_id"
    foreign = await other_api.post("/v1/notes", json={"body": "x", "contact_id": contact["id"]})
    assert foreign.status_code == 422
    assert foreign.json()["errors"] == [{"field": "contact_id", "message": "no such contact"}]
    unknown = await api.post("/v1/notes", json={"body": "x", "account_id": str(uuid4())})
    assert unknown.json()["errors"] == [{"field": "account_id", "message": "no such account"}]
    assert (await api.get("/v1/notes")).json()["data"] == []  # nothing half-written


async def test_the_body_is_bounded_and_required(api):
    contact, _ = await contact_and_account(api)
    big = await api.post("/v1/notes", json={"body": "x" * 100_001, "contact_id": contact["id"]})
    assert big.status_code == 422 and big.json()["errors"][0]["field"] == "body"
    ok = await api.post("/v1/notes", json={"body": "é" * 50_000, "contact_id": contact["id"]})
    assert ok.status_code == 201  # 100,000 bytes of UTF-8 exactly
    empty = await api.post("/v1/notes", json={"body": "", "contact_id": contact["id"]})
    assert empty.status_code == 422


async def test_editing_a_note_publishes_only_the_newly_mentioned(api, event_capture):
    contact, account = await contact_and_account(api)
    note = (
        await api.post("/v1/notes", json={"body": f"hi {ADA}", "contact_id": contact["id"]})
    ).json()
    stale = await api.patch(
        f"/v1/notes/{note['id']}", json={"body": "x"}, headers={"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    response = await api.patch(
        f"/v1/notes/{note['id']}",
        json={"body": f"hi {ADA} and {BOB}", "account_id": account["id"]},
        headers={"If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["mentions"] == ["u-ada", "u-bob"] and edited["version"] == 2
    assert edited["account_id"] == account["id"] and edited["contact_id"] == contact["id"]
    event = await event_capture.wait_for(
        "crm.contacts.note.updated.v1", predicate=lambda e: e["subject"] == note["id"]
    )
    assert event["data"]["new_mentions"] == ["u-bob"]
    assert event["data"]["changed"] == ["account_id", "body"]

    # removing the contact keeps the note on the account; removing both is refused
    moved = await api.patch(f"/v1/notes/{note['id']}", json={"contact_id": None})
    assert moved.status_code == 200 and moved.json()["contact_id"] is None
    orphan = await api.patch(f"/v1/notes/{note['id']}", json={"account_id": None})
    assert orphan.status_code == 422
    unknown = await api.patch(f"/v1/notes/{note['id']}", json={"author_id": "someone"})
    assert unknown.status_code == 422


async def test_deleting_a_note(api, other_api, event_capture):
    contact, _ = await contact_and_account(api)
    note = (await api.post("/v1/notes", json={"body": "bye", "contact_id": contact["id"]})).json()
    assert (await other_api.get(f"/v1/notes/{note['id']}")).status_code == 404
    assert (await other_api.delete(f"/v1/notes/{note['id']}")).status_code == 404
    assert (await api.delete(f"/v1/notes/{note['id']}")).status_code == 204
    assert (await api.get(f"/v1/notes/{note['id']}")).status_code == 404
    event = await event_capture.wait_for(
        "crm.contacts.note.deleted.v1", predicate=lambda e: e["subject"] == note["id"]
    )
    assert event["data"]["contact_id"] == contact["id"]


async def test_another_tenants_record_has_no_notes_to_show(api, other_api):
    contact, account = await contact_and_account(api)
    assert (await other_api.get(f"/v1/contacts/{contact['id']}/notes")).status_code == 404
    assert (await other_api.get(f"/v1/accounts/{account['id']}/notes")).status_code == 404


async def test_deleting_a_record_takes_its_own_notes_and_leaves_shared_ones(api):
    contact, account = await contact_and_account(api)
    mine = (await api.post("/v1/notes", json={"body": "a", "contact_id": contact["id"]})).json()
    shared = (
        await api.post(
            "/v1/notes",
            json={"body": "b", "contact_id": contact["id"], "account_id": account["id"]},
        )
    ).json()
    assert (await api.delete(f"/v1/contacts/{contact['id']}")).status_code == 204

    async def cleaned_up():
        assert (await api.get(f"/v1/notes/{mine['id']}")).status_code == 404
        kept = (await api.get(f"/v1/notes/{shared['id']}")).json()
        assert kept["contact_id"] is None and kept["account_id"] == account["id"]

    await eventually(cleaned_up)
