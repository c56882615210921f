"""Lead use cases (S1): capture with assignment, the status rules, read-only once converted."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import (
    Call,
    Crud,
    View,
    changed_columns,
    load_for_update,
    patch_model,
    set_columns,
)
from crm_chassis.errors import Conflict, ValidationFailed
from crm_chassis.outbox import emit

from sales_service.assignment.service import assign, assigned_event
from sales_service.common.events import lifecycle_events
from sales_service.leads.custom_fields import check_custom
from sales_service.leads.models import Lead
from sales_service.leads.repository import LeadRepository
from sales_service.leads.schemas import LeadRead, LeadWrite
from sales_service.leads.statuses import may_move

VIEW = View("lead", LeadRead, path="/v1/leads")
EVENTS = lifecycle_events("lead")


def columns(data: LeadWrite) -> dict[str, Any]:
    values = data.model_dump(mode="python", exclude={"estimated_value", "qualification"})
    values["estimated_value"] = data.estimated_value
    values["qualification"] = data.qualification.model_dump(mode="json", exclude_none=True)
    return values


def _check_rules(data: LeadWrite) -> None:
    errors = []
    if not (data.last_name or data.company or data.email):
        errors.append({"field": "last_name", "message": "a lead needs a name, company or email"})
    if data.status == "disqualified" and not data.disqualified_reason:
        errors.append({"field": "disqualified_reason", "message": "say why it is disqualified"})
    if errors:
        raise ValidationFailed("The lead is incomplete", errors=errors)


class Leads(Crud[Lead]):
    async def create(self, call: Call, data: Any, *, web_form_id: UUID | None = None) -> Lead:
        self.view.check_writable(call.actor, data.model_dump(exclude_unset=True))
        _check_rules(data)
        await check_custom(call, data.custom)
        lead = Lead(tenant_id=call.tenant_id, web_form_id=web_form_id, **columns(data))
        decision = None
        if lead.owner_id is None:
            decision = await assign(call, lead)
        await self.repo(call).add(lead)
        await emit(call.session, self.events.created(lead))
        if decision is not None:
            await emit(call.session, assigned_event(lead, decision))
        return lead

    async def patch(self, call: Call, id_: UUID, body: Any, if_match: str | None) -> Lead:
        repo = self.repo(call)
        lead = await load_for_update(repo, id_, if_match)
        require_open(lead)
        model, _ = patch_model(self.view, call.actor, lead, self.write, body)
        if not may_move(lead.status, model.status):
            raise Conflict(
                f"A {lead.status} lead cannot become {model.status}",
                errors=[{"field": "status", "message": f"not allowed from {lead.status}"}],
            )
        _check_rules(model)
        await check_custom(call, model.custom)
        new = columns(model)
        changed = changed_columns(lead, new)
        if changed:
            set_columns(lead, new, changed)
            repo.check_holdable(lead)
            await call.session.flush()
            await emit(call.session, self.events.updated(lead, changed))
        return lead

    async def before_delete(self, call: Call, entity: Any) -> None:
        require_open(entity)


def require_open(lead: Lead) -> None:
    if lead.status == "converted":
        raise Conflict(f"Lead {lead.id} is converted and read-only")


LEADS = Leads(LeadRepository, VIEW, LeadWrite, EVENTS, columns=columns)
