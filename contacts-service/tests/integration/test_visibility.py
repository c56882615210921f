"""Who may see and change what: row visibility (own, team, all) and field allow-lists,
over every contacts resource and every way of reading it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from uuid import UUID, uuid4

import httpx
import pytest
from crm_testing.service import bearer, client

TEAM_A, TEAM_B = uuid4(), uuid4()
ALICE, BOB, CAROL, DAVE = uuid4(), uuid4(), uuid4(), uuid4()
REP_SCOPES = ("contacts:read", "contacts:write")


@pytest.fixture
async def user(contacts_app, tenant) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """``user(user_id, visibility=..., teams=..., fields=...)``: a client of that user."""
    clients: list[httpx.AsyncClient] = []

    def make(user_id: UUID, visibility: str = "own", teams=(), fields=None) -> httpx.AsyncClient:
        headers = bearer(
            contacts_app.state.settings,
            tenant,
            user_id=user_id,
            scopes=REP_SCOPES,
            visibility=visibility,
            team_ids=teams,
            fields=fields,
        )
        c = client(contacts_app, **headers)
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()


async def _contact(api: httpx.AsyncClient, name: str, **extra) -> dict:
    response = await api.post("/v1/contacts", json={"first_name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


async def _ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()["data"]}


async def _export_ids(api: httpx.AsyncClient) -> set[str]:
    response = await api.get("/v1/contacts/export", params={"format": "ndjson"})
    assert response.status_code == 200, response.text
    return {json.loads(line)["id"] for line in response.text.splitlines() if line}


async def test_with_own_a_user_sees_and_changes_only_their_records(user):
    alice, bob = user(ALICE), user(BOB)
    mine = await _contact(alice, "Ada")
    assert mine["owner_id"] == str(ALICE)  # created by a rep: theirs
    theirs = await _contact(bob, "Bea")
    cid = theirs["id"]

    assert (await alice.get(f"/v1/contacts/{cid}")).status_code == 404
    assert (await alice.patch(f"/v1/contacts/{cid}", json={"title": "x"})).status_code == 404
    assert (await alice.delete(f"/v1/contacts/{cid}")).status_code == 404
    assert await _ids(await alice.get("/v1/contacts")) == {mine["id"]}
    assert await _ids(await alice.post("/v1/contacts/search", json={})) == {mine["id"]}
    assert await _export_ids(alice) == {mine["id"]}
    # Children of a hidden contact are hidden with it.
    note = await bob.post("/v1/notes", json={"contact_id": cid, "body": "private"})
    assert note.status_code == 201
    assert (await alice.get(f"/v1/notes/{note.json()['id']}")).status_code == 404
    assert (await alice.get(f"/v1/contacts/{cid}/timeline")).status_code == 404
    assert (await alice.get(f"/v1/contacts/{cid}/attachments")).status_code == 404
    assert (await alice.get(f"/v1/contacts/{cid}/accounts")).status_code == 404
    assert (await alice.post("/v1/notes", json={"contact_id": cid, "body": "x"})).status_code == 422
    # Bob still has his, unchanged.
    assert (await bob.get(f"/v1/contacts/{cid}")).json()["version"] == theirs["version"]


async def test_with_own_a_user_cannot_hand_a_record_to_someone_else(user):
    alice = user(ALICE)
    refused = await alice.post("/v1/contacts", json={"first_name": "Ada", "owner_id": str(BOB)})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "owner_id"
    mine = await _contact(alice, "Ada")
    moved = await alice.patch(f"/v1/contacts/{mine['id']}", json={"owner_id": str(BOB)})
    assert moved.status_code == 403
    assert (await alice.get(f"/v1/contacts/{mine['id']}")).json()["owner_id"] == str(ALICE)


async def test_with_team_a_user_sees_their_teams_records(user, api):
    alice = user(ALICE, "team", teams=[TEAM_A])
    carol = user(CAROL, "team", teams=[TEAM_A])
    dave = user(DAVE, "team", teams=[TEAM_B])
    of_a = await _contact(alice, "Ada")
    assert of_a["team_id"] == str(TEAM_A)  # a one-team user's records are their team's
    of_b = await _contact(dave, "Dan")
    unassigned = await _contact(api, "Una")  # an admin's, in no team

    assert await _ids(await carol.get("/v1/contacts")) == {of_a["id"]}
    patched = await carol.patch(f"/v1/contacts/{of_a['id']}", json={"title": "CTO"})
    assert patched.status_code == 200
    assert (await carol.get(f"/v1/contacts/{of_b['id']}")).status_code == 404
    assert (await carol.delete(f"/v1/contacts/{of_b['id']}")).status_code == 404
    assert await _ids(await dave.post("/v1/contacts/search", json={})) == {of_b["id"]}
    assert await _export_ids(dave) == {of_b["id"]}
    everyone = user(BOB, "all")
    assert await _ids(await everyone.get("/v1/contacts")) == {
        of_a["id"],
        of_b["id"],
        unassigned["id"],
    }


async def test_accounts_follow_the_same_visibility(user):
    alice, bob = user(ALICE), user(BOB)
    mine = (await alice.post("/v1/accounts", json={"name": "Acme"})).json()
    theirs = (await bob.post("/v1/accounts", json={"name": "Globex"})).json()
    assert (await alice.get(f"/v1/accounts/{theirs['id']}")).status_code == 404
    assert (
        await alice.patch(f"/v1/accounts/{theirs['id']}", json={"industry": "x"})
    ).status_code == 404
    assert (await alice.delete(f"/v1/accounts/{theirs['id']}")).status_code == 404
    assert await _ids(await alice.get("/v1/accounts")) == {mine["id"]}
    assert await _ids(await alice.post("/v1/accounts/search", json={})) == {mine["id"]}
    # Another's account cannot be linked to, nor become a parent.
    linked = await alice.post(
        "/v1/contacts", json={"first_name": "Ada", "account_id": theirs["id"]}
    )
    assert linked.status_code == 422
    parent = await alice.patch(f"/v1/accounts/{mine['id']}", json={"parent_id": theirs["id"]})
    assert parent.status_code == 422


NAMES_ONLY = {"contact": ["first_name", "last_name", "owner_id", "custom.tier"]}


async def test_a_hidden_field_is_absent_from_every_read_and_refused_on_write(user, api):
    await api.post(
        "/v1/custom-fields",
        json={"object_type": "contact", "key": "tier", "label": "Tier", "type": "text"},
    )
    await api.post(
        "/v1/custom-fields",
        json={"object_type": "contact", "key": "salary", "label": "Salary", "type": "number"},
    )
    created = await _contact(
        api,
        "Ada",
        last_name="Lovelace",
        emails=[{"email": "ada@example.com"}],
        custom={"tier": "gold", "salary": 100},
    )
    cid = created["id"]
    reader = user(ALICE, "all", fields=NAMES_ONLY)

    def check(record: dict) -> None:
        assert record["first_name"] == "Ada" and record["last_name"] == "Lovelace"
        assert "email" not in record and "emails" not in record and "phones" not in record
        assert record["custom"] == {"tier": "gold"}  # salary is hidden

    one = await reader.get(f"/v1/contacts/{cid}")
    assert one.status_code == 200 and one.headers["etag"]
    check(one.json())
    check((await reader.get("/v1/contacts")).json()["data"][0])
    check((await reader.post("/v1/contacts/search", json={})).json()["data"][0])
    ndjson = await reader.get("/v1/contacts/export", params={"format": "ndjson"})
    check(json.loads(ndjson.text.splitlines()[0]))
    table = await reader.get("/v1/contacts/export", params={"format": "csv"})
    header = next(csv.reader(io.StringIO(table.text)))
    assert "email" not in header and "emails" not in header and "custom.salary" not in header
    assert {"first_name", "last_name", "custom.tier"} <= set(header)

    for body in ({"emails": [{"email": "x@example.com"}]}, {"custom": {"salary": 5}}):
        refused = await reader.patch(f"/v1/contacts/{cid}", json=body)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        field = refused.json()["errors"][0]["field"]
        assert field in ("emails", "custom.salary")
    refused = await reader.post("/v1/contacts", json={"first_name": "Bo", "email": "b@x.io"})
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "email"
    by_email = {
        "filter_groups": [{"filters": [{"field": "email", "operator": "eq", "value": "a"}]}]
    }
    assert (await reader.post("/v1/contacts/search", json=by_email)).status_code == 403
    # A field the role may see is written as usual, and the hidden ones keep their values.
    allowed = await reader.patch(f"/v1/contacts/{cid}", json={"custom": {"tier": "silver"}})
    assert allowed.status_code == 200, allowed.text
    full = (await api.get(f"/v1/contacts/{cid}")).json()
    assert full["custom"] == {"tier": "silver", "salary": 100}
    assert full["emails"][0]["email"] == "ada@example.com"


async def test_work_over_many_records_needs_every_record_and_field(user, api):
    """Duplicate review, merge, batch and import match records side by side."""
    a = await _contact(api, "Ada", emails=[{"email": "ada@example.com"}])
    b = await _contact(api, "Ada", emails=[{"email": "ada@example.com"}])
    merge = {"primary_id": a["id"], "merged_ids": [b["id"]]}
    for caller in (user(ALICE, "own"), user(BOB, "all", fields=NAMES_ONLY)):
        for method, url, body in [
            ("GET", "/v1/contacts/duplicates", None),
            ("POST", "/v1/contacts/duplicates/scan", {}),
            ("GET", f"/v1/contacts/{a['id']}/duplicates", None),
            ("POST", "/v1/contacts/merge/preview", merge),
            ("POST", "/v1/contacts/merge", merge),
            ("GET", "/v1/merges", None),
            ("POST", "/v1/contacts/batch", {"items": [{"first_name": "Ada"}]}),
            ("GET", "/v1/imports", None),
        ]:
            answer = await caller.request(method, url, json=body)
            assert answer.status_code == 403, (method, url, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
    steward = user(CAROL, "all")
    assert (await steward.post("/v1/contacts/merge/preview", json=merge)).status_code == 200
