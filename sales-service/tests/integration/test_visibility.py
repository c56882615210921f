"""Who sees which leads and deals (own / team / all), and fields hidden from a role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from uuid import UUID, uuid4

import httpx
import pytest
from crm_testing.service import bearer, client

from .helpers import STANDARD_STAGES, created, money, pipeline_with_stages

TEAM_A = uuid4()
ALICE, BOB, CAROL = uuid4(), uuid4(), uuid4()
REP_SCOPES = ("sales:read", "sales:write")


@pytest.fixture
async def user(sales_app, tenant) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []

    def make(user_id: UUID, visibility: str = "own", teams=(), fields=None) -> httpx.AsyncClient:
        headers = bearer(
            sales_app.state.settings,
            tenant,
            user_id=user_id,
            scopes=REP_SCOPES,
            visibility=visibility,
            team_ids=teams,
            fields=fields,
        )
        c = client(sales_app, **headers)
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()


async def _ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()["data"]}


async def test_own_team_and_all_see_their_leads_and_deals(api, user):
    alice, bob = user(ALICE, "own"), user(BOB, "own", teams=[TEAM_A])
    carol = user(CAROL, "team", teams=[TEAM_A])
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES[:1])
    a_lead = await created(alice, "/v1/leads", {"last_name": "A"})
    b_lead = await created(bob, "/v1/leads", {"last_name": "B"})
    a_deal = await created(alice, "/v1/deals", {"name": "a", "pipeline_id": pipeline["id"]})
    b_deal = await created(bob, "/v1/deals", {"name": "b", "pipeline_id": pipeline["id"]})
    assert a_lead["owner_id"] == str(ALICE) and b_deal["team_id"] == str(TEAM_A)
    assert await _ids(await alice.get("/v1/leads")) == {a_lead["id"]}
    assert await _ids(await alice.post("/v1/leads/search", json={})) == {a_lead["id"]}
    assert await _ids(await alice.get("/v1/deals")) == {a_deal["id"]}
    assert await _ids(await carol.get("/v1/deals")) == {b_deal["id"]}  # her team's
    assert await _ids(await api.get("/v1/deals")) == {a_deal["id"], b_deal["id"]}
    for path in (
        f"/v1/leads/{b_lead['id']}",
        f"/v1/deals/{b_deal['id']}",
        f"/v1/deals/{b_deal['id']}/stage-history",
        f"/v1/leads/{b_lead['id']}/assignment",
    ):
        assert (await alice.get(path)).status_code == 404, path
    assert (await alice.patch(f"/v1/deals/{b_deal['id']}", json={"name": "x"})).status_code == 404
    assert (await alice.post(f"/v1/leads/{b_lead['id']}/convert", json={})).status_code == 404
    quote = await alice.post(
        "/v1/quotes", json={"deal_id": b_deal["id"], "currency": "EUR", "lines": []}
    )
    assert quote.status_code == 404
    given = await alice.post(
        "/v1/deals", json={"name": "c", "pipeline_id": pipeline["id"], "owner_id": str(BOB)}
    )
    assert given.status_code == 403


async def test_a_field_hidden_from_a_role_is_absent_and_not_writable(api, user):
    pipeline = await pipeline_with_stages(api, *STANDARD_STAGES[:1])
    deal = await created(
        api, "/v1/deals", {"name": "d", "pipeline_id": pipeline["id"], "amount": money("10.00")}
    )
    viewer = user(ALICE, "all", fields={"deal": ["name", "stage_id"]})
    body = (await viewer.get(f"/v1/deals/{deal['id']}")).json()
    assert "amount" not in body and body["name"] == "d"
    refused = await viewer.patch(f"/v1/deals/{deal['id']}", json={"amount": money("1.00")})
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "amount"
