"""Linear regression of a quantitative trait on each variant, exact OLS by residualisation.

For every variant the model is ``y = X a + g b + e`` on the samples with a call (missing calls
are dropped per variant, as PLINK 2 does). By Frisch-Waugh-Lovell, ``b = g~'y~ / g~'g~`` with
``~`` the residual after projecting out ``X`` *on the observed samples*. With ``Q`` an
orthonormal basis of ``X`` and ``Q_o`` its rows with a call, the projection uses
``Q_o'Q_o = I - Q_m'Q_m``: a low-rank correction over the few samples without a call,
accumulated in one compiled pass per variant, then small batched solves. The t test
has ``n_obs - k - 1`` degrees of freedom (``k`` covariates with the intercept), as in PLINK 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np

from gwaskit.assoc.design import Design
from gwaskit.assoc.results import BlockResult, empty_strings
from gwaskit.stats import neg_log10_p_from_t

#: PLINK 2's --glm default variance-inflation-factor limit.
VIF_LIMIT = 50.0
#: Variants zero-filled and multiplied at a time (the float64 chunk stays in cache).
CHUNK = 64


@dataclass(frozen=True)
class LinearNull:
    """The covariate-only fit, once per phenotype: orthonormal basis and its products."""

    y: np.ndarray  # centred and scaled phenotype
    y_scale: float
    q: np.ndarray  # (n, k) orthonormal basis of the design
    qy: np.ndarray  # (k,)

    @property
    def k(self) -> int:
        return int(self.q.shape[1])

    @cached_property
    def left(self) -> np.ndarray:
        """``[Q, y]'`` ``(k+1, n)``, C-ordered, once per phenotype rather than per block."""
        return np.ascontiguousarray(np.column_stack([self.q, self.y]).T)


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
    )


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz", "arcp"})
def _missing_kernel(g, q, y, qy, yy, g0, a, qy_o, yy_o, stats):  # pragma: no cover
    """Per variant: zero-filled dosages, call counts and sums (one branch-free pass, which the
    compiler vectorises; the sums are of small integers or dosages, exact or reassociated),
    then, only for a variant with a missing call, the low-rank correction of ``Q'Q = I``,
    ``Q'y`` and ``y'y`` for the samples without a call."""
    n, m = g.shape
    k = q.shape[1]
    rows = np.empty((n, k + 1))
    for j in range(m):
        count = 0.0
        total = 0.0
        squares = 0.0
        for i in range(n):
            x = np.float64(g[i, j])
            ok = x == x
            v = x if ok else 0.0
            g0[i, j] = v
            count += 1.0 if ok else 0.0
            total += v
            squares += v * v
        stats[0, j] = count
        stats[1, j] = total
        stats[2, j] = squares
        for u in range(k):
            for v in range(k):
                a[j, u, v] = 1.0 if u == v else 0.0
            qy_o[j, u] = qy[u]
        yy_o[j] = yy
        if count == n:
            continue
        # Q_m'Q_m, Q_m'y_m and y_m'y_m of the samples without a call: their rows gathered,
        # then one small matrix product
        nm = 0
        for i in range(n):
            x = g[i, j]
            if x != x:
                rows[nm, :k] = q[i]
                rows[nm, k] = y[i]
                nm += 1
        part = rows[:nm]
        prod = np.dot(part.T, part)  # (k+1, k+1)
        for u in range(k):
            qy_o[j, u] -= prod[u, k]
            for v in range(k):
                a[j, u, v] -= prod[u, v]
        yy_o[j] -= prod[k, k]


def linear_block(null: LinearNull, g: np.ndarray, *, mean_impute: bool = False) -> BlockResult:
    """OLS of the phenotype on each column of ``g`` ``(n, m)`` (NaN = missing) plus covariates."""
    g = np.asfortranarray(g)
    y, q, k = null.y, null.q, null.k
    n, m = g.shape
    if mean_impute:  # the mean of the calls, so the frequency is unchanged
        with np.errstate(invalid="ignore", divide="ignore"):
            fill = np.nan_to_num(np.nanmean(g, axis=0))
        g = np.asfortranarray(np.where(np.isnan(g), fill, g))
    a = np.empty((m, k, k))
    qy_o = np.empty((m, k))
    yy_o = np.empty(m)
    sums = np.empty((3, m))
    yy = float(y @ y)
    # zero-filled float64 dosages chunk by chunk into one buffer that stays in cache for the
    # product, instead of a float64 copy of the block (page-faulted in again at every block)
    prod = np.empty((k + 1, m))  # Q'g (k rows) and y'g (last row)
    buf = np.empty((n, min(CHUNK, m)), order="F")
    for start in range(0, m, CHUNK):
        stop = min(start + CHUNK, m)
        g0 = buf[:, : stop - start]
        _missing_kernel(
            g[:, start:stop],
            q,
            y,
            null.qy,
            yy,
            g0,
            a[start:stop],
            qy_o[start:stop],
            yy_o[start:stop],
            sums[:, start:stop],
        )
        np.matmul(null.left, g0, out=prod[:, start:stop])
    n_obs, gsum, gg = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        eaf = gsum / (2.0 * n_obs)
    qg, gy = prod[:k], prod[k]
    gtg = np.empty(m)
    gty = np.empty(m)
    yty = np.empty(m)
    full = n_obs == n
    # variants with every call: Q'Q = I
    f = np.flatnonzero(full)
    gtg[f] = gg[f] - np.einsum("ij,ij->j", qg[:, f], qg[:, f])
    gty[f] = gy[f] - null.qy @ qg[:, f]
    yty[f] = yy - null.qy @ null.qy
    # variants with missing calls: project on the observed rows only
    p = np.flatnonzero(~full)
    if p.size:
        qy_p = qy_o[p]
        rhs = np.stack([qg[:, p].T, qy_p], axis=2)  # (mp, k, 2)
        sol = np.linalg.solve(a[p], rhs)
        gtg[p] = gg[p] - np.einsum("vk,vk->v", qg[:, p].T, sol[:, :, 0])
        gty[p] = gy[p] - np.einsum("vk,vk->v", qy_p, sol[:, :, 0])
        yty[p] = yy_o[p] - np.einsum("vk,vk->v", qy_p, sol[:, :, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        # genotype sum of squares around its own mean: for the constant and VIF checks
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
