"""Logistic and Firth regression of a binary trait on each variant, batched over a block.

Every Newton-Raphson step of every variant in a block is one compiled pass over the block
(weights, residuals) and a handful of matrix products: the per-variant information matrices
``Z' diag(w_v) Z`` (``Z = [X, g_v]``) come from the pairwise products of the covariate columns
times the weight matrix ``W`` ``(n, m)``, then small batched solves; no Python loop per
variant. Missing calls get weight 0 (dropped per variant, as PLINK 2 does). Fits start from the
covariate-only estimate and stop when the largest Newton step is below 1e-6 (double
precision; plink2 stops at a summed step below 1e-4 in single precision).

PLINK 2 ``--glm firth-fallback`` semantics (plink2 2.00a3/a4 ``glm_logistic.cc``):

* before fitting, a variant whose effect-allele dosage sums to 0 among the cases or among the
  controls (or whose other allele does) has an infinite maximum-likelihood estimate: it goes to
  Firth regression (``reason`` ``SEPARATION`` without the fallback);
* the logistic fit fails (-> Firth) when a step is not finite, when after the 4th iteration the
  summed absolute step exceeds 20 and twice its smallest value so far (divergence), when after
  the 7th iteration the summed step stays within 1e-3 of 1 (a coefficient marching to infinity,
  quasi-separation), or when a coefficient's magnitude exceeds 6e4 at convergence;
* one difference: a fit still unconverged after 25 iterations goes to Firth here, where plink2
  reports its 15th iterate as a logistic result (or fails it when a coefficient exceeds 8e3);
* ``test="firth"`` fits Firth regression for every variant.

Firth regression (Firth 1993, doi:10.1093/biomet/80.1.27; Heinze & Schemper 2002,
doi:10.1002/sim.1047) maximises the likelihood penalised by Jeffreys' prior, with the modified
score ``U* = Z'(y - p + h (1/2 - p))`` (``h`` the hat-matrix diagonal); as in plink2 (a port of
``logistf`` with ``pl=FALSE``) steps are capped at 5, the test is Wald's, and the standard error
is from the inverse information ``(Z' diag(w) Z)^-1`` at the estimate (:mod:`gwaskit.assoc.firth`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np
from scipy.special import expit

from gwaskit.assoc.design import Design, pair_products, split_missing, unpack_symmetric
from gwaskit.assoc.firth import _solve_many, firth_fit, firth_lrt
from gwaskit.assoc.results import BlockResult, empty_strings
from gwaskit.errors import InputError
from gwaskit.stats import bernoulli_cumulants, neg_log10_p_from_z

MAX_ITER = 25
LOGISTIC_TOL = 1e-6  # Newton: quadratic convergence leaves an error ~ TOL^2


@dataclass(frozen=True)
class LogisticNull:
    """The covariate-only logistic fit, once per phenotype."""

    y: np.ndarray
    x: np.ndarray
    coef: np.ndarray  # (k,)
    mu: np.ndarray  # fitted probabilities

    @property
    def k(self) -> int:
        return int(self.x.shape[1])

    @cached_property
    def pairs(self) -> np.ndarray:
        """``(n, k(k+1)/2)`` covariate column products (:func:`pair_products`), made when a
        logistic or Firth fit first needs them: the score test never does (at 200,000 samples
        and 12 covariates they take 146 MB, and a Dask task would carry them)."""
        return pair_products(self.x)

    @cached_property
    def score_products(self) -> tuple[np.ndarray, np.ndarray]:
        """``(X'WX)^-1`` and ``[WX, y - mu]'`` ``(k+1, n)``, C-ordered: the score test's
        per-phenotype matrices, computed once rather than per block."""
        w = self.mu * (1 - self.mu)
        xw = self.x * w[:, None]
        left_t = np.ascontiguousarray(np.column_stack([xw, self.y - self.mu]).T)
        return np.linalg.inv(self.x.T @ xw), left_t

    @cached_property
    def start_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """The weights ``mu (1 - mu)`` and residuals ``y - mu`` of the null fit: the first
        Newton step of every per-variant fit, which starts there."""
        return self.mu * (1.0 - self.mu), self.y - self.mu

    @cached_property
    def spa_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per sample, the logit ``eta``, the weight ``mu (1 - mu)`` and the softplus of the
        logit ``log(1 + e^eta) = -log(1 - mu)``: the saddlepoint kernel's inputs, once per
        phenotype rather than per block."""
        mu = self.mu
        eta = np.log(mu) - np.log1p(-mu)
        softplus = np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta)))
        return eta, mu * (1.0 - mu), softplus

    @cached_property
    def spa_cumulants(self) -> np.ndarray:
        """Per sample, the Bernoulli cumulants of the fitted probability (the saddlepoint's
        cumulant series, :func:`gwaskit.stats.bernoulli_cumulants`), once per phenotype."""
        return np.ascontiguousarray(bernoulli_cumulants(self.mu))


def fit_logistic_null(design: Design, *, source: str = "phenotype") -> LogisticNull:
    """Fit ``logit P(y=1) = X a`` by Newton-Raphson (Firth-penalised if that fails)."""
    x, y = design.x, design.y
    coef = np.zeros(x.shape[1])
    coef[0] = np.log(y.mean() / (1 - y.mean()))
    for _ in range(100):
        mu = expit(x @ coef)
        w = mu * (1 - mu)
        info = x.T @ (x * w[:, None])
        step = np.linalg.solve(info, x.T @ (y - mu))
        coef = coef + step
        if np.max(np.abs(step)) < 1e-12 or not np.all(np.isfinite(coef)):
            break
    if not np.all(np.isfinite(coef)) or np.max(np.abs(coef)) > 30:
        raise InputError(
            source,
            "the covariate-only logistic model does not converge (a covariate separates cases "
            "from controls); drop or recode that covariate.",
        )
    mu = expit(x @ coef)
    return LogisticNull(y=y, x=x, coef=coef, mu=mu)


@numba.njit(cache=True, nogil=True)
def _irls_kernel(xc, g, active, b, y, w_out, wg_out, r_out, gwg, gr):  # pragma: no cover
    """Weights, weighted genotypes and residuals of one Newton step, fused in one pass.

    ``xc`` ``(n, a)``: covariate part of the linear predictor of the ``a`` active variants;
    ``g`` ``(n, m)`` dosages with NaN for a missing call (weight 0); ``b`` the genotype
    coefficients. Writes ``w``, ``w g`` and ``y - p`` (0 where missing) and the sums
    ``sum w g^2`` and ``sum g (y - p)``.
    """
    n = xc.shape[0]
    for jj in range(active.size):
        j = active[jj]
        bj = b[jj]
        s1 = 0.0
        s2 = 0.0
        for i in range(n):
            gv = np.float64(g[i, j])
            if gv != gv:
                w_out[i, jj] = 0.0
                wg_out[i, jj] = 0.0
                r_out[i, jj] = 0.0
                continue
            p = 1.0 / (1.0 + np.exp(-(xc[i, jj] + gv * bj)))
            w = p * (1.0 - p)
            r = y[i] - p
            w_out[i, jj] = w
            wg_out[i, jj] = w * gv
            r_out[i, jj] = r
            s1 += w * gv * gv
            s2 += gv * r
        gwg[jj] = s1
        gr[jj] = s2


@numba.njit(cache=True, nogil=True)
def _first_step_kernel(
    g, active, w0, r0, pairs, x, wg_out, gwg, gr, pair_fix, x_fix
):  # pragma: no cover - compiled
    """:func:`_irls_kernel` at the covariate-only estimate (weights ``w0``, residuals ``r0``
    of the null model), with, per variant, the pair products and residual-weighted covariates
    of its samples without a call (to subtract from the null's totals)."""
    n = g.shape[0]
    for jj in range(active.size):
        j = active[jj]
        s1 = 0.0
        s2 = 0.0
        for i in range(n):
            gv = np.float64(g[i, j])
            if gv != gv:
                wg_out[i, jj] = 0.0
                for c in range(pairs.shape[1]):
                    pair_fix[jj, c] += w0[i] * pairs[i, c]
                for c in range(x.shape[1]):
                    x_fix[jj, c] += r0[i] * x[i, c]
                continue
            wg_out[i, jj] = w0[i] * gv
            s1 += w0[i] * gv * gv
            s2 += gv * r0[i]
        gwg[jj] = s1
        gr[jj] = s2


@numba.njit(cache=True, nogil=True)
def _column_sums(g, y, out):  # pragma: no cover - compiled
    """Per variant: calls, dosage sum, squared-dosage sum, cases with a call, case dosage."""
    n, m = g.shape
    for j in range(m):
        c = 0.0
        s = 0.0
        ss = 0.0
        cc = 0.0
        cs = 0.0
        for i in range(n):
            v = np.float64(g[i, j])
            if v == v:
                c += 1.0
                s += v
                ss += v * v
                cc += y[i]
                cs += y[i] * v
        out[0, j] = c
        out[1, j] = s
        out[2, j] = ss
        out[3, j] = cc
        out[4, j] = cs


def column_sums(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(5, m)``: calls, sum g, sum g^2, cases with a call, sum of g over cases (0/1 ``y``)."""
    out = np.empty((5, g.shape[1]))
    _column_sums(np.asfortranarray(g), np.asarray(y, dtype=np.float64), out)
    return out


def logistic_fit(
    null: LogisticNull, g: np.ndarray, columns: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximum-likelihood fits of ``[X, g_v]`` for the given columns of ``g`` ``(n, m)``
    (NaN = missing call, dropped); returns coefficients ``(c, k+1)``, the standard error of
    the genotype coefficient ``(c,)`` and a failure flag ``(c,)``.
    """
    g = np.asfortranarray(g)
    columns = np.arange(g.shape[1]) if columns is None else np.asarray(columns, dtype=np.int64)
    k = null.k
    m = columns.size
    coef = np.zeros((m, k + 1))
    coef[:, :k] = null.coef
    se = np.full(m, np.nan)
    failed = np.zeros(m, dtype=bool)
    done = np.zeros(m, dtype=bool)
    min_delta = np.full(m, np.inf)
    n = null.y.size
    active = np.arange(m)
    unit = np.zeros(k + 1)
    unit[k] = 1.0
    # (n, m) work arrays made once per call and sliced as the active set shrinks, not at every
    # step (each fresh one is page-faulted in again: 4 arrays of 25 MB per step at 10,000 samples)
    work_xc = np.empty((m, n))
    work_w, work_wg, work_r = (np.empty((n, m), order="F") for _ in range(3))
    for iteration in range(MAX_ITER + 1):
        if active.size == 0:
            break
        a = active.size
        ca = coef[active]
        info = np.empty((a, k + 1, k + 1))
        rhs = np.empty((a, k + 1, 2))
        wg = work_wg[:, :a]
        gwg, gr = np.empty(a), np.empty(a)
        if iteration == 0:
            # every fit starts at the covariate-only estimate, whose probabilities are the null
            # model's: no exponential, and the covariate block of the information is the
            # null's X'WX less the few samples without a call (a correction, not a product)
            w0, r0 = null.start_terms
            pair_fix = np.zeros((a, null.pairs.shape[1]))
            x_fix = np.zeros((a, k))
            _first_step_kernel(
                g, columns[active], w0, r0, null.pairs, null.x, wg, gwg, gr, pair_fix, x_fix
            )
            info[:, :k, :k] = unpack_symmetric((null.pairs.T @ w0)[:, None] - pair_fix.T, k)
            rhs[:, :k, 0] = null.x.T @ r0 - x_fix
        else:
            xc = np.matmul(ca[:, :k], null.x.T, out=work_xc[:a]).T  # (n, a), Fortran order
            w, r = work_w[:, :a], work_r[:, :a]
            _irls_kernel(xc, g, columns[active], ca[:, k].copy(), null.y, w, wg, r, gwg, gr)
            info[:, :k, :k] = unpack_symmetric(null.pairs.T @ w, k)
            rhs[:, :k, 0] = (null.x.T @ r).T
        xg = (null.x.T @ wg).T
        info[:, :k, k] = xg
        info[:, k, :k] = xg
        info[:, k, k] = gwg
        rhs[:, k, 0] = gr
        rhs[:, :, 1] = unit  # the genotype column of the inverse information: the variance
        sol, singular = _solve_many(info, rhs)
        step = sol[:, :, 0]
        delta = np.abs(step).sum(axis=1)
        ca = ca + step
        coef[active] = ca
        min_delta[active] = np.minimum(min_delta[active], delta)
        fail = singular | ~np.isfinite(delta)
        if iteration > 3:
            fail |= (delta > 20) & (delta > 2 * min_delta[active])
        if iteration > 6:
            fail |= np.abs(1 - delta) < 1e-3
        converged = ~fail & (np.max(np.abs(step), axis=1) < LOGISTIC_TOL)
        fail |= converged & (np.abs(ca).max(axis=1) > 6e4)
        if iteration == MAX_ITER:
            fail |= ~converged
        # the information at the previous point: within O(TOL) of that at the estimate
        var = sol[:, k, 1]
        with np.errstate(invalid="ignore"):
            se[active[converged]] = np.where(var[converged] > 0, np.sqrt(var[converged]), np.nan)
        failed[active[fail]] = True
        done[active[converged & ~fail]] = True
        active = active[~(fail | converged)]
    return coef, se, failed | ~done


def logistic_block(
    null: LogisticNull,
    g: np.ndarray,
    *,
    firth: str = "fallback",
    mean_impute: bool = False,
    firth_se: bool = False,
) -> BlockResult:
    """Wald tests of the genotype in per-variant logistic models.

    Parameters
    ----------
    firth
        ``"fallback"`` (PLINK 2's firth-fallback), ``"never"`` or ``"always"``.
    firth_se
        Firth-fitted variants get the penalised likelihood-ratio test and the standard error
        ``|beta| / sqrt(chi2)`` that reproduces it (REGENIE's ``--firth-se``), so that
        ``beta / se`` gives the test's p-value in a meta-analysis; otherwise the Wald test and
        the SE of the inverse information (PLINK 2).
    """
    g = np.asfortranarray(g)
    if mean_impute:
        sums = column_sums(g, null.y)
        with np.errstate(invalid="ignore", divide="ignore"):
            fill = np.nan_to_num(sums[1] / sums[0])
        g = np.asfortranarray(np.where(np.isnan(g), fill, g))
    sums = column_sums(g, null.y)
    n_obs, sum_g, sum_gg, n_cases, case_g = sums
    n_controls = n_obs - n_cases
    with np.errstate(invalid="ignore", divide="ignore"):
        eaf = sum_g / (2.0 * n_obs)
        centred_ss = sum_gg - sum_g * sum_g / n_obs
    m = g.shape[1]
    k = null.k
    beta = np.full(m, np.nan)
    se = np.full(m, np.nan)
    method = empty_strings(m, "firth" if firth == "always" else "logistic")
    reason = empty_strings(m)
    reason[n_obs < k + 2] = "TOO_FEW_OBS"
    reason[(reason == "") & ~(centred_ss > 1e-10)] = "CONST_GENO"
    fit = reason == ""
    if firth == "always":
        to_firth = np.flatnonzero(fit)
    else:
        # an allele absent from all cases or all controls: infinite ML estimate
        tiny = 1e-9
        ctrl_g = sum_g - case_g
        sep = fit & (
            (case_g < tiny)
            | (ctrl_g < tiny)
            | (2 * n_cases - case_g < tiny)
            | (2 * n_controls - ctrl_g < tiny)
        )
        logit_idx = np.flatnonzero(fit & ~sep)
        to_firth = np.flatnonzero(sep)
        if logit_idx.size:
            coef, s, failed = logistic_fit(null, g, logit_idx)
            good = ~failed & np.isfinite(s)
            beta[logit_idx[good]] = coef[good, k]
            se[logit_idx[good]] = s[good]
            to_firth = np.concatenate([to_firth, logit_idx[~good]])
            if firth == "never":
                reason[logit_idx[~good]] = "NO_CONVERGE"
        if firth == "never":
            reason[to_firth[sep[to_firth]]] = "SEPARATION"
            to_firth = np.empty(0, dtype=np.int64)
        method[to_firth] = "firth"
    lrt = np.full(m, np.nan)
    if to_firth.size:
        to_firth = np.sort(to_firth)
        g0, mask = split_missing(g[:, to_firth])
        coef, s, failed = firth_fit(null, g0, mask)
        good = ~failed & np.isfinite(s)
        if firth_se and good.any():
            chi2, lrt_failed = firth_lrt(null, coef[good], g0[:, good], mask[:, good])
            fitted = np.flatnonzero(good)
            good[fitted[lrt_failed]] = False
            lrt[to_firth[fitted[~lrt_failed]]] = chi2[~lrt_failed]
            with np.errstate(divide="ignore", invalid="ignore"):
                s = s.copy()
                s[fitted] = np.abs(coef[fitted, k]) / np.sqrt(chi2)
        beta[to_firth[good]] = coef[good, k]
        se[to_firth[good]] = s[good]
        reason[to_firth[~good]] = "FIRTH_NO_CONVERGE"
    with np.errstate(invalid="ignore", divide="ignore"):
        z = beta / se
    neg_log10_p = neg_log10_p_from_z(z)
    if firth_se:  # the LRT's p, also where beta = 0 (chi2 = 0, SE undefined)
        has_lrt = ~np.isnan(lrt)
        z[has_lrt] = np.sign(beta[has_lrt]) * np.sqrt(lrt[has_lrt])
        neg_log10_p[has_lrt] = neg_log10_p_from_z(np.sqrt(lrt[has_lrt]))
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
