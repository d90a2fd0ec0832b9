"""Per-variant results of an association block: the arrays every model returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Why a variant has no estimate (``""`` when it has one). Never a silent drop.
REASONS = {
    "CONST_GENO": "the genotype is constant among the analysed samples",
    "TOO_FEW_OBS": "fewer samples with a call than parameters + 1",
    "VIF_TOO_HIGH": "the genotype is (nearly) collinear with the covariates (VIF > 50)",
    "SEPARATION": "cases or controls carry no copy of one allele (and no Firth fallback)",
    "NO_CONVERGE": "the regression did not converge",
    "FIRTH_NO_CONVERGE": "the Firth regression did not converge",
}


@dataclass(frozen=True)
class BlockResult:
    """Association results for a block of ``m`` variants.

    All arrays have shape ``(m,)``. ``beta`` is per copy of the effect allele (log odds ratio
    for binary traits); ``statistic`` is the t (linear) or z statistic; ``neg_log10_p`` is the
    two-sided -log10 p computed in log space; ``method`` names the model that produced the row
    (``linear``, ``logistic``, ``firth``, ``score``, ``score-spa``, ``trend``); ``reason`` is
    ``""`` or a code of :data:`REASONS`, with NaN estimates. ``n`` counts the samples with a
    call; ``n_cases``/``n_controls`` split it for a binary trait.
    """

    beta: np.ndarray
    standard_error: np.ndarray
    statistic: np.ndarray
    neg_log10_p: np.ndarray
    n: np.ndarray
    method: np.ndarray
    reason: np.ndarray
    effect_allele_frequency: np.ndarray
    n_cases: np.ndarray | None = None
    n_controls: np.ndarray | None = None
    #: Imputation quality and HWE of the block's dosages (:mod:`gwaskit.assoc.imputation`),
    #: set by the scan; the statistical kernels leave them None.
    mach_r2: np.ndarray | None = None
    info: np.ndarray | None = None
    hwe_neg_log10_p: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.beta.size)


def empty_strings(m: int, value: str = "") -> np.ndarray:
    return np.full(m, value, dtype=object)


def genotype_counts(
    g0: np.ndarray, mask: np.ndarray, y: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Observed n, effect-allele frequency and (binary y) case/control counts per variant.

    ``g0`` has missing calls set to 0 and ``mask`` is 1 where a call exists, both
    ``(n_samples, m)`` float64.
    """
    n_obs = mask.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        eaf = g0.sum(axis=0) / (2.0 * n_obs)
    if y is None:
        return n_obs, eaf, None, None
    cases = y @ mask
    return n_obs, eaf, cases, n_obs - cases
