from datetime import date
from typing import Annotated, Literal

from crm_chassis.auth import require_scope
from crm_chassis.crud import CallDep
from crm_chassis.crud_routes import crud_router
from crm_chassis.errors import ValidationFailed
from crm_chassis.orm import utcnow
from crm_proto.money import MINOR_UNITS
from fastapi import APIRouter, Query
from pydantic import BaseModel

from sales_service.forecast import service

router = APIRouter(tags=["forecast"])
READ = [require_scope("sales:read")]
Currency = Annotated[str, Query(pattern="^[A-Z]{3}$", description="The reporting currency")]


def _currency(code: str) -> str:
    if code not in MINOR_UNITS:
        raise ValidationFailed(
            "Unknown currency", errors=[{"field": "currency", "message": "not ISO 4217"}]
        )
    return code


@router.get("/v1/forecast", dependencies=READ)
async def forecast(
    call: CallDep,
    currency: Currency,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to", description="Exclusive; a 1st of the month")],
    period: Literal["month", "quarter"] = "quarter",
    as_of: date | None = None,
) -> service.Forecast:
    """Weighted pipeline by period, owner and forecast category, in ``currency`` at the
    tenant's rates valid on ``as_of`` (today by default)."""
    if end <= start:
        raise ValidationFailed("An empty range", errors=[{"field": "to", "message": "after from"}])
    for name, day in (("from", start), ("to", end)):
        if day.day != 1:
            raise ValidationFailed(
                "The forecast is by month",
                errors=[{"field": name, "message": "a 1st of the month"}],
            )
    return await service.forecast(
        call,
        start=start,
        end=end,
        currency=_currency(currency),
        granularity=period,
        as_of=as_of or utcnow().date(),
    )


class Attainments(BaseModel):
    period: str
    currency: str
    data: list[service.Attainment]


@router.get("/v1/forecast/attainment", dependencies=READ)
async def attainment(
    call: CallDep,
    currency: Currency,
    period: Annotated[str, Query(pattern=service.PERIOD.pattern)],
    as_of: date | None = None,
) -> Attainments:
    """Won amounts against each owner's quota for the period (2026-Q1 or 2026-03)."""
    rows = await service.attainments(call, period, _currency(currency), as_of or utcnow().date())
    return Attainments(period=period, currency=currency, data=rows)


routers = [router, crud_router(service.QUOTAS, scope="sales", tags=["forecast"])]
