"""Merging contacts (C6): survivorship, every child row moved, audit, events, undo."""

from uuid import UUID, uuid4

from contacts_service.common.references import of_kind
from sqlalchemy import text

SKIP = {"version", "updated_at"}


async def post(api, path, body, status=201):
    response = await api.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


async def contact(api, **body):
    return await post(api, "/v1/contacts", body)


async def members(api, list_id):
    page = (await api.get(f"/v1/lists/{list_id}/members")).json()
    return {m["member_id"] for m in page["data"]}


async def links(api, contact_id):
    page = (await api.get(f"/v1/contacts/{contact_id}/accounts")).json()
    return {(x["account_id"], x["role"], x["primary"]) for x in page["data"]}


async def rows_pointing_at(engine, contact_id):
    """Every registered child row still pointing at ``contact_id``, per table."""
    out = {}
    async with engine.connect() as conn:
        for ref in of_kind("contact"):
            n = (
                await conn.execute(
                    text(f'SELECT count(*) FROM "{ref.table}" WHERE "{ref.column}" = :id'),
                    {"id": UUID(contact_id)},
                )
            ).scalar_one()
            if n:
                out[f"{ref.table}.{ref.column}"] = n
    return out


def same(a, b):
    return {k: v for k, v in a.items() if k not in SKIP} == {
        k: v for k, v in b.items() if k not in SKIP
    }


async def test_a_merge_moves_every_child_record_and_is_undone(api, contacts_app, event_capture):
    acme = await post(api, "/v1/accounts", {"name": "Acme"})
    beta = await post(api, "/v1/accounts", {"name": "Beta"})
    for key in ("tier", "region"):
        await post(
            api,
            "/v1/custom-fields",
            {"object_type": "contact", "key": key, "label": key, "type": "text"},
        )
    a = await contact(
        api,
        first_name="Ada",
        last_name="Lovelace",
        emails=[{"email": "ada@a.example"}],
        tags=["vip"],
        account_id=acme["id"],
        custom={"tier": "gold"},
        consent={"email": {"marketing": "granted"}},
    )
    b = await contact(
        api,
        first_name="Augusta",
        last_name="Lovelace",
        title="Countess",
        emails=[{"email": "augusta@b.example"}, {"email": "ADA@a.example"}],
        phones=[{"number": "+44 20 7946 0000"}],
        tags=["beta", "vip"],
        account_id=beta["id"],
        custom={"region": "EU"},
        consent={"email": {"marketing": "denied"}},
    )
    # B is also linked to Acme, as A is: that link is a duplicate once B's links move.
    put = await api.put(f"/v1/contacts/{b['id']}/accounts/{acme['id']}", json={"role": "Advisor"})
    assert put.status_code == 200
    both = await post(api, "/v1/lists", {"name": "Both"})
    only_b = await post(api, "/v1/lists", {"name": "Only B"})
    await post(api, f"/v1/lists/{both['id']}/members", {"ids": [a["id"], b["id"]]}, 200)
    await post(api, f"/v1/lists/{only_b['id']}/members", {"ids": [b["id"]]}, 200)
    note = await post(api, "/v1/notes", {"body": "Met at the RS", "contact_id": b["id"]})
    a_before = (await api.get(f"/v1/contacts/{a['id']}")).json()
    b_before = (await api.get(f"/v1/contacts/{b['id']}")).json()
    links_a, links_b = await links(api, a["id"]), await links(api, b["id"])

    response = await api.post(
        "/v1/contacts/merge",
        json={"primary_id": a["id"], "merged_ids": [b["id"]]},
        headers={"If-Match": f'"{a_before["version"]}"'},
    )
    assert response.status_code == 200, response.text
    merged = response.json()["record"]
    merge_id = response.json()["merge"]["id"]
    assert response.headers["Location"] == f"/v1/merges/{merge_id}"
    assert (merged["first_name"], merged["title"]) == ("Ada", "Countess")
    assert [(e["email"], e["primary"]) for e in merged["emails"]] == [
        ("ada@a.example", True),
        ("augusta@b.example", False),
    ]
    assert merged["phone"] == "+442079460000"
    assert merged["tags"] == ["vip", "beta"]
    assert merged["custom"] == {"tier": "gold", "region": "EU"}
    assert merged["consent"] == {"email": {"marketing": "denied"}}
    assert merged["account_id"] == acme["id"]
    assert merged["version"] > a_before["version"]

    # Every child row now points at A; B is gone.
    assert (await api.get(f"/v1/contacts/{b['id']}")).status_code == 404
    assert await rows_pointing_at(contacts_app.state.engine, b["id"]) == {}
    assert await links(api, a["id"]) == {(acme["id"], None, True), (beta["id"], None, False)}
    assert await members(api, both["id"]) == {a["id"]}
    assert await members(api, only_b["id"]) == {a["id"]}
    assert (await api.get(f"/v1/notes/{note['id']}")).json()["contact_id"] == a["id"]

    event = await event_capture.wait_for(
        "crm.contacts.contact.merged.v1", predicate=lambda e: e["subject"] == a["id"]
    )
    assert event["data"] == {"merge_id": merge_id, "survivor_id": a["id"], "merged_ids": [b["id"]]}
    await event_capture.wait_for(
        "crm.contacts.contact.updated.v1",
        predicate=lambda e: e["subject"] == a["id"] and e["sequence"] == merged["version"],
    )
    assert not event_capture.of_type("crm.contacts.contact.deleted.v1")

    audit = (await api.get(f"/v1/merges/{merge_id}")).json()
    assert audit["kind"] == "contact" and audit["merged_ids"] == [b["id"]]
    assert audit["before"][b["id"]]["title"] == "Countess"
    assert audit["fields"]["title"] == {"rule": "filled", "from": [b["id"]]}
    children = {(c["table"], c["column"]): (c["moved"], c["dropped"]) for c in audit["children"]}
    assert children[("contact_accounts", "contact_id")] == (1, 1)
    assert children[("list_members", "member_id")] == (1, 1)
    assert children[("notes", "contact_id")] == (1, 0)

    undone = await api.post(f"/v1/merges/{merge_id}/undo")
    assert undone.status_code == 200, undone.text
    assert undone.json()["restored_ids"] == [b["id"]]
    assert undone.json()["rows_not_restored"] == 0
    b_back = (await api.get(f"/v1/contacts/{b['id']}")).json()
    a_back = (await api.get(f"/v1/contacts/{a['id']}")).json()
    assert same(b_back, b_before) and b_back["version"] == b_before["version"] + 1
    assert same(a_back, a_before) and a_back["version"] == merged["version"] + 1
    assert await links(api, a["id"]) == links_a
    assert await links(api, b["id"]) == links_b
    assert await members(api, both["id"]) == {a["id"], b["id"]}
    assert await members(api, only_b["id"]) == {b["id"]}
    assert (await api.get(f"/v1/notes/{note['id']}")).json()["contact_id"] == b["id"]

    undone_event = await event_capture.wait_for(
        "crm.contacts.merge.undone.v1", predicate=lambda e: e["data"]["merge_id"] == merge_id
    )
    assert undone_event["data"]["restored_ids"] == [b["id"]]
    await event_capture.wait_for(
        "crm.contacts.contact.created.v1", predicate=lambda e: e["subject"] == b["id"]
    )
    await event_capture.wait_for(
        "crm.contacts.contact.updated.v1",
        predicate=lambda e: e["subject"] == a["id"] and e["sequence"] == a_back["version"],
    )
    again = await api.post(f"/v1/merges/{merge_id}/undo")
    assert again.status_code == 409
    assert (await api.get(f"/v1/merges/{merge_id}")).json()["undone_at"] is not None


async def test_preview_shows_the_result_and_each_fields_source_without_writing(api):
    a = await contact(api, first_name="Alan", last_name="Turing", title=None)
    b = await contact(api, first_name="A.", last_name="Turing", title="Cryptanalyst")
    body = {
        "primary_id": a["id"],
        "merged_ids": [b["id"]],
        "field_choices": {"first_name": b["id"]},
    }
    response = await api.post("/v1/contacts/merge/preview", json=body)
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["record"]["id"] == a["id"]
    assert (preview["record"]["first_name"], preview["record"]["title"]) == ("A.", "Cryptanalyst")
    assert preview["fields"]["first_name"] == {"rule": "chosen", "from": [b["id"]]}
    assert preview["fields"]["last_name"] == {"rule": "primary", "from": [a["id"]]}
    assert (await api.get(f"/v1/contacts/{b['id']}")).status_code == 200
    assert (await api.get(f"/v1/contacts/{a['id']}")).json()["title"] is None


async def test_merge_requests_are_validated_as_422_problems(api):
    a = await contact(api, first_name="A")
    b = await contact(api, first_name="B")
    cases = [
        ({"primary_id": a["id"], "merged_ids": [a["id"]]}, "merged_ids"),
        ({"primary_id": a["id"], "merged_ids": [str(uuid4()) for _ in range(11)]}, "merged_ids"),
        ({"primary_id": a["id"], "merged_ids": []}, "merged_ids"),
        ({"primary_id": a["id"], "merged_ids": [b["id"], b["id"]]}, "merged_ids"),
        (
            {"primary_id": a["id"], "merged_ids": [b["id"]], "field_choices": {"shoe": b["id"]}},
            "field_choices.shoe",
        ),
        (
            {"primary_id": a["id"], "merged_ids": [b["id"]], "field_choices": {"emails": b["id"]}},
            "field_choices.emails",
        ),
    ]
    for body, field in cases:
        response = await api.post("/v1/contacts/merge", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in {e["field"] for e in response.json()["errors"]}, response.json()
    assert (await api.get(f"/v1/contacts/{b['id']}")).status_code == 200


async def test_unknown_foreign_and_already_merged_ids_and_stale_if_match(api, other_api):
    a = await contact(api, first_name="A")
    b = await contact(api, first_name="B")
    c = await contact(api, first_name="C")
    foreign = await contact(other_api, first_name="F")
    for merged in ([str(uuid4())], [foreign["id"]]):
        response = await api.post(
            "/v1/contacts/merge", json={"primary_id": a["id"], "merged_ids": merged}
        )
        assert response.status_code == 404, response.text
    other = await other_api.post(
        "/v1/contacts/merge", json={"primary_id": foreign["id"], "merged_ids": [a["id"]]}
    )
    assert other.status_code == 404
    assert (await other_api.get(f"/v1/contacts/{a['id']}/duplicates")).status_code == 404

    stale = await api.post(
        "/v1/contacts/merge",
        json={"primary_id": a["id"], "merged_ids": [b["id"]]},
        headers={"If-Match": '"999"'},
    )
    assert stale.status_code == 412
    done = await post(
        api, "/v1/contacts/merge", {"primary_id": a["id"], "merged_ids": [b["id"]]}, 200
    )
    again = await api.post(
        "/v1/contacts/merge", json={"primary_id": c["id"], "merged_ids": [b["id"]]}
    )
    assert again.status_code == 409 and done["merge"]["id"] in again.json()["detail"]
    merge_id = done["merge"]["id"]
    assert (await other_api.get(f"/v1/merges/{merge_id}")).status_code == 404
    assert (await other_api.post(f"/v1/merges/{merge_id}/undo")).status_code == 404
    history = (await api.get("/v1/merges", params={"record_id": b["id"]})).json()["data"]
    assert [m["id"] for m in history] == [merge_id]


async def test_undo_is_refused_once_the_survivor_moved_on_unless_forced(api, contacts_app):
    a = await contact(api, first_name="Grace", title="Rear admiral")
    b = await contact(api, first_name="Grace", last_name="Hopper")
    done = await post(
        api, "/v1/contacts/merge", {"primary_id": a["id"], "merged_ids": [b["id"]]}, 200
    )
    merge_id = done["merge"]["id"]
    await api.patch(f"/v1/contacts/{a['id']}", json={"title": "Commodore"})
    refused = await api.post(f"/v1/merges/{merge_id}/undo")
    assert refused.status_code == 409 and "changed since" in refused.json()["detail"]
    forced = await api.post(f"/v1/merges/{merge_id}/undo", json={"force": True})
    assert forced.status_code == 200, forced.text
    restored = (await api.get(f"/v1/contacts/{a['id']}")).json()
    assert (restored["title"], restored["last_name"]) == ("Rear admiral", None)

    # Past the window, undo is refused.
    done = await post(
        api, "/v1/contacts/merge", {"primary_id": a["id"], "merged_ids": [b["id"]]}, 200
    )
    async with contacts_app.state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE merges SET created_at = now() - interval '73 hours' WHERE id = :id"),
            {"id": UUID(done["merge"]["id"])},
        )
    late = await api.post(f"/v1/merges/{done['merge']['id']}/undo")
    assert late.status_code == 409 and "window" in late.json()["detail"]


async def test_a_later_merge_into_the_survivor_must_be_undone_first(api):
    a = await contact(api, first_name="A", emails=[{"email": "a@x.example"}])
    b = await contact(api, first_name="B")
    c = await contact(api, first_name="C", emails=[{"email": "c@x.example"}])
    first = await post(
        api, "/v1/contacts/merge", {"primary_id": a["id"], "merged_ids": [b["id"]]}, 200
    )
    second = await post(
        api, "/v1/contacts/merge", {"primary_id": a["id"], "merged_ids": [c["id"]]}, 200
    )
    blocked = await api.post(f"/v1/merges/{first['merge']['id']}/undo", json={"force": True})
    assert blocked.status_code == 409 and second["merge"]["id"] in blocked.json()["detail"]
    r = await api.post(f"/v1/merges/{second['merge']['id']}/undo")
    assert r.status_code == 200, r.text
    assert (await api.post(f"/v1/merges/{first['merge']['id']}/undo")).status_code == 200
    emails = (await api.get(f"/v1/contacts/{a['id']}")).json()["emails"]
    assert [e["email"] for e in emails] == ["a@x.example"]


async def test_a_merged_email_set_beyond_the_limit_is_a_422_and_nothing_is_written(api):
    a = await contact(api, emails=[{"email": f"a{i}@x.example"} for i in range(12)])
    b = await contact(api, emails=[{"email": f"b{i}@x.example"} for i in range(12)])
    response = await api.post(
        "/v1/contacts/merge", json={"primary_id": a["id"], "merged_ids": [b["id"]]}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "emails"
    assert (await api.get(f"/v1/contacts/{b['id']}")).status_code == 200
