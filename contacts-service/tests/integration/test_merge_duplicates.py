"""Finding duplicates (C6): for one record, and over the whole tenant by a scan job."""

from uuid import uuid4

from contacts_service.merge.duplicates import SCAN_JOB, run_scan_batch
from crm_chassis.jobs import JobRunner
from crm_testing.service import eventually


async def post(api, path, body, status=201):
    response = await api.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


async def contact(api, **body):
    return await post(api, "/v1/contacts", body)


async def test_duplicates_of_a_contact_are_scored_with_their_reasons(api):
    acme = await post(api, "/v1/accounts", {"name": "Acme"})
    me = await contact(
        api,
        first_name="José",
        last_name="Álvarez",
        emails=[{"email": "jose@acme.example"}, {"email": "jalvarez@home.example"}],
        phones=[{"number": "+1 202 555 0100"}],
        account_id=acme["id"],
    )
    same_email = await contact(api, first_name="Pepe", emails=[{"email": "JOSE@acme.example"}])
    same_phone = await contact(api, last_name="Alvarez", phones=[{"number": "(202) 555-0100"}])
    same_name_account = await contact(
        api, first_name="jose", last_name="álvarez", account_id=acme["id"]
    )
    local_part = await contact(
        api, first_name="J.", last_name="Alvarez", emails=[{"email": "jalvarez@work.example"}]
    )
    coworker = await contact(api, first_name="Maria", last_name="Garcia", account_id=acme["id"])
    await contact(api, first_name="Someone", last_name="Else", emails=[{"email": "x@y.example"}])

    response = await api.get(f"/v1/contacts/{me['id']}/duplicates")
    assert response.status_code == 200, response.text
    found = {d["id"]: d for d in response.json()["data"]}
    assert set(found) == {
        same_email["id"],
        same_phone["id"],
        same_name_account["id"],
        local_part["id"],
    }
    scores = [d["score"] for d in response.json()["data"]]
    assert scores == sorted(scores, reverse=True) and all(0.6 <= s <= 1 for s in scores)

    def reasons(record):
        return {(r["field"], r["match"]) for r in found[record["id"]]["reasons"]}

    assert ("email", "exact") in reasons(same_email)
    assert ("phone", "e164") in reasons(same_phone)
    assert {("name", "exact"), ("account", "same")} <= reasons(same_name_account)
    assert ("email", "local_part") in reasons(local_part)
    assert found[same_email["id"]]["record"]["first_name"] == "Pepe"
    assert coworker["id"] not in found

    everything = await api.get(
        f"/v1/contacts/{me['id']}/duplicates", params={"min_score": 0, "limit": 2}
    )
    assert len(everything.json()["data"]) == 2
    bad = await api.get(f"/v1/contacts/{me['id']}/duplicates", params={"min_score": 2})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.min_score"
    assert (await api.get(f"/v1/contacts/{uuid4()}/duplicates")).status_code == 404


async def test_duplicates_of_an_account_by_domain_and_name(api, other_api):
    acme = await post(api, "/v1/accounts", {"name": "Acme Inc.", "domain": "acme.example"})
    by_domain = await post(api, "/v1/accounts", {"name": "ACME Europe", "domain": "acme.example"})
    by_name = await post(api, "/v1/accounts", {"name": "acme"})
    await post(api, "/v1/accounts", {"name": "Globex", "domain": "globex.example"})
    found = (await api.get(f"/v1/accounts/{acme['id']}/duplicates")).json()["data"]
    assert {d["id"] for d in found} == {by_domain["id"], by_name["id"]}
    assert (await other_api.get(f"/v1/accounts/{acme['id']}/duplicates")).status_code == 404


async def test_a_tenant_scan_finds_the_seeded_pairs_in_batches(
    api, other_api, contacts_app, monkeypatch
):
    from contacts_service.merge import duplicates

    monkeypatch.setattr(duplicates, "SCAN_BATCH", 3)  # several batches, several jobs
    pairs = []
    for i in range(4):
        a = await contact(
            api,
            first_name=f"Person{i}",
            last_name=f"Family{i}",
            emails=[{"email": f"p{i}@x.example"}],
        )
        b = await contact(api, first_name=f"Other{i}", emails=[{"email": f"P{i}@x.example"}])
        pairs.append({a["id"], b["id"]})
    n1 = await contact(api, first_name="Katherine", last_name="Johnson")
    n2 = await contact(api, first_name="Katherine", last_name="Johnson", company="NASA")
    pairs.append({n1["id"], n2["id"]})
    for i in range(3):
        await contact(api, first_name=f"Unique{i}", last_name=f"Solo{i}")
    # another tenant's twin never pairs with ours
    await contact(other_api, first_name="Other0", emails=[{"email": "p0@x.example"}])

    started = await api.post("/v1/contacts/duplicates/scan", json={"min_score": 0.6})
    assert started.status_code == 202, started.text
    scan = started.json()
    assert started.headers["Location"] == f"/v1/contacts/duplicates/scans/{scan['id']}"
    assert scan["total"] == 13

    runner = JobRunner(contacts_app.state.sessions, {SCAN_JOB: run_scan_batch})

    async def finished():
        await runner.run_due()
        state = (await api.get(f"/v1/contacts/duplicates/scans/{scan['id']}")).json()
        assert state["status"] == "done", state
        return state

    state = await eventually(finished)
    assert state["processed"] == 13 and state["finished_at"] is not None

    listed, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/v1/contacts/duplicates", params=params)).json()
        listed += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert all({p["a"]["id"], p["b"]["id"]} in pairs for p in listed)
    assert len(listed) == len(pairs)
    assert [p["score"] for p in listed] == sorted((p["score"] for p in listed), reverse=True)
    assert any(r["field"] == "email" for r in listed[0]["reasons"])
    assert (await other_api.get("/v1/contacts/duplicates")).json()["data"] == []
    assert (await other_api.get(f"/v1/contacts/duplicates/scans/{scan['id']}")).status_code == 404

    # merging a pair removes it from the list
    a_id, b_id = sorted(pairs[0])
    await post(api, "/v1/contacts/merge", {"primary_id": a_id, "merged_ids": [b_id]}, 200)
    left = (await api.get("/v1/contacts/duplicates")).json()["data"]
    assert len(left) == len(pairs) - 1


async def test_a_scan_pairs_a_misspelt_name_but_not_a_namesake(api, contacts_app):
    katherine = await contact(
        api, first_name="Katherine", last_name="Johnson", emails=[{"email": "kj@nasa.example"}]
    )
    misspelt = await contact(
        api, first_name="Kathrine", last_name="Jonson", emails=[{"email": "kathy@home.example"}]
    )
    namesake = await contact(
        api, first_name="Robert", last_name="Johnson", emails=[{"email": "rob@nasa.example"}]
    )

    started = await api.post("/v1/contacts/duplicates/scan")
    assert started.status_code == 202, started.text
    runner = JobRunner(contacts_app.state.sessions, {SCAN_JOB: run_scan_batch})

    async def finished():
        await runner.run_due()
        state = (await api.get(started.headers["Location"])).json()
        assert state["status"] == "done", state

    await eventually(finished)
    listed = (await api.get("/v1/contacts/duplicates")).json()["data"]
    assert [{p["a"]["id"], p["b"]["id"]} for p in listed] == [{katherine["id"], misspelt["id"]}]
    assert [(r["field"], r["match"], r["detail"]) for r in listed[0]["reasons"]] == [
        ("name", "fuzzy", "0.94")
    ]

    found = (await api.get(f"/v1/contacts/{namesake['id']}/duplicates")).json()["data"]
    assert found == []
    found = (await api.get(f"/v1/contacts/{misspelt['id']}/duplicates")).json()["data"]
    assert [d["id"] for d in found] == [katherine["id"]]


async def test_scan_requests_are_validated(api):
    bad = await api.post("/v1/contacts/duplicates/scan", json={"min_score": 7})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "min_score"
    assert (await api.post("/v1/accounts/duplicates/scan")).status_code == 202


async def test_a_scan_is_read_only_under_its_own_kind(api):
    first = await api.post("/v1/contacts/duplicates/scan")
    assert first.status_code == 202 and first.json()["status"] == "running"
    scan_id = first.json()["id"]
    assert (await api.get(f"/v1/accounts/duplicates/scans/{scan_id}")).status_code == 404
    assert (await api.get(f"/v1/contacts/duplicates/scans/{uuid4()}")).status_code == 404
