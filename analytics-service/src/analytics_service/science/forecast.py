"""Monthly revenue forecast with seasonality (statsmodels ETS) and prediction intervals.

With two full years of history or more, an additive Holt-Winters ETS model with a
12-month season; with less, trend only (a season cannot be estimated from one cycle).
Months without revenue count as zero. Revenue is forecast per currency, never summed
across currencies.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

SEASON = 12


@dataclass(frozen=True)
class Point:
    month: str
    forecast: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Forecast:
    model: str
    seasonal: bool
    history_months: int
    points: list[Point]


def monthly(series: pd.Series) -> pd.Series:
    """Revenue by month (index: month start), gaps filled with zero."""
    values = series.astype(float)
    values.index = pd.PeriodIndex(series.index, freq="M")
    values = values.groupby(level=0).sum()
    full = pd.period_range(values.index.min(), values.index.max(), freq="M")
    return values.reindex(full, fill_value=0.0)


def forecast(history: pd.Series, *, horizon: int = 12, confidence: float = 0.9) -> Forecast:
    """Forecast ``horizon`` months after ``history`` (a monthly series, see :func:`monthly`)."""
    if len(history) < 3:
        raise ValueError("a forecast needs at least three months of history")
    seasonal = len(history) >= 2 * SEASON
    y = history.astype(float).copy()
    y.index = history.index.to_timestamp()
    y.index.freq = "MS"
    model = ETSModel(
        y,
        error="add",
        trend="add",
        damped_trend=True,
        seasonal="add" if seasonal else None,
        seasonal_periods=SEASON if seasonal else None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series
        fitted = model.fit(disp=False)
        frame = fitted.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(
            alpha=1 - confidence
        )
    points = [
        Point(
            month=ts.strftime("%Y-%m"),
            forecast=round(float(row["mean"]), 2),
            lower=round(float(row["pi_lower"]), 2),
            upper=round(float(row["pi_upper"]), 2),
        )
        for ts, row in frame.iterrows()
    ]
    name = "ETS(A,Ad,A)" if seasonal else "ETS(A,Ad,N)"
    return Forecast(model=name, seasonal=seasonal, history_months=len(history), points=points)
