"""Families in two demes: the plain scan is inflated by relatives, WGR's LOCO scan is not.

1,600 samples (400 extended families of 2 sibling pairs who are first cousins, half in each
deme) x 12,000 unlinked variants on 5 chromosomes; polygenic trait (h2 0.5 over 1,000 variants)
plus 10 planted loci of 1% variance each and a 0.5 SD deme shift. Every scan has the deme as
covariate (as PCs would be): the plain scan on all samples is then inflated by the relatives
alone, which WGR's LOCO offsets remove. Over seeds 0-3 WGR's null lambda GC was 1.002, 0.966,
1.003, 1.010 (its sampling SD on 10,990 null variants is ~0.02); the test uses seed 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from gwaskit.assoc.design import make_design
from gwaskit.assoc.logistic import fit_logistic_null
from gwaskit.assoc.score import score_block
from gwaskit.simulate.families import simulate_families
from gwaskit.stats import lambda_gc
from gwaskit.wgr.arrays import block_starts, level1, wgr_arrays
from gwaskit.wgr.linear import offset_linear_regression
from gwaskit.wgr.ridge import sample_folds
from gwaskit.wgr.step2 import fit_offset_logistic_null


@pytest.fixture(scope="module")
def cohort():
    return simulate_families(n_families=400, n_variants=12_000, seed=0)


def test_simulate_families__kinship(cohort) -> None:
    """Siblings share half their genome, first cousins an eighth (genotype correlation)."""
    z = cohort.genotypes.astype(float)
    for d in (0, 1):  # standardised within each deme: the correlation of relatives alone
        rows = cohort.deme == d
        z[rows] = (z[rows] - z[rows].mean(axis=0)) / z[rows].std(axis=0)
    order = np.lexsort((cohort.member, cohort.family))
    fams = z[order].reshape(400, 4, -1)
    assert (np.bincount(cohort.family) == 4).all() and cohort.unrelated.sum() == 400
    corr = np.einsum("fim,fjm->fij", fams, fams) / z.shape[1]
    sibs = np.concatenate([corr[:, 0, 1], corr[:, 2, 3]])
    cousins = corr[:, 0:2, 2:4].reshape(-1)
    assert sibs.size == 800 and cousins.size == 1600
    assert abs(sibs.mean() - 0.5) < 0.02
    assert abs(cousins.mean() - 0.125) < 0.02


@pytest.fixture(scope="module")
def fitted(cohort):
    """Level 0 once for the quantitative trait and a binary one (its top 30%), level 1 per
    trait (ridge; ridge-penalised logistic with the covariate-only logit as offset)."""
    g = cohort.genotypes.astype(np.float64)
    n = g.shape[0]
    binary = (cohort.phenotype > np.quantile(cohort.phenotype, 0.7)).astype(float)
    folds = sample_folds(n, 5)
    deme = cohort.deme[:, None].astype(float)
    with threadpool_limits(limits=1):  # small matrices: threads only contend
        pred0, fit = wgr_arrays(
            g,
            np.column_stack([cohort.phenotype, binary]),
            cohort.chromosomes,
            covariates=deme,
            block_size=200,
            folds=folds,
        )
        design = make_design(binary, deme, binary=True)
        null = fit_logistic_null(design)
        starts = block_starts(cohort.chromosomes, 200)
        fit_binary = level1(
            pred0[..., 1:],
            binary[:, None],
            folds,
            cohort.chromosomes[starts],
            binary=np.array([True]),
            offsets=(design.x @ null.coef)[:, None],
        )
    return g, fit, binary, design, null, fit_binary


def test_wgr__families_null_calibrated_and_power(cohort, fitted) -> None:
    g, fit, *_ = fitted
    y = cohort.phenotype
    n, m = g.shape
    null = np.ones(m, dtype=bool)
    null[cohort.causal] = False
    assert null.sum() == 10_990  # 1,000 polygenic + 10 planted causal variants
    x = np.column_stack([np.ones(n), cohort.deme])
    q = np.linalg.qr(x)[0]
    resid = y - q @ (q.T @ y)
    plain = offset_linear_regression(g, q, resid, dof=n - 3).neg_log10_p
    u = cohort.unrelated
    qu = np.linalg.qr(x[u])[0]
    unrelated = offset_linear_regression(
        g[u], qu, y[u] - qu @ (qu.T @ y[u]), dof=int(u.sum()) - 3
    ).neg_log10_p
    ys = resid / resid.std()
    wgr = np.empty(m)
    for i, chrom in enumerate(fit.contigs):
        on = cohort.chromosomes == chrom
        r = ys - fit.loco[i, :, 0]
        wgr[on] = offset_linear_regression(g[:, on], q, r - q @ (q.T @ r), dof=n - 3).neg_log10_p
    lam_plain, lam_wgr = lambda_gc(plain[null]), lambda_gc(wgr[null])
    assert lam_plain > 1.15  # measured 1.214
    assert 0.98 <= lam_wgr <= 1.05  # measured 1.002
    assert 0.95 <= lambda_gc(unrelated[null]) <= 1.05  # one per family: calibrated too
    # power at the planted loci: WGR on everyone vs the plain scan on one per family
    assert cohort.planted.size == 10
    assert wgr[cohort.planted].mean() >= unrelated[cohort.planted].mean()  # 3.2 vs 1.4


def test_wgr__families_binary_score_test(cohort, fitted) -> None:
    """The binary trait: score tests with the LOCO logit as offset of the null model. Measured
    (seed 0): lambda GC 1.083 plain, 0.973 with WGR (seed 1: 1.076, 0.964: the LOCO score
    test runs slightly conservative here, as REGENIE's binary-trait results often do; bounds
    0.95-1.05), mean -log10 p at the planted loci 2.15 with WGR vs 1.04 on one per family."""
    g, _, binary, design, null_model, fit_binary = fitted
    m = g.shape[1]
    null = np.ones(m, dtype=bool)
    null[cohort.causal] = False
    plain = score_block(null_model, g, spa=False).neg_log10_p
    wgr = np.empty(m)
    for i, chrom in enumerate(fit_binary.contigs):
        on = cohort.chromosomes == chrom
        offset_null = fit_offset_logistic_null(binary, design.x, fit_binary.loco[i, :, 0], "test")
        wgr[on] = score_block(offset_null, g[:, on], spa=False).neg_log10_p
    u = cohort.unrelated
    design_u = make_design(binary[u], cohort.deme[u, None].astype(float), binary=True)
    unrelated = score_block(fit_logistic_null(design_u), g[u], spa=False).neg_log10_p
    assert np.isfinite(wgr).all() and wgr.size == 12_000
    assert lambda_gc(plain[null]) > 1.05
    assert 0.95 <= lambda_gc(wgr[null]) <= 1.05
    assert wgr[cohort.planted].mean() >= unrelated[cohort.planted].mean()
