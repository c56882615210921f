"""Who may see what: scopes, and the caller's visibility over projected contacts."""

from uuid import uuid4

from crm_testing.service import bearer, client, eventually

from .helpers import contact_event, snapshot


async def test_a_contact_the_caller_may_not_see_is_absent_from_members_and_is_404(
    api, tenant, publish, projected, marketing_app
):
    me, colleague = uuid4(), uuid4()
    mine, theirs = snapshot(tags=["v"], owner_id=me), snapshot(tags=["v"], owner_id=colleague)
    for c in (mine, theirs):
        await publish(contact_event(tenant, c))
        await projected(c.id)
    segment_id = (await api.post("/v1/segments", json={"name": "V", "rule": {"tag": "v"}})).json()[
        "id"
    ]
    settings = marketing_app.state.settings
    async with client(
        marketing_app, **bearer(settings, tenant, user_id=me, visibility="own")
    ) as own:
        preview = (await own.post("/v1/segments/preview", json={"rule": {"tag": "v"}})).json()
        assert [m["contact_id"] for m in preview["data"]] == [str(mine.id)]
        assert (await own.get(f"/v1/contacts/{theirs.id}/score")).status_code == 404
        assert (await own.get(f"/v1/contacts/{theirs.id}/touchpoints")).status_code == 404
        assert (await own.get(f"/v1/contacts/{mine.id}/score")).status_code == 200

        async def both_in_mine_shown() -> None:
            assert (await api.get(f"/v1/segments/{segment_id}/count")).json()["count"] == 2
            members = (await own.get(f"/v1/segments/{segment_id}/members")).json()["data"]
            assert [m["contact_id"] for m in members] == [str(mine.id)]

        await eventually(both_in_mine_shown)


async def test_scopes_guard_reads_and_writes(marketing_app, anonymous, tenant):
    assert (await anonymous.get("/v1/segments")).status_code == 401
    settings = marketing_app.state.settings
    reader = bearer(settings, tenant, scopes=["marketing:read"])
    async with client(marketing_app, **reader) as read_only:
        assert (await read_only.get("/v1/segments")).status_code == 200
        created = await read_only.post("/v1/segments", json={"name": "x", "rule": {"tag": "a"}})
        assert created.status_code == 403
        assert (
            await read_only.post(
                "/v1/track", json={"events": [{"type": "page_view", "contact_id": str(uuid4())}]}
            )
        ).status_code == 403
    unknown_key = {"X-Tracking-Key": "pk_nope"}
    body = {"events": [{"type": "page_view", "contact_id": str(uuid4())}]}
    assert (await anonymous.post("/v1/track", json=body, headers=unknown_key)).status_code == 403
