"""Customer lifetime value: BG/NBD (Fader, Hardie and Lee 2005) and Gamma-Gamma (Fader
and Hardie 2013), fitted by maximum likelihood with scipy.

Inputs per customer, in one time unit (weeks in the papers): ``x`` repeat purchases,
``t_x`` the time of the last one and ``T`` the time since the first, both from the first
purchase; for Gamma-Gamma, ``m`` the mean value of the repeat purchases (x > 0 only).

The likelihoods are the papers' own (BG/NBD eq. 6, Gamma-Gamma eq. 3 of the 2013 note);
the tests fit them on the papers' CDNOW data and compare with the published estimates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import OptimizeResult, minimize
from scipy.special import betaln, gammaln, hyp2f1

Array = NDArray[np.float64]


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    log_likelihood: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


# Log-parameters stay within e^-8 .. e^8 (about 0.0003 to 3000): a population without
# heterogeneity drives the gamma's shape and scale to infinity together (only their ratio
# is identified); the bound keeps such a fit, and the hypergeometric function of its
# expectations, finite. The papers' estimates lie well inside.
_LOG_BOUNDS = (-8.0, 8.0)


def _maximise(negative: Callable[[Array], float], start: Array) -> OptimizeResult:
    """Minimise ``negative`` (a negative log-likelihood over log-parameters): a simplex
    search, then a gradient polish, both within :data:`_LOG_BOUNDS`."""
    bounds = [_LOG_BOUNDS] * len(start)
    with np.errstate(all="ignore"):
        best = minimize(
            negative,
            start,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 20_000},
        )
        return minimize(negative, best.x, method="L-BFGS-B", bounds=bounds)


def _arrays(*columns: ArrayLike) -> list[Array]:
    return [np.asarray(c, dtype=float) for c in columns]


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x: Array, t_x: Array, T: Array
) -> Array:
    """Each customer's log-likelihood under BG/NBD (Fader, Hardie and Lee 2005, eq. 6)."""
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.where(
        repeat,
        betaln(a + 1, np.maximum(b + x - 1, 1e-12))
        - betaln(a, b + x)
        - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return a1 + a2 + np.logaddexp(a3, a4)


def fit_bgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> BgNbd:
    """Maximum-likelihood BG/NBD parameters (optimised on their logs, so all stay > 0)."""
    xs, txs, Ts = _arrays(x, t_x, T)

    def negative(log_params: Array) -> float:
        r, alpha, a, b = np.exp(log_params)
        return -float(np.sum(bgnbd_log_likelihood(r, alpha, a, b, xs, txs, Ts)))

    start = np.log([1.0, max(float(np.mean(Ts)), 1.0), 1.0, 1.0])
    best = _maximise(negative, start)
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    return BgNbd(r=r, alpha=alpha, a=a, b=b, log_likelihood=-float(best.fun))


def expected_purchases(model: BgNbd, t: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:
    """E[Y(t) | x, t_x, T]: a customer's expected purchases in the next ``t`` (eq. 10)."""
    xs, txs, Ts = _arrays(x, t_x, T)
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    head = (a + b + xs - 1) / (a - 1)
    # The paper's ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t)),
    # rewritten by Pfaff's transformation into the one function it equals: the power
    # cancels, and nothing overflows when r and alpha are large together.
    tail = 1 - hyp2f1(r + xs, a - 1, a + b + xs - 1, -t / (alpha + Ts))
    return head * tail / (1 + _odds_dead(model, xs, txs, Ts))


def probability_alive(model: BgNbd, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:
    """P(alive | x, t_x, T) (Fader, Hardie and Lee 2005, eq. 11); 1 with no repeat."""
    xs, txs, Ts = _arrays(x, t_x, T)
    return 1 / (1 + _odds_dead(model, xs, txs, Ts))


def _odds_dead(model: BgNbd, x: Array, t_x: Array, T: Array) -> Array:
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    safe = np.maximum(b + x - 1, 1e-12)
    return np.where(x > 0, (a / safe) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)


def gamma_gamma_log_likelihood(p: float, q: float, gamma: float, x: Array, m: Array) -> Array:
    """Each repeat customer's log-likelihood of their mean value (Fader and Hardie 2013)."""
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * m)
    )


def fit_gamma_gamma(x: ArrayLike, m: ArrayLike) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma parameters over customers with x > 0 and m > 0."""
    xs, ms = _arrays(x, m)
    keep = (xs > 0) & (ms > 0)
    xs, ms = xs[keep], ms[keep]

    def negative(log_params: Array) -> float:
        p, q, gamma = np.exp(log_params)
        return -float(np.sum(gamma_gamma_log_likelihood(p, q, gamma, xs, ms)))

    start = np.log([1.0, 1.0, max(float(np.mean(ms)), 1.0)])
    best = _maximise(negative, start)
    p, q, gamma = (float(v) for v in np.exp(best.x))
    return GammaGamma(p=p, q=q, gamma=gamma, log_likelihood=-float(best.fun))


def expected_value(model: GammaGamma, x: ArrayLike, m: ArrayLike) -> Array:
    """E[M | p, q, gamma, m, x]: the expected mean value of a customer's future purchases,
    a weighted mean of the population mean and the customer's own (eq. 5); the population
    mean for a customer without repeat purchases."""
    xs, ms = _arrays(x, m)
    p, q, gamma = model.p, model.q, model.gamma
    population = p * gamma / (q - 1)
    own = (q - 1) / (p * xs + q - 1) * population + (p * xs) / (p * xs + q - 1) * ms
    return np.where(xs > 0, own, population)


def lifetime_value(
    purchases: BgNbd,
    value: GammaGamma,
    horizon: float,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    m: ArrayLike,
    *,
    steps: int = 12,
    discount_per_step: float = 0.0,
) -> Array:
    """Discounted value over ``horizon``: expected purchases in each of ``steps`` slices,
    times the expected value, discounted by ``discount_per_step`` per slice."""
    total = np.zeros(len(np.asarray(x)))
    before = np.zeros_like(total)
    worth = expected_value(value, x, m)
    for i in range(1, steps + 1):
        upto = expected_purchases(purchases, horizon * i / steps, x, t_x, T)
        total += (upto - before) * worth / (1 + discount_per_step) ** i
        before = upto
    return total
