"""Lead scoring (M5): fit and engagement rules, each contribution explained, history,
changes published; merges and erasures applied to what scores read."""

from datetime import timedelta
from uuid import uuid4

from crm_chassis.orm import utcnow
from crm_proto.events.contacts import ContactErased, ContactMerged
from crm_testing.service import eventually

from .helpers import contact_event, event, snapshot


async def visit(api, key: str, contact_id, *, days_ago: float = 0, path: str = "/pricing") -> None:
    at = (utcnow() - timedelta(days=days_ago)).isoformat()
    body = {
        "events": [
            {"type": "page_view", "contact_id": str(contact_id), "name": path, "occurred_at": at}
        ]
    }
    response = await api.post("/v1/track", json=body, headers={"X-Tracking-Key": key})
    assert response.status_code == 202, response.text


async def test_a_score_explains_each_rule_decays_and_keeps_its_history(
    api, tenant, publish, projected, event_capture
):
    fit = {
        "name": "Decision maker",
        "kind": "fit",
        "points": 20,
        "condition": {"field": "title", "op": "contains", "value": "chief"},
    }
    engaged = {
        "name": "Pricing visits",
        "kind": "engagement",
        "points": 10,
        "event": "page_view",
        "event_name": "/pricing",
        "half_life_days": 7,
    }
    for rule in (fit, engaged):
        created = await api.post("/v1/scoring-rules", json=rule)
        assert created.status_code == 201, created.text
    boss = snapshot(title="Chief Revenue Officer")
    await publish(contact_event(tenant, boss))
    await projected(boss.id)
    key = (await api.post("/v1/tracking-keys")).json()["key"]
    await visit(api, key, boss.id)
    await visit(api, key, boss.id, days_ago=7)

    async def scored() -> dict:
        score = (await api.get(f"/v1/contacts/{boss.id}/score")).json()
        assert score["score"] == 35, score
        return score

    score = await eventually(scored)
    parts = {c["name"]: c for c in score["contributions"]}
    assert parts["Decision maker"] == {**parts["Decision maker"], "kind": "fit", "points": 20}
    assert parts["Pricing visits"]["points"] == 15.0  # 10 now + 10 a half-life ago
    changed = await event_capture.wait_for(
        "crm.marketing.score.changed.v1", predicate=lambda e: e["data"]["score"] == 35
    )
    assert changed["data"]["contact_id"] == str(boss.id)
    history = (await api.get(f"/v1/contacts/{boss.id}/score/history")).json()["data"]
    assert history[0]["score"] == 35 and history[-1]["previous"] == 0
    segment = {"name": "Hot", "rule": {"field": "score", "op": "gte", "value": 30}}
    segment_id = (await api.post("/v1/segments", json=segment)).json()["id"]

    async def hot() -> None:
        assert (await api.get(f"/v1/segments/{segment_id}/count")).json()["count"] == 1

    await eventually(hot)
    bad = {"name": "x", "kind": "fit", "points": 1, "event": "page_view"}
    assert (await api.post("/v1/scoring-rules", json=bad)).status_code == 422
    assert (await api.get(f"/v1/contacts/{uuid4()}/score")).status_code == 404


async def test_a_merge_moves_touches_to_the_survivor_and_an_erasure_blanks_the_contact(
    api, tenant, publish, projected
):
    await api.post(
        "/v1/scoring-rules",
        json={"name": "Visits", "kind": "engagement", "points": 5, "event": "page_view"},
    )
    survivor, duplicate = snapshot(tags=["m"]), snapshot(tags=["m"])
    for c in (survivor, duplicate):
        await publish(contact_event(tenant, c))
        await projected(c.id)
    key = (await api.post("/v1/tracking-keys")).json()["key"]
    await visit(api, key, duplicate.id)
    segment_id = (await api.post("/v1/segments", json={"name": "M", "rule": {"tag": "m"}})).json()[
        "id"
    ]
    merged = ContactMerged(merge_id=uuid4(), survivor_id=survivor.id, merged_ids=[duplicate.id])
    await publish(event(tenant, "crm.contacts.contact.merged.v1", merged, survivor.id))

    async def moved() -> None:
        touches = (await api.get(f"/v1/contacts/{survivor.id}/touchpoints")).json()["data"]
        assert [t["kind"] for t in touches] == ["page_view"]
        assert (await api.get(f"/v1/contacts/{survivor.id}/score")).json()["score"] == 5
        assert (await api.get(f"/v1/contacts/{duplicate.id}/score")).status_code == 404
        members = (await api.get(f"/v1/segments/{segment_id}/members")).json()["data"]
        assert [m["contact_id"] for m in members] == [str(survivor.id)]

    await eventually(moved)
    erased = ContactErased(contact_id=survivor.id, erased_at=utcnow())
    await publish(event(tenant, "crm.contacts.contact.erased.v1", erased, survivor.id, 2))

    async def blank() -> None:
        assert (await api.get(f"/v1/segments/{segment_id}/count")).json()["count"] == 0

    await eventually(blank)
    # A late update of the erased contact does not bring its data back.
    late = survivor.model_copy(update={"version": 3, "first_name": "Back", "tags": ["m"]})
    await publish(contact_event(tenant, late))
    sentinel = snapshot()
    await publish(contact_event(tenant, sentinel))
    await projected(sentinel.id)  # the stream is in order: the late update was applied
    probe = await api.post("/v1/segments/preview", json={"rule": {"tag": "m"}})
    assert probe.json()["count"] == 0
