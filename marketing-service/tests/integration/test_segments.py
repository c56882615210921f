"""Segments (M1): membership follows contact events, counts and previews, relative time."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from crm_chassis.orm import utcnow
from crm_proto.events.contacts import ContactMerged
from crm_testing.service import eventually
from marketing_service import consumers
from marketing_service.segments import membership
from marketing_service.segments.models import Segment, SegmentMember
from sqlalchemy import delete, func, select, text

from .helpers import contact_event, event, snapshot

LEADS = {"field": "lifecycle_stage", "op": "eq", "value": "lead"}


async def members(api, segment_id) -> set[str]:
    response = await api.get(f"/v1/segments/{segment_id}/members")
    assert response.status_code == 200, response.text
    return {m["contact_id"] for m in response.json()["data"]}


async def test_a_contact_event_moves_a_contact_into_and_out_of_a_segment(
    api, tenant, publish, event_capture
):
    created = await api.post("/v1/segments", json={"name": "Leads", "rule": LEADS})
    assert created.status_code == 201, created.text
    segment_id = created.json()["id"]
    lead = snapshot(lifecycle_stage="lead", first_name="Ada")
    await publish(contact_event(tenant, lead))

    async def entered() -> None:
        assert await members(api, segment_id) == {str(lead.id)}

    await eventually(entered)
    event = await event_capture.wait_for(
        "crm.marketing.segment.entered.v1",
        predicate=lambda e: e["data"]["contact_id"] == str(lead.id),
    )
    assert event["data"]["segment_id"] == segment_id
    customer = lead.model_copy(update={"lifecycle_stage": "customer", "version": 2})
    await publish(contact_event(tenant, customer))
    await event_capture.wait_for(
        "crm.marketing.segment.left.v1", predicate=lambda e: e["data"]["contact_id"] == str(lead.id)
    )
    assert await members(api, segment_id) == set()
    # An older version arriving late changes nothing.
    await publish(contact_event(tenant, lead))
    assert (await api.get(f"/v1/segments/{segment_id}/count")).json() == {"count": 0}


async def test_existing_contacts_join_a_new_segment_by_full_evaluation(
    api, tenant, publish, projected
):
    vip = snapshot(tags=["vip"], custom={"tier": "gold", "seats": 40})
    other = snapshot(tags=["trial"], custom={"tier": "free", "seats": 2})
    for c in (vip, other):
        await publish(contact_event(tenant, c))
        await projected(c.id)
    rule = {"any": [{"tag": "vip"}, {"field": "custom.seats", "op": "gte", "value": 100}]}
    segment_id = (await api.post("/v1/segments", json={"name": "Big", "rule": rule})).json()["id"]

    async def evaluated() -> None:
        assert await members(api, segment_id) == {str(vip.id)}

    await eventually(evaluated)
    preview = await api.post(
        "/v1/segments/preview",
        json={"rule": {"not": {"field": "custom.tier", "op": "eq", "value": "gold"}}},
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["count"] == 1
    assert preview.json()["data"][0]["contact_id"] == str(other.id)


async def test_a_relative_rule_stops_holding_as_time_passes(
    api, tenant, publish, projected, marketing_app
):
    contact = snapshot()
    await publish(contact_event(tenant, contact))
    await projected(contact.id)
    key = (await api.post("/v1/tracking-keys")).json()["key"]
    visited = (utcnow() - timedelta(days=13)).isoformat()
    visits = [
        {
            "type": "page_view",
            "contact_id": str(contact.id),
            "name": "/pricing",
            "occurred_at": visited,
        }
        for _ in range(3)
    ]
    tracked = await api.post("/v1/track", json={"events": visits}, headers={"X-Tracking-Key": key})
    assert tracked.status_code == 202 and tracked.json() == {"accepted": 3}
    rule = {"event": "page_view", "name": "/pricing", "min_count": 3, "within_days": 14}
    created = await api.post("/v1/segments", json={"name": "Pricing", "rule": rule})
    assert created.json()["relative"] is True
    segment_id = created.json()["id"]

    async def member() -> None:
        assert await members(api, segment_id) == {str(contact.id)}

    await eventually(member)
    later = datetime.now(UTC) + timedelta(days=2)
    ahead = await api.post("/v1/segments/preview", json={"rule": rule, "at": later.isoformat()})
    assert ahead.json()["count"] == 0
    # The scheduled full re-evaluation, run two days on, takes the contact out.
    async with marketing_app.state.sessions() as session, session.begin():
        segment = await session.get(Segment, segment_id)
        assert await membership.evaluate(session, segment, later) == (0, 1)
    assert await members(api, segment_id) == set()


async def test_a_merge_committed_during_a_full_evaluation_is_not_undone_by_it(
    api, tenant, publish, projected, marketing_app
):
    """The evaluation holds 'the duplicate entered' uncommitted while the merge runs: the
    merge must wait for it and then take the duplicate out, not miss the row."""
    survivor, duplicate = snapshot(tags=["race"]), snapshot(tags=["race"])
    for c in (survivor, duplicate):
        await publish(contact_event(tenant, c))
        await projected(c.id)
    segment_id = (
        await api.post("/v1/segments", json={"name": "Race", "rule": {"tag": "race"}})
    ).json()["id"]

    async def both() -> None:
        assert await members(api, segment_id) == {str(survivor.id), str(duplicate.id)}

    await eventually(both)
    sessions = marketing_app.state.sessions
    async with sessions() as session, session.begin():
        # As if the duplicate had just gained the tag: matched, not yet a member.
        await session.execute(delete(SegmentMember).where(SegmentMember.contact_id == duplicate.id))
    merged = ContactMerged(merge_id=uuid4(), survivor_id=survivor.id, merged_ids=[duplicate.id])
    merge_event = event(tenant, "crm.contacts.contact.merged.v1", merged, survivor.id)

    async def merge() -> None:
        async with sessions() as session, session.begin():
            await consumers.on_contact_merged(session, merge_event, merged)

    async with sessions() as evaluation, evaluation.begin():
        segment = await evaluation.get(Segment, segment_id)
        assert segment is not None
        assert await membership.evaluate(evaluation, segment, utcnow()) == (1, 0)
        merging = asyncio.create_task(merge())

        async def merge_waits() -> None:
            assert not merging.done()
            async with sessions() as probe:
                waiting = (
                    select(func.count())
                    .select_from(text("pg_locks"))
                    .where(text("locktype = 'advisory' AND NOT granted"))
                )
                assert await probe.scalar(waiting) >= 1

        await eventually(merge_waits)
    await merging
    assert await members(api, segment_id) == {str(survivor.id)}


async def test_bad_rules_are_422_and_another_tenants_segment_is_404(api, other_api):
    bad = [
        {"field": "nope", "op": "eq", "value": 1},
        {"all": []},
        {"field": "score", "op": "in", "value": 3},
        {"event": "page_view", "min_count": 0},
        {"tag": "a", "extra": 1},
    ]
    for rule in bad:
        response = await api.post("/v1/segments", json={"name": "x", "rule": rule})
        assert response.status_code == 422, (rule, response.text)
    url = (await api.post("/v1/segments", json={"name": "Mine", "rule": LEADS})).headers["location"]
    assert (await other_api.get(url)).status_code == 404
    assert (await other_api.get(f"{url}/members")).status_code == 404
    assert (await api.get(f"/v1/segments/{uuid4()}/count")).status_code == 404


async def test_a_new_rule_replaces_the_old_one_whole_and_is_evaluated(
    api, tenant, publish, projected
):
    tagged = snapshot(tags=["vip"], lifecycle_stage="customer")
    await publish(contact_event(tenant, tagged))
    await projected(tagged.id)
    created = await api.post("/v1/segments", json={"name": "Switch", "rule": LEADS})
    url, etag = created.headers["location"], created.headers["etag"]
    stale = await api.patch(url, json={"rule": {"tag": "vip"}}, headers={"If-Match": '"9"'})
    assert stale.status_code == 412
    patched = await api.patch(url, json={"rule": {"tag": "vip"}}, headers={"If-Match": etag})
    assert patched.status_code == 200, patched.text
    assert patched.json()["rule"] == {"tag": "vip"}
    segment_id = created.json()["id"]

    async def switched() -> None:
        assert await members(api, segment_id) == {str(tagged.id)}

    await eventually(switched)
    assert (await api.delete(url)).status_code == 204
    assert (await api.get(f"{url}/count")).status_code == 404
