"""Set-up shared by the integration tests: a calendar, a policy, a ticket."""

from __future__ import annotations

from typing import Any

import httpx

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


async def created(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def office_calendar(api: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {
        "name": "Office",
        "time_zone": "Europe/Berlin",
        "hours": {d: [["09:00", "17:00"]] for d in WEEKDAYS},
        "country": "DE",
        **extra,
    }
    return await created(api, "/v1/calendars", body)


async def standard_policy(
    api: httpx.AsyncClient, calendar_id: str | None, **extra: Any
) -> dict[str, Any]:
    targets = [
        {"metric": "first_reply", "priority": p, "minutes": m, "business_hours": True}
        for p, m in (("normal", 240), ("urgent", 60), ("high", 120), ("low", 480))
    ] + [
        {"metric": "resolution", "priority": p, "minutes": m, "business_hours": True}
        for p, m in (("normal", 960), ("urgent", 240), ("high", 480), ("low", 1920))
    ]
    body = {"name": "Standard", "calendar_id": calendar_id, "targets": targets, **extra}
    return await created(api, "/v1/sla-policies", body)


def metric(sla: dict[str, Any], name: str, kind: str = "sla") -> dict[str, Any]:
    (found,) = [m for m in sla[kind] if m["metric"] == name]
    return found
