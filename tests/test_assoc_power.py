"""Planted loci are found at genome-wide significance with the power theory expects.

One simulated case/control cohort (msprime, liability threshold at prevalence 1/7, 1:1
ascertainment) with planted odds ratios; the logistic Wald scan adjusted for sex and age. For each
planted variant the expected 1-df non-centrality is ``n * phi * (1 - phi) * 2p(1 - p) * log(OR)^2``
(case fraction ``phi``; the usual approximation for an additive log-odds effect), so the expected
power at 5e-8 follows from the non-central chi-square. Checks: every variant with power above 99%
is found; the observed chi-squares sum to the expected non-centrality within a band of 5 SD of
their sum (the variance of a 1-df non-central chi-square is 2 + 4 ncp).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from gwaskit.assoc.scan import ScanOptions, run_scan
from gwaskit.simulate import CohortSpec, ConsortiumSpec, simulate_consortium, write_consortium
from gwaskit.stats import chi2_from_neg_log10_p

GENOME_WIDE = 5e-8


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("power")
    spec = ConsortiumSpec(
        cohorts=(CohortSpec("c1", 6000, missing_rate=0.005),),
        n_variants=4000,
        n_chromosomes=2,
        odds_ratios=(1.5, 1.4, 1.25, 1.12),
        causal_maf=(0.2, 0.5),
        two_signal_odds_ratios=None,
        subpop_shift=0.0,
    )
    consortium = simulate_consortium(spec, seed=11, progress=False)
    paths = write_consortium(consortium, folder)
    result = run_scan(
        paths.genotypes["c1"],
        paths.phenotypes["c1"],
        covar=paths.covariates["c1"],
        covar_names=["sex", "age"],
        options=ScanOptions(model="logistic", test="wald"),
        progress=False,
    )
    cohort = consortium.cohorts[0]
    phi = cohort.n_cases / cohort.n_samples
    return result.sumstats, consortium.truth, cohort.n_samples, phi


def test_planted_loci__found_with_expected_power(scan):
    table, truth, n, phi = scan
    merged = truth.join(
        table.select("variant_id", "neg_log_10_p_value"), on="variant_id", how="inner"
    )
    assert merged.height == truth.height  # every planted variant was tested
    p = merged["effect_allele_frequency"].to_numpy()
    ncp = n * phi * (1 - phi) * 2 * p * (1 - p) * np.log(merged["odds_ratio"].to_numpy()) ** 2
    threshold = sps.chi2.isf(GENOME_WIDE, 1)
    power = sps.ncx2.sf(threshold, 1, ncp)
    found = merged["neg_log_10_p_value"].to_numpy() > -np.log10(GENOME_WIDE)
    assert (power > 0.99).sum() >= 2  # the design has well-powered loci, so the check bites
    assert (power < 0.5).sum() >= 1  # and an under-powered one
    assert found[power > 0.99].all(), merged.with_columns(pl.Series("power", power))
    observed = chi2_from_neg_log10_p(merged["neg_log_10_p_value"].to_numpy())
    expected = float(np.sum(1 + ncp))
    spread = 5 * float(np.sqrt(np.sum(2 + 4 * ncp)))
    assert abs(observed.sum() - expected) < spread, (observed, 1 + ncp)
    # the expected number of discoveries matches the observed one within its binomial spread
    assert abs(found.sum() - power.sum()) <= 3 * np.sqrt(np.sum(power * (1 - power))) + 1
