"""PostgreSQL stores no NUL character: any request carrying one is a 422, writing nothing."""

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
    ],
)
async def test_in_a_query(api, path):
    response = await api.get(path)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith(PROBLEM)


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
