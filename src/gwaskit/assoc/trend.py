"""Covariate-free tests of a binary trait: Cochran-Armitage trend and allelic odds ratio.

The Cochran-Armitage trend statistic for additive dosages is ``N r^2`` with ``r`` the Pearson
correlation of dosage and case status over the ``N`` samples with a call (Sasieni 1997,
doi:10.2307/2533554), a 1-df chi-square. ``beta`` is the allelic log odds ratio from the
effect/other allele counts in cases and controls, with Woolf's standard error.
"""

from __future__ import annotations

import numpy as np

from gwaskit.assoc.design import split_missing
from gwaskit.assoc.results import BlockResult, empty_strings, genotype_counts
from gwaskit.stats import neg_log10_p_from_chi2


def trend_block(y: np.ndarray, g: np.ndarray) -> BlockResult:
    """Trend tests of 0/1 ``y`` ``(n,)`` on each column of dosages ``g`` ``(n, m)``."""
    g0, mask = split_missing(g)
    n_obs, eaf, n_cases, n_controls = genotype_counts(g0, mask, y)
    m = g0.shape[1]
    sum_g = g0.sum(0)
    sum_gg = (g0 * g0).sum(0)
    sum_gy = y @ g0
    with np.errstate(invalid="ignore", divide="ignore"):
        sxy = sum_gy - sum_g * n_cases / n_obs
        sxx = sum_gg - sum_g * sum_g / n_obs
        syy = n_cases - n_cases * n_cases / n_obs
        r2 = sxy * sxy / (sxx * syy)
        chi2 = n_obs * r2
        a = sum_gy  # effect alleles in cases
        b = 2 * n_cases - a
        c = sum_g - sum_gy  # in controls
        d = 2 * n_controls - c
        beta = np.log(a * d / (b * c))
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    reason = empty_strings(m)
    reason[~(sxx > 1e-10)] = "CONST_GENO"
    reason[(reason == "") & ((n_cases < 1) | (n_controls < 1))] = "TOO_FEW_OBS"
    bad = reason != ""
    chi2 = np.where(bad, np.nan, chi2)
    z = np.sign(sxy) * np.sqrt(chi2)
    return BlockResult(
        beta=np.where(bad | ~np.isfinite(beta), np.nan, beta),
        standard_error=np.where(bad | ~np.isfinite(se), np.nan, se),
        statistic=z,
        neg_log10_p=neg_log10_p_from_chi2(chi2),
        n=n_obs,
        method=empty_strings(m, "trend"),
        reason=reason,
        effect_allele_frequency=eaf,
        n_cases=n_cases,
        n_controls=n_controls,
    )


def allelic_block(y: np.ndarray, g: np.ndarray) -> BlockResult:
    """Allelic chi-square tests (PLINK 1 ``--assoc``): Pearson's 1-df chi-square on the 2 x 2
    table of effect/other allele counts in cases and controls, with the allelic odds ratio.
    """
    g0, mask = split_missing(g)
    n_obs, eaf, n_cases, n_controls = genotype_counts(g0, mask, y)
    m = g0.shape[1]
    a = y @ g0  # effect alleles in cases
    b = 2 * n_cases - a
    c = g0.sum(0) - a
    d = 2 * n_controls - c
    total = a + b + c + d
    with np.errstate(invalid="ignore", divide="ignore"):
        chi2 = total * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
        beta = np.log(a * d / (b * c))
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    reason = empty_strings(m)
    reason[~((a + c > 0) & (b + d > 0))] = "CONST_GENO"
    reason[(reason == "") & ((n_cases < 1) | (n_controls < 1))] = "TOO_FEW_OBS"
    bad = reason != ""
    chi2 = np.where(bad, np.nan, chi2)
    return BlockResult(
        beta=np.where(bad | ~np.isfinite(beta), np.nan, beta),
        standard_error=np.where(bad | ~np.isfinite(se), np.nan, se),
        statistic=np.sign(a * d - b * c) * np.sqrt(chi2),
        neg_log10_p=neg_log10_p_from_chi2(chi2),
        n=n_obs,
        method=empty_strings(m, "allelic"),
        reason=reason,
        effect_allele_frequency=eaf,
        n_cases=n_cases,
        n_controls=n_controls,
    )
