"""sales-service boots, and its first resource works end to end through the chassis."""

from crm_testing.service import assert_ready


async def test_the_service_is_healthy_and_ready_on_its_migrated_database(sales_app) -> None:
    await assert_ready(sales_app)


async def test_a_pipeline_is_created_read_listed_patched_and_deleted(api, event_capture):
    created = await api.post("/v1/pipelines", json={"name": "New business"})
    assert created.status_code == 201, created.text
    body, url = created.json(), created.headers["location"]
    assert url == f"/v1/pipelines/{body['id']}" and created.headers["etag"] == '"1"'
    assert (await api.get(url)).json()["name"] == "New business"
    assert [p["id"] for p in (await api.get("/v1/pipelines")).json()["data"]] == [body["id"]]
    assert (
        await api.patch(url, json={"name": "x"}, headers={"If-Match": '"9"'})
    ).status_code == 412
    patched = await api.patch(url, json={"name": "Renewals"}, headers={"If-Match": '"1"'})
    assert patched.status_code == 200 and patched.json()["name"] == "Renewals"
    assert (await api.delete(url)).status_code == 204
    assert (await api.get(url)).status_code == 404
    for change in ("created", "updated", "deleted"):
        event = await event_capture.wait_for(f"crm.sales.pipeline.{change}.v1")
        assert event["subject"] == body["id"]


async def test_bad_input_and_another_tenants_pipeline_are_clean_4xx(api, other_api):
    assert (await api.post("/v1/pipelines", json={"name": ""})).status_code == 422
    assert (await api.post("/v1/pipelines", json={"name": "a", "x": 1})).status_code == 422
    url = (await api.post("/v1/pipelines", json={"name": "Mine"})).headers["location"]
    assert (await other_api.get(url)).status_code == 404
    assert (await other_api.patch(url, json={"name": "Theirs"})).status_code == 404
    taken = await api.post("/v1/pipelines", json={"name": "Mine"})
    assert taken.status_code == 409 and taken.headers["content-type"] == "application/problem+json"
