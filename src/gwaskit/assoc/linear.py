"""Linear regression of a quantitative trait on each variant, exact OLS by residualisation.

For every variant the model is ``y = X a + g b + e`` on the samples with a call (missing calls
are dropped per variant, as PLINK 2 does). By Frisch-Waugh-Lovell, ``b = g~'y~ / g~'g~`` with
``~`` the residual after projecting out ``X`` *on the observed samples*. With ``Q`` an
orthonormal basis of ``X`` and ``Q_o`` its rows with a call, the projection uses
``Q_o'Q_o = I - Q_m'Q_m``; its entries for a whole block come out of one matrix product of the
pairwise column products of ``Q`` with the call mask, then small batched solves. The t test
has ``n_obs - k - 1`` degrees of freedom (``k`` covariates with the intercept), as in PLINK 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gwaskit.assoc.design import Design, pair_products, split_missing, unpack_symmetric
from gwaskit.assoc.results import BlockResult, empty_strings, genotype_counts
from gwaskit.stats import neg_log10_p_from_t

#: PLINK 2's --glm default variance-inflation-factor limit.
VIF_LIMIT = 50.0


@dataclass(frozen=True)
class LinearNull:
    """The covariate-only fit, once per phenotype: orthonormal basis and its products."""

    y: np.ndarray  # centred and scaled phenotype
    y_scale: float
    q: np.ndarray  # (n, k) orthonormal basis of the design
    qy: np.ndarray  # (k,)
    qq_pairs: np.ndarray  # (n, k(k+1)/2)
    qy_rows: np.ndarray  # (n, k): q * y

    @property
    def k(self) -> int:
        return int(self.q.shape[1])


def fit_linear_null(design: Design) -> LinearNull:
    """Prepare the per-variant regressions of ``design.y`` on its covariates."""
    q, _ = np.linalg.qr(design.x)
    y = design.y - design.y.mean()
    scale = float(np.sqrt(np.mean(y * y))) or 1.0
    y = y / scale
    return LinearNull(
        y=y,
        y_scale=scale,
        q=np.ascontiguousarray(q),
        qy=q.T @ y,
        qq_pairs=pair_products(q),
        qy_rows=q * y[:, None],
    )


def linear_block(null: LinearNull, g: np.ndarray, *, mean_impute: bool = False) -> BlockResult:
    """OLS of the phenotype on each column of ``g`` ``(n, m)`` (NaN = missing) plus covariates."""
    g0, mask = split_missing(g)
    n_obs, eaf, _, _ = genotype_counts(g0, mask, None)
    if mean_impute:
        with np.errstate(invalid="ignore"):
            fill = np.nan_to_num(2.0 * eaf)
        g0 = np.where(mask > 0, g0, fill)
        mask = np.ones_like(mask)
    y, q, k = null.y, null.q, null.k
    m = g0.shape[1]
    qg = q.T @ g0  # (k, m)
    gg = np.einsum("ij,ij->j", g0, g0)
    gy = y @ g0
    n_full = y.size
    full = n_obs == n_full
    if mean_impute:
        full[:] = True
    gtg = np.empty(m)
    gty = np.empty(m)
    yty = np.empty(m)
    gsum = g0.sum(axis=0)
    # variants with every call: Q'Q = I
    f = np.flatnonzero(full)
    gtg[f] = gg[f] - np.einsum("ij,ij->j", qg[:, f], qg[:, f])
    gty[f] = gy[f] - null.qy @ qg[:, f]
    yty[f] = y @ y - null.qy @ null.qy
    # variants with missing calls: project on the observed rows only
    p = np.flatnonzero(~full)
    if p.size:
        mp = mask[:, p]
        a = unpack_symmetric(null.qq_pairs.T @ mp, k)  # Q_o'Q_o, (mp, k, k)
        qy_o = (null.qy_rows.T @ mp).T  # (mp, k)
        rhs = np.stack([qg[:, p].T, qy_o], axis=2)  # (mp, k, 2)
        sol = np.linalg.solve(a, rhs)
        gtg[p] = gg[p] - np.einsum("vk,vk->v", qg[:, p].T, sol[:, :, 0])
        gty[p] = gy[p] - np.einsum("vk,vk->v", qy_o, sol[:, :, 0])
        yty[p] = (y * y) @ mp - np.einsum("vk,vk->v", qy_o, sol[:, :, 1])
    # genotype variance around its own mean: for the constant and VIF checks
    with np.errstate(invalid="ignore", divide="ignore"):
        centred_ss = gg - gsum * gsum / n_obs
        df = n_obs - k - 1
        beta = gty / gtg
        rss = np.maximum(yty - beta * gty, 0.0)
        se = np.sqrt(rss / df / gtg)
        t = beta / se
    reason = empty_strings(m)
    reason[df < 1] = "TOO_FEW_OBS"
    const = ~(centred_ss > 1e-10 * np.maximum(gg, 1.0))
    vif_high = ~const & ~(gtg * VIF_LIMIT > centred_ss)
    reason[vif_high & (reason == "")] = "VIF_TOO_HIGH"
    reason[const & (reason == "")] = "CONST_GENO"
    bad = reason != ""
    beta = np.where(bad, np.nan, beta * null.y_scale)
    se = np.where(bad, np.nan, se * null.y_scale)
    t = np.where(bad, np.nan, t)
    return BlockResult(
        beta=beta,
        standard_error=se,
        statistic=t,
        neg_log10_p=np.where(bad, np.nan, neg_log10_p_from_t(t, np.maximum(df, 1))),
        n=n_obs,
        method=empty_strings(m, "linear"),
        reason=reason,
        effect_allele_frequency=eaf,
    )
