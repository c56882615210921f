"""The events of deals: created and stage_changed are the activity contract contacts'
timeline reads; updated, deleted and rotting are sales' own."""

from __future__ import annotations

from typing import Any

from crm_proto import CloudEvent
from crm_proto.events import activity, sales
from pydantic import BaseModel

from sales_service.common.events import about
from sales_service.deals.models import Deal
from sales_service.pipelines.models import Stage


def _event(name: str, deal: Deal, data: BaseModel, sequence: int | None = None) -> CloudEvent:
    return about(f"crm.sales.deal.{name}.v1", deal, data, sequence=sequence)


def _money(deal: Deal) -> dict[str, Any]:
    amount = deal.amount
    return {
        "amount": None if amount is None else format(amount.amount, "f"),
        "currency": None if amount is None else amount.currency,
    }


def created(deal: Deal, stage: Stage) -> CloudEvent:
    data = activity.DealCreated(
        deal_id=deal.id, name=deal.name, pipeline_id=deal.pipeline_id, stage=stage.name,
        owner_id=deal.owner_id, contact_id=deal.contact_id, account_id=deal.account_id,
        **_money(deal),
    )  # fmt: skip
    return _event("created", deal, data)


def stage_changed(deal: Deal, before: Stage | None, after: Stage) -> CloudEvent:
    data = activity.DealStageChanged(
        deal_id=deal.id, name=deal.name, contact_id=deal.contact_id, account_id=deal.account_id,
        from_stage=before.name if before else None, to_stage=after.name,
        won=True if after.is_won else False if after.is_lost else None, **_money(deal),
    )  # fmt: skip
    return _event("stage_changed", deal, data)


def snapshot(deal: Deal) -> sales.DealSnapshot:
    return sales.DealSnapshot.model_validate(deal, from_attributes=True)


def updated(deal: Deal, changed: list[str]) -> CloudEvent:
    return _event("updated", deal, sales.DealUpdated(deal=snapshot(deal), changed=changed))


def deleted(deal: Deal) -> CloudEvent:
    return _event("deleted", deal, sales.DealDeleted(id=deal.id), sequence=deal.version + 1)


def rotting(deal: Deal, stage: Stage) -> CloudEvent:
    assert stage.rotting_days is not None
    data = sales.DealRotting(
        deal_id=deal.id, stage_id=stage.id, owner_id=deal.owner_id,
        idle_since=deal.idle_since, rotting_days=stage.rotting_days,
    )  # fmt: skip
    return _event("rotting", deal, data)
