"""Small builders the integration tests share (through HTTP, as a client would)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx


async def created(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def pipeline_with_stages(api: httpx.AsyncClient, *stages: dict[str, Any]) -> dict[str, Any]:
    """A pipeline and its stages (``{"name", "probability", ...}``), in order."""
    pipeline = await created(api, "/v1/pipelines", {"name": f"Pipeline {uuid4().hex[:8]}"})
    pipeline["stages"] = [
        await created(api, "/v1/stages", {"pipeline_id": pipeline["id"], "position": n, **stage})
        for n, stage in enumerate(stages)
    ]
    return pipeline


STANDARD_STAGES = (
    {"name": "Qualify", "probability": 10, "rotting_days": 7},
    {"name": "Propose", "probability": 50, "forecast_category": "best_case"},
    {"name": "Won", "probability": 100, "forecast_category": "closed", "is_won": True},
    {"name": "Lost", "probability": 0, "forecast_category": "omitted", "is_lost": True},
)


def money(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}
