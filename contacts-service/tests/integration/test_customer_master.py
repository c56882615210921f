"""The full contact and account models: channels, links, custom fields, tags, lists (C1-C4, C11)."""

from uuid import uuid4


async def test_contact_keeps_several_emails_phones_addresses_with_one_primary_each(api):
    response = await api.post(
        "/v1/contacts",
        json={
            "first_name": "Grace",
            "last_name": "Hopper",
            "emails": [
                {"email": "grace@navy.example", "label": "work"},
                {"email": "g@home.example", "label": "home", "primary": True},
            ],
            "phones": [{"number": "(202) 555-0100", "label": "office"}],
            "addresses": [{"city": "Arlington", "country": "US"}],
            "lifecycle_stage": "customer",
            "membership_level": "gold",
            "member_since": "2020-05-01",
        },
    )
    assert response.status_code == 201, response.text
    c = response.json()
    assert c["email"] == "g@home.example"
    assert [e["email"] for e in c["emails"]] == ["g@home.example", "grace@navy.example"]
    assert c["phone"] == "+12025550100"
    assert c["phones"][0]["e164"] == "+12025550100" and c["phones"][0]["primary"] is True
    assert c["addresses"][0]["primary"] is True
    # every email finds the contact, not only the primary
    found = (await api.get("/v1/contacts", params={"email": "grace@navy.example"})).json()
    assert [x["id"] for x in found["data"]] == [c["id"]]
    gold = (await api.get("/v1/contacts", params={"membership_level": "gold"})).json()["data"]
    assert [x["id"] for x in gold] == [c["id"]]


async def test_setting_the_email_shortcut_keeps_the_old_address_as_secondary(api):
    c = (await api.post("/v1/contacts", json={"email": "old@x.example"})).json()
    patched = (await api.patch(f"/v1/contacts/{c['id']}", json={"email": "new@x.example"})).json()
    assert patched["email"] == "new@x.example"
    assert [(e["email"], e["primary"]) for e in patched["emails"]] == [
        ("new@x.example", True),
        ("old@x.example", False),
    ]


async def test_consent_change_publishes_consent_changed(api, event_capture):
    c = (await api.post("/v1/contacts", json={"email": "c@x.example"})).json()
    response = await api.patch(
        f"/v1/contacts/{c['id']}",
        json={"consent": {"email": {"marketing": "granted"}}, "do_not_contact": False},
    )
    assert response.json()["consent"] == {"email": {"marketing": "granted"}}
    event = await event_capture.wait_for(
        "crm.contacts.contact.consent_changed.v1", predicate=lambda e: e["subject"] == c["id"]
    )
    assert event["data"]["changes"] == [
        {"channel": "email", "purpose": "marketing", "status": "granted", "previous": None}
    ]
    bad = await api.patch(f"/v1/contacts/{c['id']}", json={"consent": {"fax": {"x": "granted"}}})
    assert bad.status_code == 422


async def test_linking_a_contact_to_accounts_with_roles(api, event_capture):
    acme = (await api.post("/v1/accounts", json={"name": "Acme", "type": "customer"})).json()
    beta = (await api.post("/v1/accounts", json={"name": "Beta", "type": "partner"})).json()
    c = (
        await api.post("/v1/contacts", json={"first_name": "Lin", "account_id": acme["id"]})
    ).json()
    assert c["company"] == "Acme"  # filled from the primary account when empty

    put = await api.put(f"/v1/contacts/{c['id']}/accounts/{beta['id']}", json={"role": "Advisor"})
    assert put.status_code == 200 and put.json()["primary"] is False
    await api.put(
        f"/v1/contacts/{c['id']}/accounts/{acme['id']}",
        json={"role": "Decision maker", "primary": True},
    )
    links = (await api.get(f"/v1/contacts/{c['id']}/accounts")).json()["data"]
    assert [(link["account_id"], link["role"], link["primary"]) for link in links] == [
        (acme["id"], "Decision maker", True),
        (beta["id"], "Advisor", False),
    ]

    # making Beta primary moves contact.account_id and demotes Acme
    await api.put(
        f"/v1/contacts/{c['id']}/accounts/{beta['id']}", json={"role": "Advisor", "primary": True}
    )
    assert (await api.get(f"/v1/contacts/{c['id']}")).json()["account_id"] == beta["id"]
    assert (await api.delete(f"/v1/contacts/{c['id']}/accounts/{beta['id']}")).status_code == 204
    assert (await api.get(f"/v1/contacts/{c['id']}")).json()["account_id"] is None
    await event_capture.wait_for(
        "crm.contacts.contact_account.unlinked.v1",
        predicate=lambda e: e["data"]["account_id"] == beta["id"],
    )


async def test_account_hierarchy_refuses_cycles(api):
    parent = (await api.post("/v1/accounts", json={"name": "Group"})).json()
    child = (await api.post("/v1/accounts", json={"name": "Sub", "parent_id": parent["id"]})).json()
    assert child["parent_id"] == parent["id"]
    cycle = await api.patch(f"/v1/accounts/{parent['id']}", json={"parent_id": child["id"]})
    assert cycle.status_code == 422
    assert cycle.json()["errors"][0]["field"] == "parent_id"
    own = await api.patch(f"/v1/accounts/{parent['id']}", json={"parent_id": parent["id"]})
    assert own.status_code == 422
    children = (await api.get("/v1/accounts", params={"parent_id": parent["id"]})).json()["data"]
    assert [a["id"] for a in children] == [child["id"]]


async def test_custom_fields_are_validated_on_write_with_an_error_per_field(api, event_capture):
    for body in (
        {
            "object_type": "contact",
            "key": "tier",
            "label": "Tier",
            "type": "enum",
            "options": ["gold", "silver"],
        },
        {"object_type": "contact", "key": "budget", "label": "Budget", "type": "money"},
        {"object_type": "contact", "key": "renewal", "label": "Renewal", "type": "date"},
    ):
        assert (await api.post("/v1/custom-fields", json=body)).status_code == 201
    await event_capture.wait_for(
        "crm.contacts.custom_field.created.v1",
        predicate=lambda e: e["data"]["field"]["key"] == "renewal",
    )
    ok = await api.post(
        "/v1/contacts",
        json={
            "first_name": "Al",
            "custom": {"tier": "gold", "budget": {"amount": "100.50", "currency": "usd"}},
        },
    )
    assert ok.status_code == 201
    assert ok.json()["custom"] == {
        "tier": "gold",
        "budget": {"amount": "100.50", "currency": "USD"},
    }
    bad = await api.post(
        "/v1/contacts",
        json={"first_name": "Al", "custom": {"tier": "bronze", "renewal": "tomorrow", "nope": 1}},
    )
    assert bad.status_code == 422
    assert sorted(e["field"] for e in bad.json()["errors"]) == [
        "custom.nope",
        "custom.renewal",
        "custom.tier",
    ]
    patched = await api.patch(f"/v1/contacts/{ok.json()['id']}", json={"custom": {"tier": None}})
    assert patched.json()["custom"] == {"budget": {"amount": "100.50", "currency": "USD"}}


async def test_custom_field_keys_are_unique_and_type_is_immutable(api):
    body = {"object_type": "account", "key": "arr", "label": "ARR", "type": "number"}
    field = (await api.post("/v1/custom-fields", json=body)).json()
    assert (await api.post("/v1/custom-fields", json=body)).status_code == 409
    change = await api.patch(f"/v1/custom-fields/{field['id']}", json={"type": "text"})
    assert change.status_code == 422
    renamed = await api.patch(f"/v1/custom-fields/{field['id']}", json={"label": "Annual RR"})
    assert renamed.json()["label"] == "Annual RR" and renamed.json()["version"] == 2


async def test_deleting_a_custom_field_removes_its_values(api):
    field = (
        await api.post(
            "/v1/custom-fields",
            json={"object_type": "contact", "key": "shoe", "label": "Shoe", "type": "number"},
        )
    ).json()
    c = (await api.post("/v1/contacts", json={"first_name": "S", "custom": {"shoe": 44}})).json()
    assert (await api.delete(f"/v1/custom-fields/{field['id']}")).status_code == 204
    after = (await api.get(f"/v1/contacts/{c['id']}")).json()
    assert after["custom"] == {} and after["version"] == 2


async def test_tags_are_normalised_filterable_and_counted(api):
    a = (
        await api.post("/v1/contacts", json={"first_name": "A", "tags": ["VIP", " vip", "Beta "]})
    ).json()
    await api.post("/v1/contacts", json={"first_name": "B", "tags": ["vip"]})
    assert a["tags"] == ["vip", "beta"]
    vip = (await api.get("/v1/contacts", params={"tag": "VIP"})).json()["data"]
    assert len(vip) == 2
    counts = (await api.get("/v1/tags")).json()["data"]
    assert counts == [{"tag": "vip", "count": 2}, {"tag": "beta", "count": 1}]


async def test_static_lists_hold_only_this_tenants_records(api, other_api, event_capture):
    mine = [
        (await api.post("/v1/contacts", json={"first_name": f"M{i}"})).json()["id"]
        for i in range(3)
    ]
    theirs = (await other_api.post("/v1/contacts", json={"first_name": "T"})).json()["id"]
    lst = (await api.post("/v1/lists", json={"name": "Webinar"})).json()
    added = (
        await api.post(f"/v1/lists/{lst['id']}/members", json={"ids": [*mine, theirs, mine[0]]})
    ).json()
    assert added == {"changed": mine, "unknown": [theirs]}
    again = (await api.post(f"/v1/lists/{lst['id']}/members", json={"ids": mine[:1]})).json()
    assert again["changed"] == []
    assert (await api.get(f"/v1/lists/{lst['id']}")).json()["size"] == 3
    removed = (
        await api.post(f"/v1/lists/{lst['id']}/members/remove", json={"ids": [mine[1]]})
    ).json()
    assert removed["changed"] == [mine[1]]
    members = (await api.get(f"/v1/lists/{lst['id']}/members")).json()["data"]
    assert sorted(m["member_id"] for m in members) == sorted([mine[0], mine[2]])
    assert (await other_api.get(f"/v1/lists/{lst['id']}")).status_code == 404
    await event_capture.wait_for(
        "crm.contacts.list.members_added.v1", predicate=lambda e: e["data"]["list_id"] == lst["id"]
    )
    dup = await api.post("/v1/lists", json={"name": "Webinar"})
    assert dup.status_code == 409
    assert (await api.post(f"/v1/lists/{uuid4()}/members", json={"ids": mine})).status_code == 404
