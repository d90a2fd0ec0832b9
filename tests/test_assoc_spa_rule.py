"""The saddlepoint approximation follows SPAtest's rule (issue 12, item 3), checked against an
independent full/fast SPA written here with numpy and scipy.

SPAtest (``TestSPAfast``, Dey et al. 2017, doi:10.1016/j.ajhg.2017.05.014) counts the samples
whose minor-allele dosage is 0 (dosage ``2 - g`` when the mean dosage exceeds 1): when they are
at least half, they enter the cumulant generating function through its normal approximation
(``Saddle_Prob_fast``); otherwise every sample enters exactly (``Saddle_Prob``, the full SPA).

The reference below fits its own null model (Newton-Raphson on the logistic likelihood), finds
the saddlepoint with ``scipy.optimize.brentq`` on ``K'(t) = q`` for the score and its mirror
``2 m1 - q``, and sums the two Lugannani-Rice tails in log space (``scipy.special.log_ndtr``).
Tolerance 1e-6 in -log10 p: both solve the same equations to ~1e-12 in t; what is left is the
null fit (converged to 1e-12) and rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize
from scipy.special import expit, log_ndtr

from gwaskit.assoc.design import make_design
from gwaskit.assoc.logistic import fit_logistic_null
from gwaskit.assoc.score import score_block
from gwaskit.stats import LN10


def _null_mu(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        mu = expit(x @ beta)
        step = np.linalg.solve(x.T @ (x * (mu * (1 - mu))[:, None]), x.T @ (y - mu))
        beta += step
        if np.abs(step).max() < 1e-13:
            break
    return expit(x @ beta)


def _tail(q: float, g: np.ndarray, mu: np.ndarray, exact: np.ndarray) -> float:
    """log P(Q >= q) (q above the mean) or log P(Q <= q) (below), Q = sum g_i y_i; samples
    not ``exact`` enter K through its second-order (normal) expansion."""
    ge, me = g[exact], mu[exact]
    gn, mn = g[~exact], mu[~exact]
    na_mu, na_var = np.sum(gn * mn), np.sum(gn**2 * mn * (1 - mn))

    def k0(t):
        return (
            np.sum(np.logaddexp(np.log1p(-me), np.log(me) + ge * t))
            + na_mu * t
            + 0.5 * na_var * t * t
        )

    def k1(t):
        return np.sum(ge * expit(np.log(me) - np.log1p(-me) + ge * t)) + na_mu + na_var * t

    def k2(t):
        e = expit(np.log(me) - np.log1p(-me) + ge * t)
        return np.sum(ge**2 * e * (1 - e)) + na_var

    lo, hi = -1.0, 1.0
    while k1(lo) > q:
        lo *= 2
    while k1(hi) < q:
        hi *= 2
    t = optimize.brentq(lambda t: k1(t) - q, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500)
    w = np.sign(t) * np.sqrt(2 * (t * q - k0(t)))
    v = t * np.sqrt(k2(t))
    z = w + np.log(v / w) / w
    return log_ndtr(-z) if z > 0 else log_ndtr(z)


def reference_spa(y: np.ndarray, x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """-log10 p of SPAtest's rule for each column of ``g`` (no missing calls), and whether the
    full SPA was used."""
    mu = _null_mu(y, x)
    w = mu * (1 - mu)
    out, full = np.empty(g.shape[1]), np.empty(g.shape[1], dtype=bool)
    for j in range(g.shape[1]):
        gj = g[:, j]
        minor = 2 - gj if gj.mean() > 1 else gj
        zero = minor == 0
        full[j] = zero.sum() / zero.size < 0.5
        g1 = gj - x @ np.linalg.solve(x.T @ (x * w[:, None]), x.T @ (w * gj))
        q, m1 = np.sum(g1 * y), np.sum(g1 * mu)
        exact = np.ones(gj.size, bool) if full[j] else ~zero
        qinv = 2 * m1 - q
        upper, lower = max(q, qinv), min(q, qinv)
        out[j] = -np.logaddexp(_tail(upper, g1, mu, exact), _tail(lower, g1, mu, exact)) / LN10
    return out, full


@pytest.fixture(scope="module")
def cohort():
    """3,000 samples, 14 % cases, two covariates; variants from MAF 0.3 % to 50 % (half of them
    coded on the major allele), the case status raised in carriers so that |z| > 2."""
    rng = np.random.default_rng(12)
    n, m = 3000, 240
    covar = rng.normal(size=(n, 2))
    maf = np.concatenate([rng.uniform(0.003, 0.05, m // 2), rng.uniform(0.05, 0.5, m // 2)])
    g = rng.binomial(2, maf, size=(n, m)).astype(float)
    effect = np.where(np.arange(m) % 3 == 0, 0.0, rng.choice([-1, 1], m) * rng.uniform(0.3, 1.5, m))
    logit = -3.0 + 0.3 * covar[:, 0] + (g - 2 * maf) @ (effect / np.sqrt(m) * 6)
    y = (rng.random(n) < expit(logit)).astype(float)
    flip = np.arange(m) % 2 == 1
    g[:, flip] = 2 - g[:, flip]
    return y, covar, g


def test_score_block__spa_follows_spatest_rule(cohort) -> None:
    y, covar, g = cohort
    x = np.column_stack([np.ones(y.size), covar])
    null = fit_logistic_null(make_design(y, covar, binary=True))
    got = score_block(null, g, spa=True)
    spa = got.method == "score-spa"
    ref, full = reference_spa(y, x, g[:, spa])
    # both regimes, each on the effect allele and on the other allele, are covered
    coded_minor = g[:, spa].mean(axis=0) < 1
    counts = {
        (f, c): int(np.sum((full == f) & (coded_minor == c)))
        for f in (True, False)
        for c in (True, False)
    }
    assert spa.sum() == 65
    assert counts == {(True, True): 17, (True, False): 13, (False, True): 13, (False, False): 22}
    diff = np.abs(got.neg_log10_p[spa] - ref)
    assert diff.max() < 1e-6, diff.max()
    assert np.max(got.neg_log10_p[spa]) > 8  # well into the tail


def test_score_block__fast_partition_alone_differs_where_full(cohort) -> None:
    """The test above can fail: where SPAtest uses the full SPA, the fast partition differs by
    more than the tolerance."""
    y, covar, g = cohort
    x = np.column_stack([np.ones(y.size), covar])
    null = fit_logistic_null(make_design(y, covar, binary=True))
    spa = score_block(null, g, spa=True).method == "score-spa"
    gs = g[:, spa]
    mu = _null_mu(y, x)
    _, full = reference_spa(y, x, gs)
    w = mu * (1 - mu)
    worst = 0.0
    for j in np.flatnonzero(full)[:20]:
        gj = gs[:, j]
        minor = 2 - gj if gj.mean() > 1 else gj
        g1 = gj - x @ np.linalg.solve(x.T @ (x * w[:, None]), x.T @ (w * gj))
        q, m1 = np.sum(g1 * y), np.sum(g1 * mu)
        fast = ~(minor == 0)
        exact = np.ones(gj.size, bool)
        qs = sorted([q, 2 * m1 - q])
        p_fast = np.logaddexp(_tail(qs[1], g1, mu, fast), _tail(qs[0], g1, mu, fast))
        p_full = np.logaddexp(_tail(qs[1], g1, mu, exact), _tail(qs[0], g1, mu, exact))
        worst = max(worst, abs(p_fast - p_full) / LN10)
    assert worst > 1e-4
