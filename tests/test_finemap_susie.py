"""SuSiE (individual-level and RSS) against susieR's published fits and PolyFun's gold file."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from gwaskit.finemap.credible import susie_credible_sets
from gwaskit.finemap.ld_check import z_ld_consistency
from gwaskit.finemap.susie import rss_sufficient_stats, susie_individual, susie_suff_stat
from gwaskit.finemap.tables import susie_rss_region


@pytest.fixture(scope="module")
def n3(test_data):
    folder = test_data / "susier_n3finemapping"
    data = np.load(folder / "N3finemapping.npz")
    table = pl.read_csv(
        folder / "variants_and_sumstats.tsv", separator="\t", infer_schema_length=None
    )
    pips = pl.read_csv(folder / "expected_susie_cs3_pip_published.tsv", separator="\t")
    published = pl.read_csv(folder / "expected_susie_published.tsv", separator="\t")
    sets = [[int(v) for v in s.split(",")] for s in published["variables"][:3]]
    assert len(sets[2]) == 27 and 403 in sets[2]
    return data["X"], data["Y"][:, 0], table, (pips, sets)


def _check_n3(fit, corr, expected):
    pips, published = expected
    sets = susie_credible_sets(fit, corr)
    members = [sorted((s.variables + 1).tolist()) for s in sets]
    assert members == published  # {653}, {773, 777}, the 27 variables with 403
    # susieR: coverage 0.9998236, 0.9988858, 0.9539811; min |r| of the third 0.8686309
    np.testing.assert_allclose(
        [s.coverage for s in sets], [0.9998236, 0.9988858, 0.9539811], atol=1e-6
    )
    assert sets[2].min_abs_corr == pytest.approx(0.8686309, abs=1e-6)
    # susie_rss vignette: cs_log10bf 4.033886, 6.744092, 3.461476 (issue: within 0.05)
    np.testing.assert_allclose(
        [s.log10_bf for s in sets], [4.033886, 6.744092, 3.461476], atol=1e-4
    )
    pip = fit.pip()
    idx = pips["variable"].to_numpy() - 1
    assert idx.size == 27
    # the vignette prints 9 digits; Brent's optimum of V differs from R's in the 8th digit
    np.testing.assert_allclose(pip[idx], pips["PIP"].to_numpy(), atol=1e-6)
    return sets


def test_susie_individual__n3finemapping_sets_and_pips(n3):
    x, y, _, pips = n3
    fit = susie_individual(x, y, max_effects=10)
    assert fit.converged
    _check_n3(fit, np.corrcoef(x, rowvar=False), pips)


def test_susie_rss__n3finemapping_equals_individual(n3):
    x, y, table, pips = n3
    r = np.corrcoef(x, rowvar=False)
    xtx, xty, yty = rss_sufficient_stats(
        r,
        574,
        bhat=table["betahat_Y1"].to_numpy(),
        shat=table["sebetahat_Y1"].to_numpy(),
        var_y=float(np.var(y, ddof=1)),
    )
    rss = susie_suff_stat(xtx, xty, yty, 574, max_effects=10)
    _check_n3(rss, r, pips)
    ind = susie_individual(x, y, max_effects=10)
    # susieR's vignette: PIPs and coefficients all.equal to the individual-level fit
    assert rss.pip().size == 1001
    np.testing.assert_allclose(rss.pip(), ind.pip(), atol=1e-7)
    np.testing.assert_allclose(rss.coef(), ind.coef(), atol=1e-7)


def test_susie_rss_region__z_only_same_pips(n3):
    x, y, table, _ = n3
    region = table.select(
        pl.col("variable").cast(pl.String).alias("variant_id"),
        pl.col("betahat_Y1").alias("beta"),
        pl.col("sebetahat_Y1").alias("standard_error"),
    )
    res = susie_rss_region(
        region, np.corrcoef(x, rowvar=False), n=574, estimate_residual_variance=True
    )
    assert res.variants.height == 1001
    assert res.sets["variant_ids"].to_list()[:2] == ["653", "773,777"]
    assert res.sets["n_variants"].to_list() == [1, 2, 27]
    assert res.check is not None and not res.check.flagged.any()
    ind = susie_individual(x, y, max_effects=10)
    np.testing.assert_allclose(res.variants["pip"].to_numpy(), ind.pip(), atol=1e-6)


@pytest.fixture(scope="module")
def polyfun(test_data):
    folder = test_data / "polyfun_finemap_example"
    ld = pl.read_csv(folder / "derived_ld_chr1_46000001_49000001.tsv", separator="\t")
    bim = pl.read_csv(
        folder / "example_data" / "chr1.bim",
        separator="\t",
        has_header=False,
        new_columns=["chr", "SNP", "cm", "bp", "ld_allele", "a2"],
    )
    ids = ld["SNP"].to_list()
    sumstats = (
        pl.read_csv(folder / "example_data" / "chr1.finemap_sumstats.txt.gz", separator="\t")
        .join(pl.DataFrame({"SNP": ids, "order": range(len(ids))}), on="SNP")
        .sort("order")
        .join(bim.select("SNP", "ld_allele"), on="SNP", maintain_order="left")
    )
    gold = pl.read_csv(folder / "gold" / "finemap.1.46000001.49000001.gz", separator="\t")
    # the LD counts the .bim 5th-column allele; turn it to the sumstats' A1
    sign = np.where(sumstats["A1"] == sumstats["ld_allele"], 1.0, -1.0)
    r = ld.drop("SNP").to_numpy() * sign[:, None] * sign[None, :]
    return ids, sumstats, r, gold


def test_susie_suff_stat__polyfun_gold(polyfun):
    ids, sumstats, r, gold = polyfun
    n = 383290.0
    # finemapper: susie_suff_stat(bhat=Z, shat=1, R, n, L=5, scaled_prior_variance=1e-4,
    # estimate_residual_variance=TRUE, prior_weights=SNPVAR/sum(SNPVAR))
    xtx, xty, yty = rss_sufficient_stats(r, n, z=sumstats["Z"].to_numpy())
    fit = susie_suff_stat(
        xtx,
        xty,
        yty,
        n,
        max_effects=5,
        scaled_prior_variance=1e-4,
        prior_weights=sumstats["SNPVAR"].to_numpy(),
    )
    ours = pl.DataFrame(
        {"SNP": ids, "pip": fit.pip(), "mean": fit.coef(), "sd": fit.posterior_sd()}
    ).join(gold, on="SNP")
    assert ours.height == 15
    # test_polyfun.py's tolerances: PIP r > 0.97, |dPIP| <= 0.01 where gold > 0.8,
    # BETA_MEAN and BETA_SD atol 1e-3
    assert np.corrcoef(ours["pip"], ours["PIP"])[0, 1] > 0.97
    high = ours.filter(pl.col("PIP") > 0.8)
    assert high.height == 3
    np.testing.assert_allclose(high["pip"], high["PIP"], atol=0.01)
    np.testing.assert_allclose(ours["mean"], ours["BETA_MEAN"], atol=1e-3)
    np.testing.assert_allclose(ours["sd"], ours["BETA_SD"], atol=1e-3)
    sets = susie_credible_sets(fit, r)
    assert [[ids[i] for i in s.variables] for s in sets] == [
        ["rs2088102"],
        ["rs7528714"],
        ["rs7528075"],
    ]


def test_z_ld_consistency__n3_flips_found(n3):
    """Flipping the sign of three z-scores of real data (two causal variants and one in the
    27-variable set) flags exactly those, as susieR's kriging diagnostic does."""
    x, _, table, _ = n3
    r = np.corrcoef(x, rowvar=False)
    z = table["z_Y1"].to_numpy()
    clean = z_ld_consistency(z, r, n=574, max_checked=1001)
    assert clean.flagged.size == 1001 and not clean.flagged.any()
    assert clean.s < 1e-4  # in-sample LD: consistent
    flipped = z.copy()
    flipped[[380, 652, 772]] *= -1
    for k in (1001, 500):  # the whole locus, and the 500 variants of largest |z|
        check = z_ld_consistency(flipped, r, n=574, max_checked=k)
        assert (np.flatnonzero(check.flagged) + 1).tolist() == [381, 653, 773]


def test_susie_suff_stat__fixed_residual_variance_two_routes(n3):
    """sigma2 fixed at the simulation's residual variance: individual-level and RSS agree and
    {653}, {773, 777} and a set with 403 remain (sigma2 6.29 fixed vs 6.41 estimated)."""
    x, y, table, _ = n3
    sigma2 = 6.2907  # N3finemapping.npz residual_variance[0]
    ind = susie_individual(
        x, y, max_effects=10, residual_variance=sigma2, estimate_residual_variance=False
    )
    r = np.corrcoef(x, rowvar=False)
    xtx, xty, yty = rss_sufficient_stats(
        r,
        574,
        bhat=table["betahat_Y1"].to_numpy(),
        shat=table["sebetahat_Y1"].to_numpy(),
        var_y=float(np.var(y, ddof=1)),
    )
    rss = susie_suff_stat(
        xtx, xty, yty, 574, residual_variance=sigma2, estimate_residual_variance=False
    )
    assert ind.residual_variance == rss.residual_variance == sigma2
    assert ind.pip().size == 1001
    np.testing.assert_allclose(rss.pip(), ind.pip(), atol=1e-7)
    sets = susie_credible_sets(ind, r)
    assert len(sets) == 3 and [s.size for s in sets[:2]] == [1, 2]
    assert 403 - 1 in sets[2].variables
