"""Values PostgreSQL refuses (a NUL character, a taken unique value) are 4xx problems,
never a 500, and write nothing."""

import pytest

NUL = "\u0000"
PROBLEM = "application/problem+json"


def assert_refused(response):
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/accounts?domain=%00",
        "/v1/contacts?tag=a%00b",
        "/v1/contacts/lookup?phone=%2B1%00",
        # streamed: the refusal must come before the download starts (found by schemathesis)
        "/v1/contacts/export?format=json&membership_level=gold%00",
    ],
)
async def test_in_a_query(api, path):
    response = await api.get(path)
    assert_refused(response)
    assert response.json()["errors"] == [
        {"field": "query", "message": "contains a NUL character (%00)"}
    ]


async def test_in_a_json_body_writes_nothing(api):
    assert_refused(await api.post("/v1/contacts", json={"first_name": f"A{NUL}da"}))
    assert_refused(
        await api.post("/v1/contacts", json={"first_name": "Ada", "addresses": [{"street": NUL}]})
    )
    assert_refused(await api.post("/v1/accounts", json={"name": f"Acme{NUL}"}))
    created = (await api.post("/v1/contacts", json={"first_name": "Ada"})).json()
    patch = await api.patch(f"/v1/contacts/{created['id']}", json={"last_name": NUL})
    assert_refused(patch)
    assert (await api.get(f"/v1/contacts/{created['id']}")).json()["version"] == 1
    assert [c["first_name"] for c in (await api.get("/v1/contacts")).json()["data"]] == ["Ada"]


async def test_in_a_batch_writes_nothing(api):
    items = [{"first_name": "Good"}, {"first_name": f"Bad{NUL}"}]
    assert_refused(await api.post("/v1/contacts/batch", json={"items": items}))
    assert (await api.get("/v1/contacts")).json()["data"] == []


async def test_a_taken_external_id_is_a_409_and_a_blank_one_is_none(api):
    """Found by schemathesis: a second record with the same external_id was a 500, and
    an empty external_id on accounts was stored as a value that collided."""
    for path, body in (
        ("/v1/accounts", {"name": "Acme"}),
        ("/v1/contacts", {"first_name": "Ada"}),
    ):
        first = await api.post(path, json={**body, "external_id": "ext-1"})
        assert first.status_code == 201, first.text
        again = await api.post(path, json={**body, "external_id": "ext-1"})
        assert again.status_code == 409, again.text
        assert again.headers["content-type"].startswith(PROBLEM)
        assert again.json()["errors"] == [{"field": "external_id", "message": "already taken"}]
        blanks = [await api.post(path, json={**body, "external_id": ""}) for _ in range(2)]
        assert [(r.status_code, r.json()["external_id"]) for r in blanks] == [(201, None)] * 2
