"""Shared numerics: p-values kept in log space, tails of the normal, chi-square and t laws.

Every p-value in gwaskit is derived as ``-log10 p`` without ever forming ``p`` first, so that a
z of 40 gives 349.1 and a z of 100 gives 2174.4 instead of ``inf``. ``p`` itself, where a table
needs it, is ``10 ** -neg_log_10_p`` and may underflow to 0; the -log10 column is the truth.
"""

from __future__ import annotations

import numpy as np
from scipy import special

LN10 = float(np.log(10.0))
#: Median of the chi-square distribution with 1 degree of freedom (for lambda GC).
CHI2_1_MEDIAN = 0.454936423119572

_TINY = 1e-290  # below this, direct tails lose relative accuracy; switch to asymptotics


def neg_log10_p_from_z(z: np.ndarray | float) -> np.ndarray:
    """Two-sided -log10 p of a standard-normal statistic, exact at any |z|.

    ``-log10(2 * Phi(-|z|))`` through :func:`scipy.special.log_ndtr`. NaN stays NaN.

    >>> float(np.round(neg_log10_p_from_z(40.0), 3))
    349.136
    """
    z = np.asarray(z, dtype=np.float64)
    return -(np.log(2.0) + special.log_ndtr(-np.abs(z))) / LN10


def neg_log10_p_from_chi2(x: np.ndarray | float, df: float = 1.0) -> np.ndarray:
    """-log10 of the upper tail of a chi-square statistic with ``df`` degrees of freedom.

    Uses the regularised incomplete gamma function where it is representable and the
    asymptotic expansion of ``log Gamma(s, y)`` (DLMF 8.11.2) beyond, so it never underflows.
    NaN or negative statistics give NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    if df == 1.0:
        with np.errstate(invalid="ignore"):
            return np.where(x >= 0, neg_log10_p_from_z(np.sqrt(np.maximum(x, 0.0))), np.nan)
    s = df / 2.0
    y = x / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        q = special.gammaincc(s, y)
        direct = -np.log(q) / LN10
        # log Gamma(s, y) ~ (s-1) log y - y + log(1 + (s-1)/y + (s-1)(s-2)/y^2 + ...)
        series = np.ones_like(y)
        term = np.ones_like(y)
        for k in range(1, 12):
            term = term * (s - k) / y
            series = series + term
        log_q = (s - 1.0) * np.log(y) - y + np.log(series) - special.gammaln(s)
        asym = -log_q / LN10
    out = np.where(q > _TINY, direct, asym)
    return np.where(np.isfinite(x) & (x >= 0), out, np.nan)


def neg_log10_p_from_t(t: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided -log10 p of a Student t statistic with ``df`` degrees of freedom.

    ``p = I_x(df/2, 1/2)`` with ``x = df / (df + t^2)``; where that underflows, the log of
    DLMF 8.17.8, ``x^a (1-x)^b / (a B(a,b)) * 2F1(a+b, 1; a+1; x)``, summed in floating point.
    """
    t, df = np.broadcast_arrays(
        np.atleast_1d(np.asarray(t, dtype=np.float64)),
        np.atleast_1d(np.asarray(df, dtype=np.float64)),
    )
    a = df / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        x = df / (df + t * t)
        p = special.betainc(a, 0.5, x)
        out = np.array(-np.log(p) / LN10)
    small = np.isfinite(t) & (df > 0) & ~(p > _TINY)
    if np.any(small):
        out[small] = -_log_betainc_small(a[small], 0.5, x[small]) / LN10
    return np.where(np.isfinite(t) & (df > 0), out, np.nan)


def _log_betainc_small(a: np.ndarray, b: float, x: np.ndarray) -> np.ndarray:
    """log I_x(a, b) by the hypergeometric series; for the tail where betainc underflows."""
    total = np.ones_like(x)
    term = np.ones_like(x)
    for k in range(20000):
        term = term * (a + b + k) / (a + 1.0 + k) * x
        total = total + term
        if np.all(term < 1e-17 * total):
            break
    return a * np.log(x) + b * np.log1p(-x) - np.log(a) - special.betaln(a, b) + np.log(total)


def p_from_neg_log10(neg_log10_p: np.ndarray | float) -> np.ndarray:
    """``10 ** -x``; underflows to 0 beyond about 323, which is why -log10 p is kept."""
    return np.power(10.0, -np.asarray(neg_log10_p, dtype=np.float64))


def chi2_from_neg_log10_p(neg_log10_p: np.ndarray | float) -> np.ndarray:
    """The 1-df chi-square statistic whose two-sided p has the given -log10, in log space."""
    x = np.asarray(neg_log10_p, dtype=np.float64)
    log_half_p = -x * LN10 - np.log(2.0)  # log(p / 2)
    z = -special.ndtri_exp(log_half_p)
    return z * z


def lambda_gc(neg_log10_p: np.ndarray) -> float:
    """Genomic-control inflation factor: median 1-df chi-square over its null median (0.4549).

    NaN entries are ignored; returns NaN when nothing is left.
    """
    x = np.asarray(neg_log10_p, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan")
    # chi-square grows with -log10 p: convert only the middle order statistic(s)
    k = (x.size - 1) // 2
    mid = np.partition(x, [k, x.size // 2])[[k, x.size // 2]]
    return float(np.mean(chi2_from_neg_log10_p(mid)) / CHI2_1_MEDIAN)


#: Order of the Bernoulli cumulant series (:func:`bernoulli_cumulants`) the score test's
#: saddlepoint approximation sums instead of the exact CGF where that is exact to rounding
#: (:mod:`gwaskit.assoc.score`).
SERIES_ORDER = 16


def bernoulli_cumulants(mu: np.ndarray, order: int = SERIES_ORDER) -> np.ndarray:
    """``(n, order + 1)``: the cumulants ``kappa_k`` of a Bernoulli(``mu``) variable, ``k = 0..
    order`` (``kappa_0 = 0``), from ``kappa_1 = mu`` and ``kappa_{k+1} = mu (1 - mu)
    d kappa_k / d mu``: ``log(1 - mu + mu e^x) = sum_k kappa_k x^k / k!``."""
    coefficients = [np.zeros(1), np.array([0.0, 1.0])]  # polynomials in mu, lowest power first
    for _ in range(2, order + 1):
        d = np.polynomial.polynomial.polyder(coefficients[-1])
        coefficients.append(np.polynomial.polynomial.polymul(d, [0.0, 1.0, -1.0]))
    mu = np.asarray(mu, dtype=np.float64)
    return np.column_stack([np.polynomial.polynomial.polyval(mu, c) for c in coefficients]).astype(
        np.float64
    )
