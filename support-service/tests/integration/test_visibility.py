"""Row-level visibility and field allow-lists on tickets: an agent with ``own``
visibility sees and changes only their tickets (another's is a 404, with its history,
messages and SLA); a hidden field is absent and unwritable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import httpx
import pytest
from crm_testing.service import bearer, client
from fastapi import FastAPI

ME = uuid4()


@pytest.fixture
async def own_agent(support_app: FastAPI, tenant: UUID) -> AsyncIterator[httpx.AsyncClient]:
    headers = bearer(support_app.state.settings, tenant, user_id=ME, visibility="own",
                     fields={"ticket": ["subject", "status", "owner_id", "priority"]})  # fmt: skip
    async with client(support_app, **headers) as http:
        yield http


async def test_an_own_agent_sees_only_their_tickets_and_not_hidden_fields(
    api: httpx.AsyncClient, own_agent: httpx.AsyncClient
) -> None:
    mine = (await api.post("/v1/tickets", json={"subject": "Mine", "owner_id": str(ME),
                                                 "tags": ["secret"]})).json()  # fmt: skip
    theirs = (await api.post("/v1/tickets", json={"subject": "Theirs",
                                                   "owner_id": str(uuid4())})).json()  # fmt: skip
    listed = (await own_agent.get("/v1/tickets")).json()["data"]
    assert [t["id"] for t in listed] == [mine["id"]]
    assert "tags" not in listed[0] and listed[0]["subject"] == "Mine"
    for path in ("", "/history", "/messages", "/sla"):
        assert (await own_agent.get(f"/v1/tickets/{theirs['id']}{path}")).status_code == 404
    refused = await own_agent.patch(f"/v1/tickets/{mine['id']}", json={"tags": ["x"]})
    assert refused.status_code == 403
    assert (await own_agent.patch(f"/v1/tickets/{theirs['id']}",
                                  json={"status": "open"})).status_code == 404  # fmt: skip
    reply = await own_agent.post(f"/v1/tickets/{theirs['id']}/messages", json={"body": "x"})
    assert reply.status_code == 404
