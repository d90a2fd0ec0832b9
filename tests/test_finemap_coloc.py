"""coloc.abf and SuSiE-coloc against coloc 6.0.1's printed posteriors (coloc_test_data)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from gwaskit.finemap.abf import PRIOR_SD, coloc_abf, coloc_bf_bf, combine_abf, wakefield_lbf
from gwaskit.finemap.credible import susie_credible_sets
from gwaskit.finemap.susie import rss_sufficient_stats, susie_suff_stat


@pytest.fixture(scope="module")
def coloc_data(test_data):
    folder = test_data / "coloc_test_data"
    scalars = pl.read_csv(folder / "scalars.tsv", separator="\t")
    sets = {k: pl.read_csv(folder / f"{k}.tsv", separator="\t") for k in ("D1", "D2", "D3", "D4")}
    expected = pl.read_csv(folder / "expected_coloc_published.tsv", separator="\t")
    snp = pl.read_csv(folder / "expected_snp_level_published.tsv", separator="\t")
    return dict(zip(scalars["dataset"], scalars["sdY"], strict=True)), sets, expected, snp, folder


def _abf(data, a, b, **priors):
    sdy, sets, *_ = data
    return coloc_abf(
        sets[a]["beta"].to_numpy(),
        sets[a]["varbeta"].to_numpy(),
        sets[b]["beta"].to_numpy(),
        sets[b]["varbeta"].to_numpy(),
        prior_sd1=PRIOR_SD["quantitative"] * sdy[a],
        prior_sd2=PRIOR_SD["quantitative"] * sdy[b],
        **priors,
    )


def _expected(expected, call, d1, d2, p12):
    row = expected.filter(
        (pl.col("call") == call)
        & (pl.col("dataset1") == d1)
        & (pl.col("dataset2") == d2)
        & (pl.col("p12") == p12)
    )
    assert row.height == 1
    return row.select([f"PP.H{k}" for k in range(5)]).to_numpy()[0]


@pytest.mark.parametrize(
    ("d1", "d2", "p12"), [("D1", "D2", 1e-5), ("D1", "D2", 1e-6), ("D3", "D4", 1e-5)]
)
def test_coloc_abf__published_posteriors(coloc_data, d1, d2, p12):
    res = _abf(coloc_data, d1, d2, p12=p12)
    want = _expected(coloc_data[2], "coloc.abf", d1, d2, p12)
    # 7 significant digits printed: relative 5e-7 plus the 1e-6 absolute
    np.testing.assert_allclose(res.posterior, want, rtol=5e-7, atol=1e-6)
    assert res.snp_pp_h4.size == 500


def test_coloc_abf__d1d2_snp_level(coloc_data):
    sdy, sets, _, snp, _ = coloc_data
    res = _abf(coloc_data, "D1", "D2")
    assert res.pp_h4 == pytest.approx(0.9991661, abs=1e-6)
    assert res.pp_h3 == pytest.approx(8.338917e-4, abs=1e-6)
    printed = snp.filter(pl.col("call") == "coloc.abf(D1,D2)", pl.col("quantity") == "SNP.PP.H4")
    assert printed.height == 2
    for name, value in zip(printed["snp"], printed["value"].cast(pl.Float64), strict=True):
        assert res.snp_pp_h4[int(name[1:]) - 1] == pytest.approx(value, abs=5e-9)
    labf = snp.filter(pl.col("call") == "coloc.abf(D1,D2)", pl.col("quantity") == "lABF.df1")
    lbf1 = wakefield_lbf(sets["D1"]["beta"], sets["D1"]["varbeta"], 0.15 * sdy["D1"])
    assert labf.height == 2
    for name, value in zip(labf["snp"], labf["value"].cast(pl.Float64), strict=True):
        assert lbf1[int(name[1:]) - 1] == pytest.approx(value, abs=5e-5)


def _runsusie(data, name, r):
    _, sets, *_ = data
    d = sets[name]
    z = (d["beta"] / d["varbeta"].sqrt()).to_numpy()
    # coloc's runsusie: susie_rss(z, R = LD, n = N) with defaults (L = 10, sigma2 fixed at 1)
    xtx, xty, yty = rss_sufficient_stats(r, 1000, z=z)
    fit = susie_suff_stat(xtx, xty, yty, 1000, estimate_residual_variance=False)
    assert fit.converged
    return fit, susie_credible_sets(fit, r)


def test_susie_coloc__d3d4_pairs(coloc_data):
    folder = coloc_data[4]
    ld = pl.read_csv(folder / "LD_D3_D4.tsv.gz", separator="\t")
    r = ld.drop(ld.columns[0]).to_numpy()
    assert r.shape == (500, 500)
    fit3, cs3 = _runsusie(coloc_data, "D3", r)
    fit4, cs4 = _runsusie(coloc_data, "D4", r)
    # runsusie(D3): {82,103,105} log10BF 8.626019; 13 SNPs incl. 89, 3.492207; D4: {105,156}
    assert [sorted((c.variables + 1).tolist()) for c in cs3] == [
        [82, 103, 105],
        [58, 68, 69, 73, 75, 80, 81, 84, 87, 89, 97, 108, 113],
    ]
    assert [sorted((c.variables + 1).tolist()) for c in cs4] == [[105, 156]]
    np.testing.assert_allclose(
        [c.log10_bf for c in cs3 + cs4], [8.626019, 3.492207, 4.940381], atol=1e-5
    )
    np.testing.assert_allclose(
        fit3.pip()[[104, 88, 86, 81, 102]],
        [0.777112364, 0.395106280, 0.271833777, 0.106275736, 0.080325924],
        atol=1e-6,
    )
    np.testing.assert_allclose(fit4.pip()[[104, 155]], [0.9051715, 0.0605820], atol=1e-6)
    pairs = coloc_bf_bf(
        fit3.lbf_variable[[c.effect for c in cs3]], fit4.lbf_variable[[c.effect for c in cs4]]
    )
    assert len(pairs) == 2
    expected = coloc_data[2]
    for pair, hit1 in zip(pairs, ("s105", "s89"), strict=True):
        row = expected.filter(
            pl.col("call").str.contains(f"hit1={hit1} hit2=s105"),
            pl.col("call").str.starts_with("coloc.susie"),
        )
        assert row.height == 1
        want = row.select([f"PP.H{k}" for k in range(5)]).to_numpy()[0]
        np.testing.assert_allclose(pair.result.posterior, want, rtol=5e-6, atol=1e-7)


def test_combine_abf__one_dominant_variant_no_h3():
    """When one variant carries all the evidence in both traits, S1 S2 = S12 in floating point:
    H3 is 0 (coloc's logdiff gives log 0 = -Inf), with no warning."""
    l1 = np.array([0.0, 0.0, 800.0])
    l2 = np.array([0.0, 0.0, 700.0])
    res = combine_abf(l1, l2)
    assert res.posterior.size == 5
    assert res.pp_h3 == 0.0 and res.pp_h4 == pytest.approx(1.0)
    assert res.snp_pp_h4[2] == pytest.approx(1.0)
