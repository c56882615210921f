"""Generated data with a planted pattern the models must find: clusters, a churn driver,
a seasonal cycle."""

import numpy as np
import pandas as pd
import pytest
from analytics_service.science import churn, clusters, forecast


def test_three_planted_clusters_are_found_by_silhouette():
    rng = np.random.default_rng(7)
    centres = [(5, 100), (40, 20), (90, 400)]
    rows = [(cx + rng.normal(0, 2), cy + rng.normal(0, 8)) for cx, cy in centres for _ in range(40)]
    frame = pd.DataFrame(rows, columns=["recency", "monetary"], index=[f"c{i}" for i in range(120)])
    found = clusters.cluster(frame)
    assert found.k == 3
    assert sorted(p.size for p in found.profiles) == [40, 40, 40]
    big = max(found.profiles, key=lambda p: p.means["monetary"])
    assert big.means["monetary"] == pytest.approx(400, abs=10) and "high monetary" in big.persona


def test_a_given_k_is_used():
    frame = pd.DataFrame({"a": range(10), "b": range(10)}, dtype=float)
    assert clusters.cluster(frame, k=4).k == 4


def test_the_planted_churn_driver_leads_and_the_model_separates():
    rng = np.random.default_rng(3)
    n = 400
    tickets = rng.poisson(2, n)
    orders = rng.poisson(5, n)
    noise = rng.normal(0, 1, n)
    # churn is driven by support tickets, not by the noise
    churned = rng.random(n) < 1 / (1 + np.exp(-(tickets - 3) * 1.5))
    frame = pd.DataFrame(
        {"tickets": tickets, "orders": orders, "noise": noise}, index=[f"c{i}" for i in range(n)]
    )
    model = churn.train(frame, pd.Series(churned, index=frame.index))
    assert model.cv_auc is not None and model.cv_auc > 0.8
    assert max(model.coefficients, key=lambda f: abs(model.coefficients[f])) == "tickets"
    scored = {s.customer: s for s in churn.score(model, frame)}
    worst = frame["tickets"].idxmax()
    assert scored[worst].probability > 0.9
    assert scored[worst].drivers[0][0] == "tickets"


def test_churn_refuses_history_with_one_outcome():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(churn.NotEnoughHistory):
        churn.train(frame, pd.Series([0, 0, 0]))


def test_the_planted_december_peak_is_forecast_with_intervals():
    months = pd.period_range("2022-01", "2025-12", freq="M")
    rng = np.random.default_rng(1)
    revenue = [
        1000 + 20 * i + (800 if m.month == 12 else 0) + rng.normal(0, 30)
        for i, m in enumerate(months)
    ]
    history = pd.Series(revenue, index=months)
    result = forecast.forecast(history, horizon=12)
    assert result.seasonal and len(result.points) == 12
    peak = max(result.points, key=lambda p: p.forecast)
    assert peak.month == "2026-12"
    assert all(p.lower < p.forecast < p.upper for p in result.points)


def test_a_short_history_is_forecast_without_a_season():
    history = forecast.monthly(
        pd.Series(
            [10.0, 12.0, 11.0, 13.0],
            index=pd.to_datetime(["2026-01-03", "2026-02-01", "2026-04-09", "2026-05-01"]),
        )
    )
    assert list(history) == [10.0, 12.0, 0.0, 11.0, 13.0]
    assert forecast.forecast(history, horizon=3).seasonal is False
