"""BG/NBD and Gamma-Gamma on the papers' CDNOW data reproduce the published figures."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from analytics_service.science import clv

CDNOW = pd.read_csv(Path(__file__).parents[1] / "data" / "cdnow_summary.csv")


def within_one_percent(got: float, published: float) -> bool:
    return abs(got - published) <= 0.01 * abs(published)


@pytest.fixture(scope="module")
def bgnbd():
    return clv.fit_bgnbd(CDNOW["x"], CDNOW["t_x"], CDNOW["T"])


def test_bgnbd_fit_reproduces_fader_hardie_lee_2005(bgnbd):
    # Table/estimates of Fader, Hardie and Lee (2005): r, alpha, a, b and LL = -9582.4.
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert within_one_percent(getattr(bgnbd, name), value), (name, getattr(bgnbd, name))
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_bgnbd_likelihood_at_the_published_parameters_is_the_published_one():
    ll = clv.bgnbd_log_likelihood(
        0.243, 4.414, 0.793, 2.426, *(CDNOW[c].to_numpy(float) for c in ("x", "t_x", "T"))
    )
    assert ll.sum() == pytest.approx(-9582.4, abs=0.1)


def test_conditional_expectation_of_the_papers_example_customer(bgnbd):
    # The paper's worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases
    # in the next 39 weeks.
    got = clv.expected_purchases(bgnbd, 39, [2], [30.43], [38.86])[0]
    assert got == pytest.approx(1.226, abs=0.005)


def test_probability_alive_is_one_without_repeat_and_falls_with_a_long_silence(bgnbd):
    alive = clv.probability_alive(bgnbd, [0, 5, 5], [0, 38, 5], [38.86, 38.86, 38.86])
    assert alive[0] == 1.0
    assert alive[1] > 0.8 > 0.2 > alive[2]


def test_gamma_gamma_fit_reproduces_fader_hardie_2013():
    model = clv.fit_gamma_gamma(CDNOW["x"], CDNOW["zbar"])
    # "The Gamma-Gamma Model of Monetary Value" (2013): p = 6.25, q = 3.74, gamma = 15.44
    for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert within_one_percent(getattr(model, name), value), (name, getattr(model, name))


def test_expected_value_shrinks_a_customer_mean_toward_the_population_mean():
    model = clv.GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0)
    population = 6.25 * 15.44 / 2.74
    one, many = clv.expected_value(model, [1, 20], [100.0, 100.0])
    assert population < one < many < 100.0
    assert clv.expected_value(model, [0], [0.0])[0] == pytest.approx(population)


def test_lifetime_value_grows_with_the_horizon_and_falls_with_the_discount(bgnbd):
    value = clv.GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0)
    args = ([2], [30.43], [38.86], [22.35])
    short = clv.lifetime_value(bgnbd, value, 13, *args)[0]
    long = clv.lifetime_value(bgnbd, value, 52, *args)[0]
    discounted = clv.lifetime_value(bgnbd, value, 52, *args, discount_per_step=0.01)[0]
    assert 0 < short < long and discounted < long
    undiscounted = (
        clv.expected_purchases(bgnbd, 52, *args[:3])[0] * clv.expected_value(value, [2], [22.35])[0]
    )
    assert long == pytest.approx(undiscounted)
    assert np.isfinite(long)
