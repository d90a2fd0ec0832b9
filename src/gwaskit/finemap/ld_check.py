"""Checks of an LD matrix and of z-scores against it, before fine-mapping.

An LD matrix from a reference panel may be not positive semi-definite (rounded, or built from
pairwise-complete genotypes), and summary statistics may count the other allele than the panel
for some variants. Both give confident but wrong credible sets, so they are checked first.

The z-score check follows susieR's ``estimate_s_rss`` and ``kriging_rss`` (Zou Y et al. 2022,
PLoS Genet 18:e1010299, doi:10.1371/journal.pgen.1010299): with ``z ~ N(0, (1-s) R + s I)``,
``s`` (0 = perfectly consistent) is estimated by maximum likelihood over the eigen
decomposition of ``R``; the conditional distribution of each ``z_j`` given the others is
``N(m_j, v_j)`` with ``v_j = 1/P_jj``, ``m_j = z_j - (P z)_j / P_jj`` for the precision
``P = ((1-s) R + s I)^{-1}``. A variant whose sign is flipped fits its neighbours better:
``logLR_j = log N(-z_j; m_j, v_j) - log N(z_j; m_j, v_j) = -2 z_j m_j / v_j``. It is flagged
when ``logLR_j > 2`` and ``|z_j| > 2`` (the rule susieR's diagnostic plot highlights).
susieR weighs the standardised differences with a fitted normal mixture; here a single normal
is used, which flags the same clear allele switches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from gwaskit.errors import ParameterError

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
        Boolean mask: likely allele switches (``log_lr > 2`` and ``|z| > 2``).
    """

    s: float
    conditional_mean: np.ndarray
    conditional_variance: np.ndarray
    z_std_diff: np.ndarray
    log_lr: np.ndarray
    flagged: np.ndarray


def _eigen(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(r)
    return values, vectors


def check_ld_matrix(r: np.ndarray, variant_ids: list[str] | np.ndarray) -> np.ndarray:
    """Check that ``r`` is a symmetric correlation matrix that is positive semi-definite.

    Returns its eigenvalues (ascending) for reuse. Raises :class:`ParameterError` naming the
    variants that load most on a negative eigenvalue.
    """
    r = np.asarray(r, dtype=np.float64)
    ids = np.asarray(variant_ids).astype(str)
    p = ids.size
    if r.shape != (p, p):
        raise ParameterError(f"LD matrix must be {p} x {p} like the variants, got {r.shape}.")
    if not np.all(np.isfinite(r)):
        bad = ids[~np.isfinite(r).all(axis=0)][:5]
        raise ParameterError(f"LD matrix has missing or infinite values for {', '.join(bad)}.")
    if np.abs(r - r.T).max() > 1e-6:
        raise ParameterError("LD matrix is not symmetric.")
    if np.abs(np.diag(r) - 1).max() > 1e-6 or np.abs(r).max() > 1 + 1e-6:
        raise ParameterError("LD matrix must hold correlations: 1 on the diagonal, |r| <= 1.")
    values, vectors = _eigen(r)
    if values[0] < -PSD_TOL:
        load = np.argsort(-np.abs(vectors[:, 0]))[:5]
        raise ParameterError(
            f"LD matrix is not positive semi-definite (smallest eigenvalue {values[0]:.3g}); "
            f"the variants loading most on it are {', '.join(ids[load])}. Use an LD matrix "
            "computed from one set of genotypes (not pairwise, not rounded), or drop them."
        )
    return values


def z_ld_consistency(
    z: np.ndarray, r: np.ndarray, *, n: float | None = None, r_tol: float = 1e-8
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
    """
    z = np.asarray(z, dtype=np.float64)
    if n is not None:
        z = z * np.sqrt((n - 1.0) / (z * z + n - 2.0))
    values, vectors = _eigen(np.asarray(r, dtype=np.float64))
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
        log_lr = -2.0 * z * cmean / cvar
    flagged = (log_lr > 2.0) & (np.abs(z) > 2.0)
    return ZLdCheck(s, cmean, cvar, std_diff, log_lr, flagged)
