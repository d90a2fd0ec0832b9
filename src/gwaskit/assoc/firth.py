"""Firth-penalised logistic regression of a binary trait on each variant, batched over a block
(the fallback of :func:`gwaskit.assoc.logistic.logistic_block`, or every variant with
``test="firth"``).

Firth 1993 (doi:10.1093/biomet/80.1.27), Heinze & Schemper 2002 (doi:10.1002/sim.1047): the
likelihood penalised by Jeffreys' prior, with the modified score ``U* = Z'(y - p + h (1/2 - p))``
(``h`` the hat-matrix diagonal); as in plink2 (a port of ``logistf`` with ``pl=FALSE``) steps are
capped at 5, the test is Wald's and the standard error is from the inverse information
``(Z' diag(w) Z)^-1`` at the estimate. Per-variant information matrices come from the pairwise
products of the covariate columns (:func:`gwaskit.assoc.design.pair_products`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from gwaskit.assoc.design import unpack_symmetric

if TYPE_CHECKING:
    from gwaskit.assoc.logistic import LogisticNull

FIRTH_MAX_ITER = 60
TOL = 1e-8  # Firth: largest step at convergence


def _information(null: LogisticNull, g0: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-variant ``Z' diag(w) Z`` for ``Z = [X, g]``: ``(m, k+1, k+1)``."""
    k = null.k
    m = g0.shape[1]
    info = np.empty((m, k + 1, k + 1))
    info[:, :k, :k] = unpack_symmetric(null.pairs.T @ w, k)
    wg = w * g0
    xg = (null.x.T @ wg).T  # (m, k)
    info[:, :k, k] = xg
    info[:, k, :k] = xg
    info[:, k, k] = np.einsum("ij,ij->j", wg, g0)
    return info


def _eta(null: LogisticNull, coef: np.ndarray, g0: np.ndarray) -> np.ndarray:
    """Linear predictor ``(n, m)`` for per-variant coefficients ``coef`` ``(m, k+1)``."""
    k = null.k
    return null.x @ coef[:, :k].T + g0 * coef[:, k]


def _solve_many(info: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched solve with matrix right-hand sides ``(m, p, r)``; flags singular systems."""
    try:
        return np.linalg.solve(info, rhs), np.zeros(len(info), dtype=bool)
    except np.linalg.LinAlgError:
        out = np.full(rhs.shape, np.nan)
        bad = np.zeros(len(info), dtype=bool)
        for i in range(len(info)):  # rare: only when one system of the block is singular
            try:
                out[i] = np.linalg.solve(info[i], rhs[i])
            except np.linalg.LinAlgError:
                bad[i] = True
        return out, bad


def _genotype_se(null: LogisticNull, coef: np.ndarray, g0: np.ndarray, mask: np.ndarray):
    p = expit(_eta(null, coef, g0))
    info = _information(null, g0, p * (1 - p) * mask)
    k = null.k
    unit = np.zeros((len(info), k + 1))
    unit[:, k] = 1.0
    col, singular = _solve_many(info, unit[..., None])
    col = col[..., 0]
    with np.errstate(invalid="ignore"):
        return np.where(singular | (col[:, k] <= 0), np.nan, np.sqrt(col[:, k]))


def firth_fit(
    null: LogisticNull, g0: np.ndarray, mask: np.ndarray, *, fixed_genotype: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Firth-penalised fits of ``[X, g_v]`` for each column; as :func:`logistic_fit`.

    Fisher-scoring steps on the modified score (capped at 5, as logistf and plink2), halved
    while they lower the penalised log-likelihood ``l(b) + log|I(b)|/2``. With
    ``fixed_genotype`` the genotype coefficient stays 0 and only the covariates' are fitted,
    the penalty still that of the full model ``[X, g_v]`` (logistf's restricted fit, the null
    model of the penalised likelihood-ratio test).
    """
    k = null.k
    m = g0.shape[1]
    coef = np.zeros((m, k + 1))
    coef[:, :k] = null.coef
    last = coef.copy()  # the last accepted point
    last_pll = np.full(m, -np.inf)
    last_step = np.zeros((m, k + 1))
    halvings = np.zeros(m, dtype=np.int64)
    se = np.full(m, np.nan)
    done = np.zeros(m, dtype=bool)
    y = null.y[:, None]
    active = np.arange(m)
    for _ in range(FIRTH_MAX_ITER * 4):
        if active.size == 0:
            break
        ga, ma, ca = g0[:, active], mask[:, active], coef[active]
        eta = _eta(null, ca, ga)
        p = expit(eta)
        w = p * (1 - p) * ma
        info = _information(null, ga, w)
        sign, logdet = np.linalg.slogdet(info)
        loglik = ((y * eta - np.logaddexp(0.0, eta)) * ma).sum(axis=0)
        pll = np.where(sign > 0, loglik + 0.5 * logdet, -np.inf)
        worse = (pll < last_pll[active] - 1e-9 * np.abs(last_pll[active])) & (halvings[active] < 25)
        if np.any(worse):  # halve those steps and evaluate again
            idx = active[worse]
            coef[idx] = 0.5 * (coef[idx] + last[idx])
            halvings[idx] += 1
        accept = ~worse
        idx = active[accept]
        halvings[idx] = 0
        last_pll[idx] = pll[accept]
        last[idx] = ca[accept]
        if idx.size:
            ga, ma, ca, p, w, info = (
                ga[:, accept],
                ma[:, accept],
                ca[accept],
                p[:, accept],
                w[:, accept],
                info[accept],
            )
            try:
                inv = np.linalg.inv(info)
            except np.linalg.LinAlgError:
                inv = np.stack([np.linalg.pinv(a) for a in info])
            h = w * _quadratic_form(null, ga, inv)
            u = (y - p + h * (0.5 - p)) * ma
            grad = np.empty((idx.size, k + 1))
            grad[:, :k] = (null.x.T @ u).T
            grad[:, k] = np.einsum("ij,ij->j", ga, u)
            if fixed_genotype:
                step = np.zeros_like(grad)
                step[:, :k] = np.linalg.solve(info[:, :k, :k], grad[:, :k, None])[..., 0]
            else:
                step = np.einsum("vab,vb->va", inv, grad)
            # a step against the last one: Fisher scoring on the modified score can settle into
            # a 2-cycle around the optimum (e.g. a singleton, one carrier); half a step ends it
            reverse = np.einsum("va,va->v", step, last_step[idx]) < 0
            step[reverse] *= 0.5
            biggest = np.abs(step).max(axis=1)
            step *= np.minimum(1.0, 5.0 / np.maximum(biggest, 1e-300))[:, None]
            last_step[idx] = step
            coef[idx] = ca + step
            converged = biggest < TOL
            bad = ~np.isfinite(biggest)
            coef[idx[converged]] = ca[converged]
            done[idx[converged]] = True
            finished = np.zeros(active.size, dtype=bool)
            finished[np.flatnonzero(accept)[converged | bad]] = True
            active = active[~finished]
    ok = np.flatnonzero(done)
    if ok.size and not fixed_genotype:
        se[ok] = _genotype_se(null, coef[ok], g0[:, ok], mask[:, ok])
    return coef, se, ~done


def penalised_loglik(
    null: LogisticNull, coef: np.ndarray, g0: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """Firth's penalised log-likelihood ``l(b) + log|I(b)|/2`` of ``[X, g_v]`` at per-variant
    coefficients ``coef`` ``(m, k+1)`` (``-inf`` where the information is not positive
    definite)."""
    eta = _eta(null, coef, g0)
    p = expit(eta)
    sign, logdet = np.linalg.slogdet(_information(null, g0, p * (1 - p) * mask))
    loglik = ((null.y[:, None] * eta - np.logaddexp(0.0, eta)) * mask).sum(axis=0)
    return np.where(sign > 0, loglik + 0.5 * logdet, -np.inf)


def firth_lrt(
    null: LogisticNull, coef: np.ndarray, g0: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The penalised likelihood-ratio test of the genotype at Firth estimates ``coef``
    ``(m, k+1)`` (Heinze and Schemper 2002; REGENIE's Firth test): ``2 (pl(b) - pl(b0))`` with
    ``b0`` the restricted fit (genotype coefficient 0, the full model's penalty); returns the
    chi-square (1 df, >= 0) and a flag of restricted fits that did not converge."""
    coef0, _, failed = firth_fit(null, g0, mask, fixed_genotype=True)
    full = penalised_loglik(null, coef, g0, mask)
    restricted = penalised_loglik(null, coef0, g0, mask)
    with np.errstate(invalid="ignore"):
        chi2 = np.maximum(2.0 * (full - restricted), 0.0)
    return chi2, failed | ~np.isfinite(chi2)


def _quadratic_form(null: LogisticNull, g0: np.ndarray, inv: np.ndarray) -> np.ndarray:
    """``z_i' A_v z_i`` for every sample i and variant v, ``z = [x, g_v]``: ``(n, m)``."""
    k = null.k
    ia, ib = np.triu_indices(k)
    weights = inv[:, ia, ib] * np.where(ia == ib, 1.0, 2.0)  # (m, pairs)
    out = null.pairs @ weights.T
    out += 2.0 * g0 * (null.x @ inv[:, :k, k].T)
    out += g0 * g0 * inv[:, k, k]
    return out
