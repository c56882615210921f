"""Merging accounts (C6): contacts, links, child accounts, lists and notes move; undo."""

from uuid import uuid4


async def post(api, path, body, status=201):
    response = await api.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


async def get(api, path):
    response = await api.get(path)
    assert response.status_code == 200, response.text
    return response.json()


async def links(api, contact_id):
    page = await get(api, f"/v1/contacts/{contact_id}/accounts")
    return {(x["account_id"], x["role"], x["primary"]) for x in page["data"]}


async def members(api, list_id):
    return {m["member_id"] for m in (await get(api, f"/v1/lists/{list_id}/members"))["data"]}


async def test_an_account_merge_moves_contacts_links_children_and_lists_and_is_undone(
    api, event_capture
):
    a = await post(api, "/v1/accounts", {"name": "Acme", "industry": "Tools"})
    b = await post(
        api, "/v1/accounts", {"name": "ACME Inc.", "domain": "acme.example", "tags": ["emea"]}
    )
    only_b = await post(api, "/v1/contacts", {"first_name": "Bea", "account_id": b["id"]})
    both = await post(api, "/v1/contacts", {"first_name": "Cy", "account_id": a["id"]})
    await api.put(f"/v1/contacts/{both['id']}/accounts/{b['id']}", json={"role": "Partner"})
    child = await post(api, "/v1/accounts", {"name": "Acme Labs", "parent_id": b["id"]})
    lst = await post(api, "/v1/lists", {"name": "Targets", "object_type": "account"})
    lst_b = await post(api, "/v1/lists", {"name": "B only", "object_type": "account"})
    await post(api, f"/v1/lists/{lst['id']}/members", {"ids": [a["id"], b["id"]]}, 200)
    await post(api, f"/v1/lists/{lst_b['id']}/members", {"ids": [b["id"]]}, 200)
    note = await post(api, "/v1/notes", {"body": "Renewal in May", "account_id": b["id"]})
    before = {
        "a": await get(api, f"/v1/accounts/{a['id']}"),
        "b": await get(api, f"/v1/accounts/{b['id']}"),
        "only_b": await links(api, only_b["id"]),
        "both": await links(api, both["id"]),
    }

    preview = await post(
        api, "/v1/accounts/merge/preview", {"primary_id": a["id"], "merged_ids": [b["id"]]}, 200
    )
    moves = {(c["table"], c["column"]): (c["moved"], c["dropped"]) for c in preview["children"]}
    assert moves[("contacts", "account_id")] == (1, 0)
    assert moves[("contact_accounts", "account_id")] == (1, 1)
    assert moves[("accounts", "parent_id")] == (1, 0)

    done = await post(
        api, "/v1/accounts/merge", {"primary_id": a["id"], "merged_ids": [b["id"]]}, 200
    )
    survivor = done["record"]
    assert (survivor["name"], survivor["domain"], survivor["industry"]) == (
        "Acme",
        "acme.example",
        "Tools",
    )
    assert survivor["tags"] == ["emea"]
    assert (await api.get(f"/v1/accounts/{b['id']}")).status_code == 404
    assert (await get(api, f"/v1/contacts/{only_b['id']}"))["account_id"] == a["id"]
    assert await links(api, only_b["id"]) == {(a["id"], None, True)}
    assert await links(api, both["id"]) == {(a["id"], None, True)}
    assert (await get(api, f"/v1/accounts/{child['id']}"))["parent_id"] == a["id"]
    assert await members(api, lst["id"]) == {a["id"]}
    assert await members(api, lst_b["id"]) == {a["id"]}
    assert (await get(api, f"/v1/notes/{note['id']}"))["account_id"] == a["id"]
    merged_event = await event_capture.wait_for(
        "crm.contacts.account.merged.v1", predicate=lambda e: e["subject"] == a["id"]
    )
    assert merged_event["data"]["merged_ids"] == [b["id"]]
    moved_contact = await event_capture.wait_for(
        "crm.contacts.contact.updated.v1", predicate=lambda e: e["subject"] == only_b["id"]
    )
    assert moved_contact["data"]["changed"] == ["account_id"]
    await event_capture.wait_for(
        "crm.contacts.account.updated.v1",
        predicate=lambda e: e["subject"] == child["id"] and e["data"]["changed"] == ["parent_id"],
    )
    assert not event_capture.of_type("crm.contacts.account.deleted.v1")

    undone = await api.post(f"/v1/merges/{done['merge']['id']}/undo")
    assert undone.status_code == 200, undone.text
    b_back = await get(api, f"/v1/accounts/{b['id']}")
    a_back = await get(api, f"/v1/accounts/{a['id']}")
    skip = {"version", "updated_at"}
    for was, now in ((before["a"], a_back), (before["b"], b_back)):
        assert {k: v for k, v in now.items() if k not in skip} == {
            k: v for k, v in was.items() if k not in skip
        }
    assert (await get(api, f"/v1/contacts/{only_b['id']}"))["account_id"] == b["id"]
    assert await links(api, only_b["id"]) == before["only_b"]
    assert await links(api, both["id"]) == before["both"]
    assert (await get(api, f"/v1/accounts/{child['id']}"))["parent_id"] == b["id"]
    assert await members(api, lst["id"]) == {a["id"], b["id"]}
    assert await members(api, lst_b["id"]) == {b["id"]}
    assert (await get(api, f"/v1/notes/{note['id']}"))["account_id"] == b["id"]
    await event_capture.wait_for(
        "crm.contacts.account.created.v1", predicate=lambda e: e["subject"] == b["id"]
    )


async def test_merging_never_leaves_an_account_hierarchy_with_a_cycle(api):
    b = await post(api, "/v1/accounts", {"name": "Holding"})
    mid = await post(api, "/v1/accounts", {"name": "Mid", "parent_id": b["id"]})
    a = await post(api, "/v1/accounts", {"name": "Leaf", "parent_id": mid["id"]})
    # A sits below B (A -> Mid -> B): B's child Mid cannot become A's child, so it is detached.
    done = await post(
        api, "/v1/accounts/merge", {"primary_id": a["id"], "merged_ids": [b["id"]]}, 200
    )
    assert done["record"]["parent_id"] == mid["id"]
    assert (await get(api, f"/v1/accounts/{mid['id']}"))["parent_id"] is None
    undone = await api.post(f"/v1/merges/{done['merge']['id']}/undo")
    assert undone.status_code == 200, undone.text
    assert (await get(api, f"/v1/accounts/{mid['id']}"))["parent_id"] == b["id"]


async def test_account_merge_errors(api, other_api):
    a = await post(api, "/v1/accounts", {"name": "A"})
    foreign = await post(other_api, "/v1/accounts", {"name": "F"})
    for merged in ([str(uuid4())], [foreign["id"]]):
        response = await api.post(
            "/v1/accounts/merge", json={"primary_id": a["id"], "merged_ids": merged}
        )
        assert response.status_code == 404
    self_merge = await api.post(
        "/v1/accounts/merge", json={"primary_id": a["id"], "merged_ids": [a["id"]]}
    )
    assert self_merge.status_code == 422
