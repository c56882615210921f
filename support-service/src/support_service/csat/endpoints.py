"""The survey link: no login, the signed token is the credential."""

from __future__ import annotations

from crm_chassis.db import SessionDep
from crm_chassis.openapi import PUBLIC
from fastapi import APIRouter, Path, Request

from support_service.csat import service
from support_service.csat.schemas import SurveyAnswer, SurveyPage, SurveyRead

router = APIRouter(prefix="/v1/surveys", tags=["satisfaction"])
Token = Path(min_length=10, max_length=2000)


def _page(survey: object, ticket: object) -> SurveyPage:
    return SurveyPage(
        survey=SurveyRead.model_validate(survey),
        ticket_number=ticket.number,  # type: ignore[attr-defined]
        ticket_subject=ticket.subject,  # type: ignore[attr-defined]
    )


@router.get("/{token}", openapi_extra=PUBLIC)
async def get_survey(request: Request, session: SessionDep, token: str = Token) -> SurveyPage:
    """The survey behind a link (401 when the link is not valid or expired)."""
    secret = request.app.state.settings.jwt_secret
    return _page(*await service.open_link(session, secret, token))


@router.post("/{token}", openapi_extra=PUBLIC)
async def answer_survey(
    request: Request, session: SessionDep, body: SurveyAnswer, token: str = Token
) -> SurveyPage:
    """Rate the service once (a second answer is 409)."""
    secret = request.app.state.settings.jwt_secret
    return _page(*await service.answer(session, secret, token, body))
