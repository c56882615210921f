"""Order rules of segments (M1): "last order more than 90 days ago" from sales' orders, an
order counting for every contact of its account and for its deal's contact."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from crm_proto import CloudEvent, new_event
from crm_proto.events.activity import DealCreated
from crm_proto.events.sales import OrderCreated
from crm_testing.service import eventually

from .helpers import contact_event, snapshot

LAPSED = {"order": "placed", "older_than_days": 90}


def sales_event(tenant: UUID, type_: str, data, subject: UUID) -> CloudEvent:
    return new_event(
        type=type_, source="/crm/sales-service", tenant_id=tenant, data=data, subject=subject
    )


def order(tenant: UUID, *, days_ago: int, account_id=None, deal_id=None) -> CloudEvent:
    order_id = uuid4()
    data = OrderCreated(
        order_id=order_id,
        account_id=account_id,
        deal_id=deal_id,
        source="import",
        channel_level="direct",
        total={"amount": "120.00", "currency": "EUR"},
        ordered_at=datetime.now(UTC) - timedelta(days=days_ago),
    )
    return sales_event(tenant, "crm.sales.order.created.v1", data, order_id)


async def members(api, segment_id) -> set[str]:
    response = await api.get(f"/v1/segments/{segment_id}/members")
    assert response.status_code == 200, response.text
    return {m["contact_id"] for m in response.json()["data"]}


async def test_a_lapsed_customer_enters_and_a_new_order_takes_them_out(
    api, tenant, publish, projected
):
    account = uuid4()
    buyer = snapshot(account_id=account, first_name="Ada")
    colleague = snapshot(account_id=account, first_name="Grace")
    dealer = snapshot(first_name="Linus")  # no account: their order comes through a deal
    never = snapshot(first_name="Ken")
    for person in (buyer, colleague, dealer, never):
        await publish(contact_event(tenant, person))
    await projected(never.id)
    created = await api.post("/v1/segments", json={"name": "Lapsed", "rule": LAPSED})
    assert created.status_code == 201, created.text
    segment_id = created.json()["id"]
    assert created.json()["relative"] is True  # it changes as time passes
    deal_id = uuid4()
    deal = DealCreated(deal_id=deal_id, contact_id=dealer.id, name="Deal", stage="Won")
    await publish(sales_event(tenant, "crm.sales.deal.created.v1", deal, deal_id))
    await publish(order(tenant, days_ago=120, account_id=account))
    await publish(order(tenant, days_ago=200, deal_id=deal_id))

    async def lapsed() -> None:
        assert await members(api, segment_id) == {str(buyer.id), str(colleague.id), str(dealer.id)}

    await eventually(lapsed)
    recent = await api.post(
        "/v1/segments/preview", json={"rule": {"order": "placed", "within_days": 150}}
    )
    assert {m["contact_id"] for m in recent.json()["data"]} == {str(buyer.id), str(colleague.id)}

    await publish(order(tenant, days_ago=3, account_id=account))
    again = order(tenant, days_ago=3, account_id=account)
    await publish(again)
    await publish(again)  # a redelivery changes nothing

    async def back() -> None:
        assert await members(api, segment_id) == {str(dealer.id)}

    await eventually(back)


async def test_an_order_rule_is_checked_when_saved(api) -> None:
    both = {"order": "placed", "older_than_days": 90, "within_days": 10}
    response = await api.post("/v1/segments", json={"name": "x", "rule": both})
    assert response.status_code == 422, response.text
    unknown = await api.post("/v1/segments", json={"name": "x", "rule": {"order": "cancelled"}})
    assert unknown.status_code == 422, unknown.text
