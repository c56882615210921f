"""Forecast use cases (S11): the weighted pipeline in one reporting currency, quotas and
attainment. The rates used are listed beside the figures."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from crm_chassis.crud import Call, Crud, View
from crm_chassis.errors import ValidationFailed
from crm_chassis.schemas import EntityRead, Strict
from crm_proto.money import Money
from pydantic import BaseModel, Field

from sales_service.common.events import lifecycle_events
from sales_service.common.money import Price, keeping_money
from sales_service.forecast.engine import MissingRate, attainment, convert
from sales_service.forecast.repository import ForecastRepository, QuotaRepository
from sales_service.products.repository import RateRepository
from sales_service.quotes.totals import HUNDRED, rounded

NIL = UUID(int=0)
PERIOD = re.compile(r"^([12]\d{3})-(Q[1-4]|0[1-9]|1[0-2])$")  # years 1000-2999: a date


class QuotaWrite(Strict):
    owner_id: UUID
    period: str = Field(pattern=PERIOD.pattern, description="2026-Q1 or 2026-03")
    amount: Price


class QuotaRead(QuotaWrite, EntityRead):
    pass


QUOTAS = Crud(
    QuotaRepository,
    View("quota", QuotaRead, path="/v1/quotas"),
    QuotaWrite,
    lifecycle_events("quota"),
    columns=keeping_money("amount"),
)


class Row(BaseModel):
    period: str
    owner_id: UUID | None
    forecast_category: str
    deals: int
    amount: Money
    weighted: Money


class Forecast(BaseModel):
    currency: str
    as_of: date
    rates: list[dict[str, str]]
    data: list[Row]
    totals: dict[str, Money]


def period_bounds(period: str) -> tuple[date, date]:
    match = PERIOD.match(period)
    if match is None:
        raise ValidationFailed(
            "Bad period", errors=[{"field": "period", "message": "2026-Q1 or 2026-03"}]
        )
    year, part = int(match[1]), match[2]
    first = (int(part[1]) - 1) * 3 + 1 if part.startswith("Q") else int(part)
    months = 3 if part.startswith("Q") else 1
    end_month = first + months
    end = date(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return date(year, first, 1), end


def _label(start: date, granularity: str) -> str:
    if granularity == "month":
        return f"{start.year}-{start.month:02d}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


async def _rates(
    call: Call, currency: str, as_of: date
) -> tuple[dict[str, Decimal], list[dict[str, str]]]:
    found = await RateRepository(call.session, call.actor).on(currency, as_of)
    rates = {c: r for c, (r, _) in found.items()}
    shown = [
        {"currency": c, "rate": format(r, "f"), "valid_from": v.isoformat()}
        for c, (r, v) in sorted(found.items())
    ]
    return rates, shown


def _missing(exc: MissingRate, currency: str) -> ValidationFailed:
    return ValidationFailed(
        f"No exchange rate from {exc.currency} to {currency}",
        errors=[
            {"field": "currency", "message": f"no {exc.currency} rate; PUT /v1/exchange-rates"}
        ],
    )


async def forecast(
    call: Call,
    *,
    start: date,
    end: date,
    currency: str,
    granularity: Literal["month", "quarter"],
    as_of: date,
) -> Forecast:
    rates, shown = await _rates(call, currency, as_of)
    cells: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"deals": 0, "amount": defaultdict(Decimal), "weighted": defaultdict(Decimal)}
    )
    for row in await ForecastRepository(call.session, call.actor).buckets(start, end):
        owner = None if row.owner_key == NIL else row.owner_key
        cell = cells[(_label(row.month, granularity), owner, row.forecast_category)]
        cell["deals"] += row.deals
        cell["amount"][row.currency] += row.amount
        cell["weighted"][row.currency] += row.weighted_x100 / HUNDRED
    out: list[Row] = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    try:
        for (period, owner, category), cell in sorted(
            cells.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), kv[0][2])
        ):
            amount = convert(cell["amount"], rates, currency)
            weighted = convert(cell["weighted"], rates, currency)
            totals["amount"] += amount
            totals["weighted"] += weighted
            out.append(
                Row(
                    period=period,
                    owner_id=owner,
                    forecast_category=category,
                    deals=cell["deals"],
                    amount=rounded(amount, currency),
                    weighted=rounded(weighted, currency),
                )
            )
    except MissingRate as exc:
        raise _missing(exc, currency) from exc
    return Forecast(
        currency=currency,
        as_of=as_of,
        rates=shown,
        data=out,
        totals={k: rounded(totals[k], currency) for k in ("amount", "weighted")},
    )


class Attainment(BaseModel):
    owner_id: UUID | None
    quota: Money | None
    won: Money
    attainment_percent: str | None


async def attainments(call: Call, period: str, currency: str, as_of: date) -> list[Attainment]:
    start, end = period_bounds(period)
    rates, _ = await _rates(call, currency, as_of)
    won: dict[Any, dict[str, Decimal]] = defaultdict(dict)
    for owner, cur, amount in await ForecastRepository(call.session, call.actor).won(start, end):
        won[owner][cur] = amount
    quotas = {
        q.owner_id: q for q in await QuotaRepository(call.session, call.actor).of_period(period)
    }
    out = []
    try:
        for owner in sorted(set(won) | set(quotas), key=str):
            achieved = convert(won.get(owner, {}), rates, currency)
            quota = quotas.get(owner)
            target = (
                convert({quota.amount.currency: quota.amount.amount}, rates, currency)
                if quota
                else None
            )
            percent = attainment(achieved, target) if target is not None else None
            out.append(
                Attainment(
                    owner_id=owner,
                    won=rounded(achieved, currency),
                    quota=rounded(target, currency) if target is not None else None,
                    attainment_percent=None if percent is None else format(percent, "f"),
                )
            )
    except MissingRate as exc:
        raise _missing(exc, currency) from exc
    return out
