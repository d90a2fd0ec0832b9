"""Checks of an LD matrix and of z-scores against it, before fine-mapping.

An LD matrix from a reference panel may be not positive semi-definite (rounded, or built from
pairwise-complete genotypes), and summary statistics may count the other allele than the panel
for some variants. Both give confident but wrong credible sets, so they are checked first.

The z-score check follows susieR's ``estimate_s_rss`` and ``kriging_rss`` (Zou Y et al. 2022,
PLoS Genet 18:e1010299, doi:10.1371/journal.pgen.1010299): with ``z ~ N(0, (1-s) R + s I)``,
``s`` (0 = perfectly consistent) is estimated by maximum likelihood over the eigen
decomposition of ``R``; the conditional distribution of each ``z_j`` given the others is
``N(m_j, v_j)`` with ``v_j = 1/P_jj``, ``m_j = z_j - (P z)_j / P_jj`` for the precision
``P = ((1-s) R + s I)^{-1}``. A variant whose sign is flipped fits its neighbours better
with the sign changed: as susieR does, the standardised differences ``(z_j - m_j)/sqrt(v_j)``
are given a scale mixture of normals (standard deviations ``a_max 1.05^-k``, ``a_max`` twice
the largest |difference|, down to 0.8; proportions by maximum likelihood, EM here where susieR
uses mix-SQP) and ``logLR_j = log g(z_j + m_j) - log g(z_j - m_j)`` compares the flipped and
given signs under it (the mixture keeps a strong lone signal, whose z is far from its
neighbours', from looking flipped). A variant is flagged when ``logLR_j > 2`` and
``|z_j| > 2`` (the rule susieR's diagnostic plot highlights) and, since among thousands of
variants a few pass that rule by chance, when ``|z_j - m_j|/sqrt(v_j)`` is also beyond the
two-sided Bonferroni bound at 0.05 over the variants checked (4.1 for 1,000; a flipped variant
in LD with its neighbours lies far beyond it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.linalg import LinAlgError
from scipy.linalg import cholesky
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from gwaskit.errors import ParameterError

_LOG_2PI = float(np.log(2.0 * np.pi))
#: eigenvalues above ``-PSD_TOL`` count as 0 (LD rounded to a few decimals stays acceptable).
PSD_TOL = 1e-3


@dataclass(frozen=True)
class ZLdCheck:
    """Consistency of z-scores with an LD matrix, one entry per variant.

    Attributes
    ----------
    s
        Estimated inconsistency ``s`` in [0, 1].
    conditional_mean, conditional_variance
        ``m_j`` and ``v_j`` of ``z_j`` given the other z-scores.
    z_std_diff
        ``(z_j - m_j) / sqrt(v_j)``.
    log_lr
        Natural-log likelihood ratio of a flipped allele against the given one.
    flagged
        Boolean mask: likely allele switches (``log_lr > 2``, ``|z| > 2`` and ``|z_std_diff|``
        beyond the Bonferroni bound).
    """

    s: float
    conditional_mean: np.ndarray
    conditional_variance: np.ndarray
    z_std_diff: np.ndarray
    log_lr: np.ndarray
    flagged: np.ndarray


#: the z-vs-LD check conditions on at most this many variants (those of largest |z|)
MAX_CHECKED = 500
#: the PSD test covers at most this many variants (those of largest |z|)
MAX_PSD = 1500


def rows_to_check(z: np.ndarray, limit: int) -> np.ndarray | None:
    """The ``limit`` variants of largest ``|z|`` (sorted indices), or None when all fit."""
    z = np.asarray(z)
    if z.size <= limit:
        return None
    return np.sort(np.argsort(-np.abs(z), kind="stable")[:limit])


def check_ld_matrix(
    r: np.ndarray, variant_ids: list[str] | np.ndarray, *, rows: np.ndarray | None = None
) -> None:
    """Check that ``r`` is a symmetric correlation matrix that is positive semi-definite.

    Positive semi-definiteness (all eigenvalues above ``-PSD_TOL``) is tested by a Cholesky
    factorisation of ``R + PSD_TOL I``; only when that fails is the eigendecomposition made,
    to name the variants that load most on the negative eigenvalue in the
    :class:`ParameterError`. With ``rows``, symmetry and positive semi-definiteness are
    tested on that principal block only (a block of a PSD matrix is PSD; the test costs
    O(k^3), so large loci check the block of their strongest variants, see
    :func:`rows_to_check`).
    """
    r = np.asarray(r, dtype=np.float64)
    ids = np.asarray(variant_ids).astype(str)
    p = ids.size
    if r.shape != (p, p):
        raise ParameterError(f"LD matrix must be {p} x {p} like the variants, got {r.shape}.")
    if not np.isfinite(r).all():
        bad = ids[~np.isfinite(r).all(axis=0)][:5]
        raise ParameterError(f"LD matrix has missing or infinite values for {', '.join(bad)}.")
    if rows is not None:
        r = r[np.ix_(rows, rows)]
        ids = ids[rows]
        p = ids.size
    if p and np.abs(r - r.T).max() > 1e-6:
        raise ParameterError("LD matrix is not symmetric.")
    if p and (np.abs(np.diag(r) - 1).max() > 1e-6 or np.abs(r).max() > 1 + 1e-6):
        raise ParameterError("LD matrix must hold correlations: 1 on the diagonal, |r| <= 1.")
    try:
        cholesky(r + PSD_TOL * np.eye(p), lower=True, check_finite=False)
        return
    except LinAlgError:
        pass
    values, vectors = np.linalg.eigh(r)
    if values[0] < -PSD_TOL:
        load = np.argsort(-np.abs(vectors[:, 0]))[:5]
        raise ParameterError(
            f"LD matrix is not positive semi-definite (smallest eigenvalue {values[0]:.3g}); "
            f"the variants loading most on it are {', '.join(ids[load])}. Use an LD matrix "
            "computed from one set of genotypes (not pairwise, not rounded), or drop them."
        )


def _mixture_log_lr(z: np.ndarray, cmean: np.ndarray, cvar: np.ndarray) -> np.ndarray:
    """susieR ``kriging_rss``'s likelihood ratio of a flipped sign under a scale mixture."""
    ok = np.isfinite(cmean) & np.isfinite(cvar) & (cvar > 0)
    out = np.full(z.size, np.nan)
    if not ok.any():
        return out
    sd = np.sqrt(cvar[ok])
    diff, flip = z[ok] - cmean[ok], z[ok] + cmean[ok]
    top = float(np.max((diff / sd) ** 2))
    a_max = 2.0 if top < 1 else 2.0 * np.sqrt(top)
    k = int(np.ceil(np.log2(a_max / 0.8) / np.log2(1.05)))
    grid = 1.05 ** np.arange(-k, 1) * a_max
    scale = sd[:, None] * grid[None, :]

    def loglik(x: np.ndarray) -> np.ndarray:
        return -0.5 * (x[:, None] / scale) ** 2 - np.log(scale) - 0.5 * _LOG_2PI

    l0 = loglik(diff)
    f0 = l0.max(axis=1, keepdims=True)
    lik0 = np.exp(l0 - f0)
    w = np.full(grid.size, 1.0 / grid.size)
    for _ in range(1000):
        post = lik0 * w
        post /= post.sum(axis=1, keepdims=True)
        new = post.mean(axis=0)
        if np.abs(new - w).max() < 1e-8:
            w = new
            break
        w = new
    w = w + 1e-15
    l1 = loglik(flip)
    f1 = l1.max(axis=1, keepdims=True)
    out[ok] = (np.log(np.exp(l1 - f1) @ w) + f1[:, 0]) - (np.log(lik0 @ w) + f0[:, 0])
    return out


def z_ld_consistency(
    z: np.ndarray,
    r: np.ndarray,
    *,
    n: float | None = None,
    r_tol: float = 1e-8,
    max_checked: int = MAX_CHECKED,
) -> ZLdCheck:
    """Check z-scores against the LD matrix (susieR ``estimate_s_rss`` + ``kriging_rss``).

    Parameters
    ----------
    z
        ``(p,)`` z-scores in the LD matrix's allele coding.
    r
        ``(p, p)`` LD (signed correlation) matrix.
    n
        GWAS sample size; when given z is shrunk by ``sqrt((n-1)/(z^2+n-2))`` as in susieR.
    max_checked
        With more variants than this, the check runs on the ``max_checked`` of largest
        ``|z|`` (their z-scores are ``N(0, R_SS)`` under consistency too; variants with small
        ``|z|`` cannot be flagged); the others get NaN and are not flagged. The cost is one
        eigendecomposition of the checked block, O(k^3).
    """
    z_all = np.asarray(z, dtype=np.float64)
    p = z_all.size
    subset = rows_to_check(z_all, max_checked)
    if subset is not None:
        part = z_ld_consistency(
            z_all[subset], np.asarray(r)[np.ix_(subset, subset)], n=n, r_tol=r_tol
        )
        full = []
        for a in (part.conditional_mean, part.conditional_variance, part.z_std_diff, part.log_lr):
            out = np.full(p, np.nan)
            out[subset] = a
            full.append(out)
        flagged = np.zeros(p, dtype=bool)
        flagged[subset] = part.flagged
        return ZLdCheck(part.s, *full, flagged)
    z = z_all
    if n is not None:
        z = z * np.sqrt((n - 1.0) / (z * z + n - 2.0))
    values, vectors = np.linalg.eigh(np.asarray(r, dtype=np.float64))
    values = np.where(values < r_tol, 0.0, values)
    ztv2 = (vectors.T @ z) ** 2

    def nll(s: float) -> float:
        d = (1.0 - s) * values + s
        with np.errstate(divide="ignore"):
            return float(0.5 * np.sum(np.log(d)) + 0.5 * np.sum(ztv2 / d))

    s = float(minimize_scalar(nll, bounds=(0.0, 1.0), method="bounded").x)
    d = (1.0 - s) * values + s
    with np.errstate(divide="ignore"):
        dinv = np.where(d > 0, 1.0 / d, 0.0)
    pz = vectors @ (dinv * (vectors.T @ z))
    pdiag = np.einsum("ij,j,ij->i", vectors, dinv, vectors)
    with np.errstate(divide="ignore", invalid="ignore"):
        cvar = 1.0 / pdiag
        cmean = z - pz / pdiag
        std_diff = (z - cmean) / np.sqrt(cvar)
    log_lr = _mixture_log_lr(z, cmean, cvar)
    bound = float(norm.isf(0.025 / max(z.size, 1)))
    flagged = (log_lr > 2.0) & (np.abs(z) > 2.0) & (np.abs(std_diff) > bound)
    return ZLdCheck(s, cmean, cvar, std_diff, log_lr, flagged)
