"""Lead conversion (S3): one transaction here, the account and contact made there.

Sales allocates the ids of the new account and contact (or takes the ids of existing
ones the user chose after the duplicate check), creates the deal if asked, marks the lead
converted (read-only from then on) and publishes ``crm.sales.lead.converted.v1`` with the
lead's data; contacts-service creates or fills those records from it, once.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_chassis.crud import Call, load_for_update
from crm_chassis.errors import Conflict
from crm_chassis.ids import new_id
from crm_chassis.internal_http import InternalCalls
from crm_chassis.orm import utcnow
from crm_chassis.outbox import emit
from crm_proto.events import sales

from sales_service.common.events import SOURCE
from sales_service.deals.schemas import DealWrite
from sales_service.deals.service import DEALS
from sales_service.leads.conversion_schemas import ConvertRequest
from sales_service.leads.models import Lead
from sales_service.leads.repository import LeadRepository
from sales_service.leads.service import EVENTS, LEADS
from sales_service.leads.statuses import may_convert


def _account(lead: Lead, request: ConvertRequest) -> sales.ConvertedAccount | None:
    choice = request.account
    if choice is None:
        return None
    if choice.id is not None:
        return sales.ConvertedAccount(id=choice.id, existing=True, name=lead.company)
    name = choice.name or lead.company
    if not name:
        return None
    return sales.ConvertedAccount(
        id=new_id(), existing=False, name=name, website=lead.website, phone=lead.phone
    )


def _contact(lead: Lead, request: ConvertRequest) -> sales.ConvertedContact:
    existing = request.contact.id
    return sales.ConvertedContact(
        id=existing or new_id(), existing=existing is not None,
        first_name=lead.first_name, last_name=lead.last_name, email=lead.email,
        phone=lead.phone, title=lead.title,
    )  # fmt: skip


async def convert(call: Call, lead_id: UUID, request: ConvertRequest, if_match: str | None) -> Lead:
    repo = LeadRepository(call.session, call.actor)
    lead = await load_for_update(repo, lead_id, if_match)
    if not may_convert(lead.status):
        raise Conflict(
            f"A {lead.status} lead cannot be converted",
            errors=[{"field": "status", "message": f"is {lead.status}"}],
        )
    account, contact = _account(lead, request), _contact(lead, request)
    deal_id = None
    if request.deal is not None:
        wanted = request.deal
        deal = await DEALS.create(
            call,
            DealWrite(
                name=wanted.name or f"{lead.company or lead.last_name or lead.email}",
                pipeline_id=wanted.pipeline_id,
                stage_id=wanted.stage_id,
                amount=wanted.amount or lead.estimated_value,
                expected_close_date=wanted.expected_close_date,
                account_id=account.id if account else None,
                contact_id=contact.id,
                lead_id=lead.id,
                owner_id=lead.owner_id,
                team_id=lead.team_id,
            ),
        )
        deal_id = deal.id
    now = utcnow()
    lead.status, lead.converted_at = "converted", now
    lead.converted_account_id = account.id if account else None
    lead.converted_contact_id, lead.converted_deal_id = contact.id, deal_id
    await call.session.flush()
    data = sales.LeadConverted(
        lead_id=lead.id, account=account, contact=contact, deal_id=deal_id,
        owner_id=lead.owner_id, converted_at=now,
    )  # fmt: skip
    changed = ["converted_account_id", "converted_at", "converted_contact_id",
               "converted_deal_id", "status"]  # fmt: skip
    await emit(
        call.session,
        SOURCE.event(
            "crm.sales.lead.converted.v1", data, tenant_id=lead.tenant_id, subject=lead.id,
            sequence=lead.version,
        ),
        EVENTS.updated(lead, changed),
    )  # fmt: skip
    return lead


async def duplicates(call: Call, calls: InternalCalls, lead_id: UUID) -> dict[str, Any]:
    """The contacts and accounts in contacts-service that this lead may already be, by
    email and by company name (contacts-service's search, as the user sees it)."""
    lead = await LEADS.get(call, lead_id)
    found: dict[str, Any] = {"contacts": [], "accounts": []}
    if lead.email:
        found["contacts"] = await _search(calls, "contacts", "email", lead.email)
    if lead.company:
        found["accounts"] = await _search(calls, "accounts", "name", lead.company)
    return found


async def _search(calls: InternalCalls, kind: str, field: str, value: str) -> list[Any]:
    body = {"filter_groups": [{"filters": [{"field": field, "operator": "eq", "value": value}]}]}
    response = await calls.request("contacts", "POST", f"/v1/{kind}/search", json=body)
    return list(response.json().get("data", []))
