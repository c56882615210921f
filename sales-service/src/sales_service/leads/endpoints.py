from typing import Annotated, Any
from uuid import UUID

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from crm_chassis.db import SessionDep
from crm_chassis.errors import NotFound
from crm_chassis.http import IfMatchDep
from crm_chassis.internal_http import InternalCallsDep
from crm_chassis.openapi import PUBLIC, inline_schema
from crm_chassis.search import SearchRequest, parse_request
from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse

from sales_service.assignment.service import QUEUES, RULES
from sales_service.leads import conversion, search, web_forms
from sales_service.leads.conversion_schemas import ConvertRequest
from sales_service.leads.custom_fields import LEAD_FIELDS
from sales_service.leads.schemas import AssignmentExplained, LeadRead
from sales_service.leads.service import LEADS, VIEW

READ, WRITE = [require_scope("sales:read")], [require_scope("sales:write")]
SEARCH_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": inline_schema(SearchRequest)}},
    }
}

router = APIRouter(tags=["leads"])


@router.post("/v1/leads/search", dependencies=READ, openapi_extra=SEARCH_BODY)
async def search_leads(call: CallDep, body: Annotated[Any, Body()] = None) -> Response:
    """Leads by filter groups (standard and custom fields) and free text."""
    request = parse_request(body)
    VIEW.check_readable(call.actor, request.fields_named())
    return VIEW.page(call.actor, *await search.search(call, request))


@router.get("/v1/leads/{id:uuid}/assignment", dependencies=READ)
async def explain_assignment(id: UUID, call: CallDep) -> AssignmentExplained:
    """Which assignment rule gave the lead its owner, and why."""
    lead = await LEADS.get(call, id)
    if lead.assignment is None:
        raise NotFound("The lead was assigned by hand, not by the rules")
    return AssignmentExplained(lead_id=lead.id, **lead.assignment)


@router.get("/v1/leads/{id:uuid}/duplicates", dependencies=READ)
async def lead_duplicates(id: UUID, call: CallDep, calls: InternalCallsDep) -> dict[str, Any]:
    """Contacts and accounts the lead may already be, to choose from before converting."""
    return await conversion.duplicates(call, calls, id)


@router.post("/v1/leads/{id:uuid}/convert", dependencies=WRITE, response_model=LeadRead)
async def convert_lead(
    id: UUID, call: CallDep, body: ConvertRequest, if_match: IfMatchDep = None
) -> Response:
    """Convert into an account and a contact (new, or existing ones), and a deal."""
    return VIEW.one(call.actor, await conversion.convert(call, id, body, if_match))


@router.post(
    "/v1/web-forms/{key}/submissions", status_code=202, tags=["web forms"], openapi_extra=PUBLIC
)
async def submit_web_form(
    key: str, request: Request, session: SessionDep, body: Annotated[Any, Body()] = None
) -> JSONResponse:
    """A public form's submission (no token: the form key names the tenant)."""
    state = request.app.state
    lead = await web_forms.submit(session, key[:64], body, state.settings, state.sessions)
    return JSONResponse({"received": True, "lead_id": str(lead.id)}, status_code=202)


routers = [
    router,
    crud_router(LEADS, scope="sales", tags=["leads"]),
    crud_router(LEAD_FIELDS, scope="sales", tags=["leads"]),
    crud_router(web_forms.WEB_FORMS, scope="sales", tags=["web forms"]),
    crud_router(RULES, scope="sales", tags=["assignment"]),
    crud_router(QUEUES, scope="sales", tags=["assignment"]),
]
