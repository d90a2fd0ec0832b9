"""Per-variant linear regression of an offset-adjusted phenotype (WGR step 2, arrays).

The covariates are projected out of the genotypes; the phenotype ``y`` is used as given (the
caller decides whether the LOCO offset is projected too: REGENIE re-projects it, sgkit's
``regenie_loco_regression`` and Glow do not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gwaskit.stats import neg_log10_p_from_t


@dataclass(frozen=True)
class OffsetLinearResult:
    """``(m,)`` arrays: effect, standard error, t statistic, -log10 p (two-sided)."""

    beta: np.ndarray
    se: np.ndarray
    t: np.ndarray
    neg_log10_p: np.ndarray


def offset_linear_regression(
    g: np.ndarray, q: np.ndarray, y: np.ndarray, *, dof: int
) -> OffsetLinearResult:
    """Regress ``y`` ``(n,)`` on each column of ``g`` ``(n, m)`` with ``g`` residualised on the
    orthonormal covariate basis ``q`` ``(n, k)``: ``beta = g~'y / g~'g~``,
    ``se^2 = sum (y - g~ beta)^2 / dof / g~'g~``, t with ``dof`` degrees of freedom."""
    gt = g - q @ (q.T @ g)
    gg = np.einsum("ij,ij->j", gt, gt)
    gy = gt.T @ y
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = gy / gg
        rss = y @ y - 2 * beta * gy + beta**2 * gg
        se = np.sqrt(rss / dof / gg)
        t = beta / se
    return OffsetLinearResult(beta, se, t, neg_log10_p_from_t(t, dof))
