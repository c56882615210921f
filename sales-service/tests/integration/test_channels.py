"""Channels (S12): partner levels, registrations with conflicts, the order's channel level."""

from __future__ import annotations

from uuid import uuid4

from .helpers import STANDARD_STAGES, created, money, pipeline_with_stages


async def test_partners_nest_by_level(api):
    top = await created(
        api,
        "/v1/partners",
        {"account_id": str(uuid4()), "name": "Dist", "type": "distributor", "tier": "gold"},
    )
    second = await created(
        api,
        "/v1/partners",
        {
            "account_id": str(uuid4()),
            "name": "Reseller",
            "type": "reseller",
            "level": 2,
            "parent_id": top["id"],
        },
    )
    assert second["level"] == 2
    skip = await api.post(
        "/v1/partners",
        json={"account_id": str(uuid4()), "name": "x", "level": 3, "parent_id": top["id"]},
    )
    assert skip.status_code == 422 and skip.json()["errors"][0]["field"] == "parent_id"


async def test_two_partners_registering_one_account_is_a_conflict(api, event_capture):
    customer = str(uuid4())
    one = await created(api, "/v1/partners", {"account_id": str(uuid4()), "name": "One"})
    two = await created(api, "/v1/partners", {"account_id": str(uuid4()), "name": "Two"})
    first = await created(
        api,
        "/v1/deal-registrations",
        {"partner_id": one["id"], "account_id": customer, "name": "Big"},
    )
    assert first["status"] == "pending"
    again = await created(
        api,
        "/v1/deal-registrations",
        {"partner_id": one["id"], "account_id": customer, "name": "Big 2"},
    )
    assert again["status"] == "pending"  # the same partner: no conflict
    clash = await created(
        api,
        "/v1/deal-registrations",
        {"partner_id": two["id"], "account_id": customer, "name": "Big"},
    )
    assert (clash["status"], clash["conflicts_with"]) == ("conflict", first["id"])
    assert (await api.post(f"/v1/deal-registrations/{first['id']}/approve")).status_code == 200
    assert (await api.post(f"/v1/deal-registrations/{clash['id']}/approve")).status_code == 409
    event = await event_capture.wait_for(
        "crm.sales.deal_registration.submitted.v1",
        predicate=lambda e: e["data"]["status"] == "conflict",
    )
    assert event["data"]["conflicts_with"] == first["id"]


async def test_an_order_from_a_partners_deal_carries_its_channel_level(api):
    top = await created(api, "/v1/partners", {"account_id": str(uuid4()), "name": "Dist"})
    reseller = await created(
        api,
        "/v1/partners",
        {"account_id": str(uuid4()), "name": "R", "level": 2, "parent_id": top["id"]},
    )
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES[:1])
    deal = await created(
        api,
        "/v1/deals",
        {
            "name": "d",
            "pipeline_id": pipeline["id"],
            "amount": money("10.00"),
            "partner_id": reseller["id"],
        },
    )
    quote = await created(
        api,
        "/v1/quotes",
        {
            "deal_id": deal["id"],
            "lines": [{"name": "x", "quantity": "1", "unit_price": money("10.00")}],
        },
    )
    await api.post(f"/v1/quotes/{quote['id']}/send", json={"to": "buyer@example.com"})
    assert (await api.post(f"/v1/quotes/{quote['id']}/accept")).status_code == 200
    (order,) = (await api.get("/v1/orders")).json()["data"]
    assert (order["channel_level"], order["partner_id"]) == ("2-level", reseller["id"])
