"""Each model's run: read its inputs from the warehouse, fit or score, shape the results.

Blocking (pandas, scipy, scikit-learn); the task runs it in a worker thread. Each returns
an :class:`Outcome`: the summary (fitted parameters, scores), one result row per
customer (or rule, or month), and the segments to compare with the previous run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pandas as pd

from analytics_service.runs import inputs
from analytics_service.runs.options import (
    AttributionOptions,
    BasketOptions,
    ChurnOptions,
    ClusterOptions,
    ClvOptions,
    ForecastOptions,
    RfmOptions,
)
from analytics_service.science import attribution, basket, churn, clusters, clv, forecast, rfm
from analytics_service.warehouse.store import Warehouse


class NoData(ValueError):
    """The window holds too little to fit the model; the task fails with this message."""


@dataclass
class Outcome:
    summary: dict[str, Any]
    results: list[dict[str, Any]]
    #: contact id -> (segment, scores): what segment-changed events compare.
    segments: dict[str, tuple[str, dict[str, float]]] = field(default_factory=dict)


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (a degenerate fit's inf or NaN) as None:
    JSON, and so PostgreSQL's JSONB, has no such numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _money(value: Decimal | float) -> str | None:
    number = Decimal(value)
    return str(number.quantize(Decimal("0.01"))) if number.is_finite() else None


def run_rfm(wh: Warehouse, tenant: UUID, as_of: datetime, o: RfmOptions) -> Outcome:
    currency = o.currency or inputs.main_currency(wh, tenant)
    frame = inputs.orders(wh, tenant, as_of, currency)
    if frame.empty:
        raise NoData("no orders in the window")
    purchases = [rfm.Purchase(r.contact, r.ordered_at, r.total) for r in frame.itertuples()]
    kinds = _kinds(frame)
    scored = rfm.rfm(purchases, as_of)
    results = [
        {
            "customer_id": s.customer,
            "customer_kind": kinds[s.customer],
            "recency_days": s.recency_days,
            "frequency": s.frequency,
            "monetary": str(s.monetary),
            "r": s.r,
            "f": s.f,
            "m": s.m,
            "segment": s.segment,
        }
        for s in scored
    ]
    counts = {k: int(v) for k, v in pd.Series([s.segment for s in scored]).value_counts().items()}
    return Outcome(
        summary={"currency": currency, "customers": len(scored), "segments": counts},
        results=results,
        segments={
            s.customer: (s.segment, {"r": s.r, "f": s.f, "m": s.m})
            for s in scored
            if kinds[s.customer] == "contact"
        },
    )


def _kinds(frame: pd.DataFrame) -> dict[str, str]:
    """contact or account, by customer id."""
    return dict(zip(frame["contact"], frame["kind"], strict=True))


def purchase_summary(frame: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """BG/NBD's inputs per customer, in weeks: repeat purchase days ``x``, ``t_x``, ``T``,
    and ``m``, the mean value of the repeat purchases (purchases on one day are one)."""
    frame = frame.assign(
        day=pd.to_datetime(frame["ordered_at"]).dt.floor("D"), total=frame["total"].map(float)
    )
    daily = frame.groupby(["contact", "day"], as_index=False)["total"].sum()
    first = daily.groupby("contact")["day"].transform("min")
    daily["repeat"] = daily["day"] > first
    week = pd.Timedelta(weeks=1)
    end = pd.Timestamp(as_of)
    per = daily.groupby("contact").agg(first=("day", "min"), last=("day", "max"))
    repeats = daily[daily["repeat"]].groupby("contact")["total"].agg(["count", "mean"])
    per["x"] = repeats["count"].reindex(per.index).fillna(0)
    per["m"] = repeats["mean"].reindex(per.index).fillna(0.0)
    per["t_x"] = (per["last"] - per["first"]) / week
    per["T"] = (end - per["first"]) / week
    return per


def run_clv(wh: Warehouse, tenant: UUID, as_of: datetime, o: ClvOptions) -> Outcome:
    currency = o.currency or inputs.main_currency(wh, tenant)
    frame = inputs.orders(wh, tenant, as_of, currency)
    per = purchase_summary(frame, as_of) if not frame.empty else pd.DataFrame()
    if len(per) < 10 or int((per["x"] > 0).sum()) < 5:
        raise NoData("CLV needs at least 10 customers, 5 of them with repeat purchases")
    kinds = _kinds(frame)
    purchases = clv.fit_bgnbd(per["x"], per["t_x"], per["T"])
    value = clv.fit_gamma_gamma(per["x"], per["m"])
    months = max(1, round(o.horizon_weeks / 4.345))
    args = (per["x"], per["t_x"], per["T"])
    expected = clv.expected_purchases(purchases, o.horizon_weeks, *args)
    alive = clv.probability_alive(purchases, *args)
    worth = clv.expected_value(value, per["x"], per["m"])
    lifetime = clv.lifetime_value(
        purchases,
        value,
        o.horizon_weeks,
        *args,
        per["m"],
        steps=months,
        discount_per_step=o.discount_per_month,
    )
    results = [
        {
            "customer_id": contact,
            "customer_kind": kinds[contact],
            "repeat_purchases": int(x),
            "expected_purchases": round(float(e), 4),
            "probability_alive": round(float(a), 4),
            "expected_order_value": _money(w),
            "clv": _money(v),
        }
        for contact, x, e, a, w, v in zip(
            per.index, per["x"], expected, alive, worth, lifetime, strict=True
        )
    ]
    return Outcome(
        summary={
            "currency": currency,
            "horizon_weeks": o.horizon_weeks,
            "bgnbd": purchases.as_dict(),
            "gamma_gamma": value.as_dict(),
            "customers": len(results),
            "total_clv": _money(sum(Decimal(r["clv"]) for r in results if r["clv"] is not None)),
        },
        results=results,
    )


def customer_features(wh: Warehouse, tenant: UUID, at: datetime) -> pd.DataFrame:
    """One row per customer with an order up to ``at``: the features churn and clusters use."""
    frame = inputs.orders(wh, tenant, at, None)
    if frame.empty:
        return pd.DataFrame()
    frame["total"] = frame["total"].map(float)
    grouped = frame.groupby("contact")
    end = pd.Timestamp(at)
    features = pd.DataFrame(
        {
            "recency_days": (end - pd.to_datetime(grouped["ordered_at"].max())).dt.days,
            "frequency": grouped.size(),
            "monetary": grouped["total"].sum(),
            "tenure_days": (end - pd.to_datetime(grouped["ordered_at"].min())).dt.days,
        }
    )
    service = inputs.service_history(wh, tenant, at).set_index("contact")
    reach = inputs.touches_per_contact(wh, tenant, at).set_index("contact")
    features["tickets"] = service["tickets"].reindex(features.index).fillna(0)
    features["breaches"] = service["breaches"].reindex(features.index).fillna(0)
    features["touches"] = reach["touches"].reindex(features.index).fillna(0)
    return features.astype(float)


def _band(p: float) -> str:
    return "high" if p >= 0.7 else "medium" if p >= 0.4 else "low"


def run_churn(wh: Warehouse, tenant: UUID, as_of: datetime, o: ChurnOptions) -> Outcome:
    cutoff = as_of - timedelta(days=o.horizon_days)
    past = customer_features(wh, tenant, cutoff)
    if len(past) < 10:
        raise NoData("churn needs at least 10 customers with orders before the cut-off")
    every = inputs.orders(wh, tenant, as_of, None)
    later = every[pd.to_datetime(every["ordered_at"]) > pd.Timestamp(cutoff)]
    churned = pd.Series(~past.index.isin(set(later["contact"])), index=past.index)
    try:
        model = churn.train(past, churned)
    except churn.NotEnoughHistory as exc:
        raise NoData(str(exc)) from exc
    now = customer_features(wh, tenant, as_of)
    scored = churn.score(model, now)
    kinds = _kinds(every)
    results = [
        {
            "customer_id": s.customer,
            "customer_kind": kinds[s.customer],
            "probability": round(s.probability, 4),
            "risk": _band(s.probability),
            "drivers": [{"feature": f, "contribution": c} for f, c in s.drivers],
        }
        for s in scored
    ]
    return Outcome(
        summary={
            "cut_off": cutoff.isoformat(),
            "trained_on": len(past),
            "churn_rate": round(float(churned.mean()), 4),
            "cv_roc_auc": None if model.cv_auc is None else round(model.cv_auc, 4),
            "coefficients": {k: round(v, 4) for k, v in model.coefficients.items()},
        },
        results=results,
        segments={
            s.customer: (_band(s.probability), {"probability": s.probability}) for s in scored
        },
    )


def run_clusters(wh: Warehouse, tenant: UUID, as_of: datetime, o: ClusterOptions) -> Outcome:
    features = customer_features(wh, tenant, as_of)
    if len(features) < 3:
        raise NoData("clustering needs at least 3 customers")
    found = clusters.cluster(features[list(o.features)], k=o.k)
    return Outcome(
        summary={
            "k": found.k,
            "silhouette": found.silhouette,
            "silhouettes": {str(k): round(v, 4) for k, v in found.silhouettes.items()},
            "profiles": [
                {
                    "cluster": p.cluster,
                    "size": p.size,
                    "persona": p.persona,
                    "means": {k: round(v, 4) for k, v in p.means.items()},
                }
                for p in found.profiles
            ],
        },
        # cluster numbers are not stable between runs: no segment events for them
        results=[{"customer_id": c, "cluster": label} for c, label in found.labels.items()],
    )


def run_basket(wh: Warehouse, tenant: UUID, as_of: datetime, o: BasketOptions) -> Outcome:
    baskets = inputs.baskets(wh, tenant, as_of)
    if not baskets:
        raise NoData("no order lines in the window")
    found = basket.rules(baskets, min_support=o.min_support, min_confidence=o.min_confidence)
    results = [
        {
            "antecedents": list(r.antecedents),
            "consequents": list(r.consequents),
            "support": r.support,
            "confidence": r.confidence,
            "lift": r.lift,
        }
        for r in found
    ]
    return Outcome(summary={"orders": len(baskets), "rules": len(results)}, results=results)


def run_forecast(wh: Warehouse, tenant: UUID, as_of: datetime, o: ForecastOptions) -> Outcome:
    currency = o.currency or inputs.main_currency(wh, tenant)
    frame = inputs.orders(wh, tenant, as_of, currency)
    if frame.empty:
        raise NoData("no orders in the window")
    stamps = pd.to_datetime(frame["ordered_at"]).dt.tz_convert("UTC").dt.tz_localize(None)
    series = forecast.monthly(pd.Series(frame["total"].map(float).to_numpy(), index=stamps))
    # complete months only: up to the one before as_of's, months without orders as zero
    current = pd.Period(pd.Timestamp(as_of).tz_convert("UTC").tz_localize(None), freq="M")
    months = pd.period_range(series.index.min(), current - 1, freq="M")
    series = series.reindex(months, fill_value=0.0)
    try:
        result = forecast.forecast(series, horizon=o.horizon_months, confidence=o.confidence)
    except ValueError as exc:
        raise NoData(str(exc)) from exc
    pipeline = inputs.open_pipeline(wh, tenant)
    return Outcome(
        summary={
            "currency": currency,
            "model": result.model,
            "seasonal": result.seasonal,
            "history_months": result.history_months,
            "confidence": o.confidence,
            "weighted_pipeline": [
                {
                    "currency": r.currency,
                    "deals": int(r.deals),
                    "value": _money(r.value),
                    "weighted": _money(r.weighted),
                }
                for r in pipeline.itertuples()
            ],
        },
        results=[
            {"month": p.month, "forecast": p.forecast, "lower": p.lower, "upper": p.upper}
            for p in result.points
        ],
    )


def run_attribution(wh: Warehouse, tenant: UUID, as_of: datetime, o: AttributionOptions) -> Outcome:
    deals = inputs.won_deals(wh, tenant, as_of)
    touches = inputs.touches(wh, tenant, as_of)
    by_contact: dict[str, list[attribution.Touch]] = {}
    for t in touches.itertuples():
        by_contact.setdefault(t.contact, []).append(
            attribution.Touch(t.occurred_at, t.campaign, t.channel)
        )
    lookback = timedelta(days=o.lookback_days)
    conversions = [
        attribution.Conversion(
            at=d.closed_at,
            revenue=d.amount,
            currency=d.currency or "XXX",
            touches=[t for t in by_contact.get(d.contact, []) if d.closed_at - lookback <= t.at],
        )
        for d in deals.itertuples()
    ]
    results = []
    for model in attribution.MODELS:
        for by in ("campaign", "channel"):
            credit = attribution.attribute(
                conversions, model, by=by, half_life_days=o.half_life_days
            )
            results += [
                {"model": model, "by": by, "key": key, "currency": cur, "revenue": _money(v)}
                for (key, cur), v in sorted(credit.items())
            ]
    touched = sum(1 for c in conversions if c.touches)
    return Outcome(
        summary={
            "won_deals": len(conversions),
            "with_touches": touched,
            "models": list(attribution.MODELS),
        },
        results=results,
    )


RUNNERS: dict[str, Any] = {
    "rfm": run_rfm,
    "clv": run_clv,
    "churn": run_churn,
    "clusters": run_clusters,
    "basket": run_basket,
    "forecast": run_forecast,
    "attribution": run_attribution,
}
