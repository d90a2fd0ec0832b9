"""Score test of a binary trait with the saddlepoint approximation (SPA), for fast scans.

The covariate-only logistic model is fitted once (:func:`fit_logistic_null`); for each variant
the score ``S = g'(y - mu)`` and its null variance ``V = g'Wg - g'WX (X'WX)^-1 X'Wg`` are matrix
products over the block. Missing calls are mean-imputed (as SAIGE and SPAtest do), so the null
model is shared by every variant.

With unbalanced case/control ratios and rare variants the normal approximation of ``S`` is
badly anti-conservative. Where ``|S|/sqrt(V)`` exceeds ``spa_cutoff`` (2, as in SAIGE), the
two tails of ``S`` are approximated by the saddlepoint method of Dey et al. 2017 (SPAtest,
doi:10.1016/j.ajhg.2017.05.014): with ``g~ = g - X(X'WX)^-1 X'Wg`` and cumulant generating
function ``K(t) = sum_i log(1 - mu_i + mu_i e^{t g~_i}) - t sum_i g~_i mu_i``, solve
``K'(t) = s``, then ``P(S > s) ~ 1 - Phi(w + log(v/w)/w)`` with
``w = sign(t) sqrt(2(ts - K(t)))`` and ``v = t sqrt(K''(t))`` (Lugannani-Rice), all in log
space. As SPAtest, the samples without a copy of the minor allele enter ``K`` through its
normal (second-order) approximation when they are at least half the samples (fastSPA), and
exactly otherwise (the full SPA); see :func:`spa_log_pvalue`. ``beta = S/V`` (the one-step estimate) and ``se = |beta|/|z|`` with ``z`` the normal
quantile of the SPA p-value, as SAIGE reports them.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy.special import ndtri_exp

from gwaskit.assoc.design import impute_block, impute_kernel
from gwaskit.assoc.logistic import LogisticNull
from gwaskit.assoc.results import BlockResult, empty_strings
from gwaskit.stats import LN10, SERIES_ORDER, neg_log10_p_from_z

SPA_CUTOFF = 2.0


def score_block(
    null: LogisticNull, g: np.ndarray, *, spa: bool = True, spa_cutoff: float = SPA_CUTOFF
) -> BlockResult:
    """Score tests (with SPA where ``|z| > spa_cutoff`` when ``spa``) for a block ``(n, m)``."""
    x, mu = null.x, null.mu
    w = mu * (1 - mu)
    g = np.asfortranarray(g if g.dtype in (np.float32, np.float64) else g.astype(np.float64))
    m = g.shape[1]
    # one matrix product with left_t = [WX, y - mu]' gives X'Wg (k rows) and the score (last)
    xwx_inv, left_t = null.score_products
    prod, n_obs, sum_g, n_cases, gwg = _impute_project(g, null.y, w, left_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        eaf = sum_g / (2.0 * n_obs)
    n_controls = n_obs - n_cases
    xwg, s = prod[:-1], prod[-1]
    proj = xwx_inv @ xwg  # (k, m)
    v = gwg - np.einsum("km,km->m", xwg, proj)
    reason = empty_strings(m)
    const = ~(v > 1e-8 * np.maximum(gwg, 1e-300))
    reason[const] = "CONST_GENO"
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(const, np.nan, s / np.sqrt(v))
    neg_log10_p = neg_log10_p_from_z(z)
    method = empty_strings(m, "score")
    if spa:
        idx = np.flatnonzero(np.abs(z) > spa_cutoff)
        if idx.size:
            gi = impute_block(g[:, idx], null.y, w)[0]
            gt = gi - x @ proj[:, idx]  # covariate-adjusted genotypes (n, r)
            log_p = spa_log_pvalue(null, s[idx], gt, gi)
            ok = np.isfinite(log_p)
            neg_log10_p[idx[ok]] = -log_p[ok] / LN10
            # the normal deviate with the same two-sided p
            z[idx[ok]] = np.sign(s[idx[ok]]) * -ndtri_exp(log_p[ok] - np.log(2.0))
            method[idx[ok]] = "score-spa"
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = s / v
        se = np.abs(beta / z)
    beta[const] = np.nan
    return BlockResult(
        beta=beta,
        standard_error=se,
        statistic=z,
        neg_log10_p=neg_log10_p,
        n=n_obs,
        method=method,
        reason=reason,
        effect_allele_frequency=eaf,
        n_cases=n_cases,
        n_controls=n_controls,
    )


#: Variants imputed per chunk: the float64 chunk (n x 64) stays in cache for the product.
CHUNK = 64


def _impute_project(
    g: np.ndarray, y: np.ndarray, w: np.ndarray, left_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``left_t @ g_imputed`` and the :func:`impute_block` summaries, chunk by chunk.

    Mean imputation into float64 and the matrix product run over chunks of :data:`CHUNK`
    variants, so the float64 copy of the whole block is never materialised.
    """
    n, m = g.shape
    prod = np.empty((left_t.shape[0], m))
    n_obs, sum_g, cases, gwg = (np.empty(m) for _ in range(4))
    buf = np.empty((n, min(CHUNK, m)), order="F")
    y = np.asarray(y, np.float64)
    w = np.asarray(w, np.float64)
    for a in range(0, m, CHUNK):
        b = min(a + CHUNK, m)
        chunk = buf[:, : b - a]
        impute_kernel(g[:, a:b], y, w, chunk, n_obs[a:b], sum_g[a:b], cases[a:b], gwg[a:b])
        np.matmul(left_t, chunk, out=prod[:, a:b])
    return prod, n_obs, sum_g, cases, gwg


@numba.njit(cache=True, nogil=True)
def _tail_kernel(q, ti, eta_c, mu_c, sp_c, var_nc, k2_0, k3_0, s_min, s_max):  # pragma: no cover
    """log P(S > q) for q > mean, log P(S < q) for q < mean, by Lugannani-Rice.

    ``ti``, ``eta_c``, ``mu_c``, ``sp_c``: adjusted genotype, logit, mean and softplus of the
    logit of the carriers (exact cumulant generating function); the other samples enter
    through their variance ``var_nc`` (normal approximation, fastSPA). ``k2_0``, ``k3_0``:
    ``K''(0)`` and ``K'''(0)``.
    """
    if q >= s_max or q <= s_min:
        return -np.inf
    nc = ti.size
    # Newton from the root of the second-order expansion K''(0) t + K'''(0) t^2 / 2 = q
    disc = k2_0 * k2_0 + 2.0 * k3_0 * q
    t = 2.0 * q / (k2_0 + np.sqrt(disc)) if k2_0 > 0 and disc > 0 else 0.0
    lo = -np.inf
    hi = np.inf
    if t != 0.0:
        if q > 0:
            lo = 0.0
        else:
            hi = 0.0
    for _ in range(200):
        k1 = var_nc * t
        k2 = var_nc
        for i in range(nc):
            e = 1.0 / (1.0 + np.exp(-(eta_c[i] + t * ti[i])))
            k1 += ti[i] * (e - mu_c[i])
            k2 += ti[i] * ti[i] * e * (1.0 - e)
        f = k1 - q
        if f < 0:
            lo = t
        elif f > 0:
            hi = t
        else:
            break
        new = t - f / max(k2, 1e-300)
        newton = lo < new < hi
        if not newton:
            if np.isfinite(lo) and np.isfinite(hi):
                new = 0.5 * (lo + hi)
            elif f < 0:
                new = t + max(1.0, 2.0 * abs(t))
            else:
                new = t - max(1.0, 2.0 * abs(t))
        # Newton converges quadratically: after a Newton step below 1e-7 the error is ~1e-14,
        # so the pass that would confirm it is skipped
        if abs(new - t) < (1e-7 if newton else 1e-12) * max(1.0, abs(t)):
            t = new
            break
        t = new
    k0 = 0.5 * var_nc * t * t
    k2 = var_nc
    for i in range(nc):
        a = eta_c[i] + t * ti[i]
        u = np.exp(-abs(a))  # one exp gives the logistic and the softplus of a
        e = 1.0 / (1.0 + u) if a >= 0 else u / (1.0 + u)
        # log(1 - mu + mu e^{t g}) - t g mu, via softplus differences
        k0 += max(a, 0.0) + np.log1p(u) - sp_c[i] - t * ti[i] * mu_c[i]
        k2 += ti[i] * ti[i] * e * (1.0 - e)
    w2 = 2.0 * (t * q - k0)
    if w2 <= 0 or t == 0.0:
        return np.nan
    w = np.sqrt(w2) if t > 0 else -np.sqrt(w2)
    v = t * np.sqrt(k2)
    arg = w + np.log(v / w) / w
    return _log_ndtr(-arg) if t > 0 else _log_ndtr(arg)


@numba.njit(cache=True, nogil=True)
def _log_ndtr(x):  # pragma: no cover - compiled
    """log Phi(x), accurate in the far lower tail (asymptotic series) and near 1."""
    if x > -20.0:
        return np.log(0.5 * math.erfc(-x / np.sqrt(2.0)))
    # log Phi(x) ~ -x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + 3/x^4 - 15/x^6)
    x2 = x * x
    return (
        -0.5 * x2
        - np.log(-x)
        - 0.5 * np.log(2 * np.pi)
        + np.log(1 - 1 / x2 + 3 / (x2 * x2) - 15 / (x2 * x2 * x2))
    )


#: The largest ``|t g~_i|`` the cumulant series (order :data:`gwaskit.stats.SERIES_ORDER`) of the
#: exact samples' CGF is used at: the Bernoulli CGF ``log(1 - mu + mu e^x)`` is analytic for
#: ``|x| < pi`` (its nearest singularity is at ``logit(mu) +- i pi``), so the terms past order 16
#: are below ``(0.6 / pi)^17 ~ 1e-12`` of the leading ones: within double rounding of the exact
#: sums.
SERIES_RADIUS = 0.6
#: The series replaces the exact sums (one exponential per sample and Newton step) when at least
#: this many samples enter exactly (below, the exact sums are as cheap).
SERIES_MIN_SAMPLES = 64
_INV_FACTORIAL = 1.0 / np.array([math.factorial(k) for k in range(SERIES_ORDER + 1)])


@numba.njit(cache=True, nogil=True)
def _series_tail(q, power, ti_max, s_min, s_max):  # pragma: no cover - compiled
    """:func:`_tail_kernel` from the cumulant series ``K(t) = sum_k power[k] t^k / k!`` (the
    normal part's variance is in ``power[2]``); NaN when the saddlepoint lies where the series
    is not used (``|t| ti_max > SERIES_RADIUS``): the caller then sums exactly."""
    if q >= s_max or q <= s_min:
        return -np.inf
    order = power.size - 1
    k2_0 = power[2]
    k3_0 = power[3]
    disc = k2_0 * k2_0 + 2.0 * k3_0 * q
    t = 2.0 * q / (k2_0 + np.sqrt(disc)) if k2_0 > 0 and disc > 0 else q / max(k2_0, 1e-300)
    limit = SERIES_RADIUS / max(ti_max, 1e-300)
    for _ in range(100):
        if abs(t) > limit:
            return np.nan
        k1 = 0.0
        k2 = 0.0
        for k in range(order, 1, -1):  # Horner
            k1 = k1 * t + power[k] * _INV_FACTORIAL[k - 1]
            k2 = k2 * t + power[k] * _INV_FACTORIAL[k - 2]
        k1 *= t
        if k2 <= 0:
            return np.nan
        step = (k1 - q) / k2
        t -= step
        if abs(step) < 1e-14 * max(1.0, abs(t)):
            break
    if abs(t) > limit or t == 0.0:
        return np.nan
    k0 = 0.0
    k2 = 0.0
    for k in range(order, 1, -1):
        k0 = k0 * t + power[k] * _INV_FACTORIAL[k]
        k2 = k2 * t + power[k] * _INV_FACTORIAL[k - 2]
    k0 *= t * t
    w2 = 2.0 * (t * q - k0)
    if w2 <= 0 or k2 <= 0:
        return np.nan
    w = np.sqrt(w2) if t > 0 else -np.sqrt(w2)
    v = t * np.sqrt(k2)
    arg = w + np.log(v / w) / w
    return _log_ndtr(-arg) if t > 0 else _log_ndtr(arg)


@numba.njit(cache=True, nogil=True)
def _spa_kernel(s, gt, g, mu, eta, w, sp, kappa, out):  # pragma: no cover - compiled
    n, r = gt.shape
    ti_buf = np.empty(n)
    eta_buf = np.empty(n)
    mu_buf = np.empty(n)
    sp_buf = np.empty(n)
    idx_buf = np.empty(n, dtype=np.int64)
    power = np.empty(kappa.shape[1])
    for j in range(r):
        # SPAtest's partition: samples with zero minor-allele dosage enter through a normal
        # approximation, unless they are fewer than half the samples (then the full SPA)
        total = 0.0
        for i in range(n):
            total += g[i, j]
        zero = 2.0 if total > n else 0.0  # the minor allele is the other allele: 2 - g
        n_zero = 0
        for i in range(n):
            if g[i, j] == zero:
                n_zero += 1
        full = 2 * n_zero < n
        c = 0
        var_nc = 0.0
        k2_c = 0.0
        k3_c = 0.0
        s_min = 0.0
        s_max = 0.0
        for i in range(n):
            x = gt[i, j]
            if x > 0:
                s_min -= x * mu[i]
                s_max += x * (1 - mu[i])
            else:
                s_min += x * (1 - mu[i])
                s_max -= x * mu[i]
            if full or g[i, j] != zero:
                ti_buf[c] = x
                eta_buf[c] = eta[i]
                mu_buf[c] = mu[i]
                sp_buf[c] = sp[i]
                idx_buf[c] = i
                k2_c += w[i] * x * x
                k3_c += w[i] * (1.0 - 2.0 * mu[i]) * x * x * x
                c += 1
            else:
                var_nc += w[i] * x * x
        if var_nc > 0:  # the normal part has unbounded support
            s_min = -np.inf
            s_max = np.inf
        ti = ti_buf[:c]
        eta_c = eta_buf[:c]
        mu_c = mu_buf[:c]
        sp_c = sp_buf[:c]
        k2_0 = var_nc + k2_c
        q = abs(s[j])
        upper = np.nan
        lower = np.nan
        if c >= SERIES_MIN_SAMPLES:
            power[:] = 0.0  # power[k] = sum over the exact samples of kappa_k(mu_i) ti^k
            ti_max = 0.0
            for a in range(c):
                x = ti[a]
                ti_max = max(ti_max, abs(x))
                row = kappa[idx_buf[a]]
                xk = x * x
                for k in range(3, power.size):
                    xk *= x
                    power[k] += row[k] * xk
            power[2] = k2_0
            upper = _series_tail(q, power, ti_max, s_min, s_max)
            lower = _series_tail(-q, power, ti_max, s_min, s_max)
        if np.isnan(upper):
            upper = _tail_kernel(q, ti, eta_c, mu_c, sp_c, var_nc, k2_0, k3_c, s_min, s_max)
        if np.isnan(lower):
            lower = _tail_kernel(-q, ti, eta_c, mu_c, sp_c, var_nc, k2_0, k3_c, s_min, s_max)
        if np.isnan(upper) or np.isnan(lower):
            out[j] = np.nan
        else:
            hi = max(upper, lower)
            if hi == -np.inf:
                out[j] = -np.inf
            else:
                out[j] = min(0.0, hi + np.log(np.exp(upper - hi) + np.exp(lower - hi)))


def spa_log_pvalue(null: LogisticNull, s: np.ndarray, gt: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Natural log of the two-sided SPA p-value of scores ``s`` ``(r,)``; NaN if it fails.

    ``gt`` ``(n, r)`` are the covariate-adjusted genotypes and ``g`` the (imputed) dosages.
    SPAtest's rule (``TestSPAfast``, Dey et al. 2017): with the minor-allele dosage (``2 - g``
    when the mean dosage exceeds 1), samples with dosage 0 enter through a normal
    approximation and the others through their exact cumulant generating function (fastSPA),
    unless fewer than half the samples have dosage 0: then every sample enters exactly (the
    full SPA). Both under the ``null`` model's fit.
    """
    out = np.empty(s.size)
    _spa_kernel(
        np.ascontiguousarray(s, dtype=np.float64),
        np.asfortranarray(gt, dtype=np.float64),
        np.asfortranarray(g, dtype=np.float64),
        np.ascontiguousarray(null.mu, dtype=np.float64),
        *null.spa_terms,
        null.spa_cumulants,
        out,
    )
    return out
