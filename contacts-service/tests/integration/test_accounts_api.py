"""Accounts through the HTTP API."""


async def test_account_crud_and_events(api, tenant, event_capture):
    response = await api.post("/v1/accounts", json={"name": "Acme", "domain": "ACME.com"})
    assert response.status_code == 201
    account = response.json()
    assert account["domain"] == "acme.com"
    created = await event_capture.wait_for(
        "crm.contacts.account.created.v1", predicate=lambda e: e["subject"] == account["id"]
    )
    assert created["tenantid"] == str(tenant)

    patched = await api.patch(f"/v1/accounts/{account['id']}", json={"industry": "Tools"})
    assert patched.json()["industry"] == "Tools" and patched.json()["version"] == 2

    listed = (await api.get("/v1/accounts", params={"domain": "acme.com"})).json()
    assert [a["id"] for a in listed["data"]] == [account["id"]]

    assert (await api.delete(f"/v1/accounts/{account['id']}")).status_code == 204
    assert (await api.get(f"/v1/accounts/{account['id']}")).status_code == 404
    await event_capture.wait_for(
        "crm.contacts.account.deleted.v1", predicate=lambda e: e["subject"] == account["id"]
    )


async def test_account_name_cannot_be_removed_by_patch(api):
    account = (await api.post("/v1/accounts", json={"name": "Acme"})).json()
    response = await api.patch(f"/v1/accounts/{account['id']}", json={"name": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


async def test_deleting_an_account_unlinks_its_contacts_with_an_event_each(api, event_capture):
    account = (await api.post("/v1/accounts", json={"name": "Acme"})).json()
    contact = (
        await api.post("/v1/contacts", json={"first_name": "Bo", "account_id": account["id"]})
    ).json()
    assert (await api.delete(f"/v1/accounts/{account['id']}")).status_code == 204
    after = (await api.get(f"/v1/contacts/{contact['id']}")).json()
    assert after["account_id"] is None and after["version"] == 2
    event = await event_capture.wait_for(
        "crm.contacts.contact.updated.v1", predicate=lambda e: e["subject"] == contact["id"]
    )
    assert event["data"]["changed"] == ["account_id"]


async def test_delete_with_stale_if_match_is_412(api):
    account = (await api.post("/v1/accounts", json={"name": "Acme"})).json()
    await api.patch(f"/v1/accounts/{account['id']}", json={"industry": "x"})
    response = await api.delete(f"/v1/accounts/{account['id']}", headers={"if-match": '"1"'})
    assert response.status_code == 412
    assert (await api.get(f"/v1/accounts/{account['id']}")).status_code == 200
