"""Subtype analysis (migraine with / without aura) against the 2022 migraine meta-analysis.

Reference: ``tests/data/migraine_meta_subtypes`` (Hautakangas et al. 2022,
doi:10.1038/s41588-021-00990-0, Figure 3): the 123 loci's subtype estimates, the published
calls, and the posteriors of the model in its PROVENANCE.md for all 123 loci
(``derived_posteriors_123loci.tsv``, printed to 6 significant digits, hence the tolerance 1e-4
of the issue holds with room: the largest difference is ~5e-7).
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.cli import main
from gwaskit.errors import ParameterError
from gwaskit.subtypes.analyse import align_subtypes, analyse_subtypes, estimate_correlations
from gwaskit.subtypes.correlation import (
    null_correlation,
    shared_controls_correlation,
    truncated_correlation,
    truncated_moment,
)
from gwaskit.subtypes.model import call_subtypes, equal_effect_test, subtype_posteriors

R_MIGRAINE = 0.148
MA_ONLY = {"HMOX2", "CACNA1A", "MPPED2"}
MO_ONLY = {"near_SPINK2", "near_FECH"}
BOTH = {"PRDM16", "near_TRPM8", "FHL5", "SUGCT", "PLCE1", "MRVI1", "near_FGF6", "LRP1", "DLST"}
DIFFERENT = {
    "near_TSPAN2", "near_SPINK2", "PHACTR1", "ASTN2", "MPPED2", "LRP1", "HMOX2", "near_FECH"
}  # fmt: skip
#: Published P(MA) / P(MO) of the subtype-specific loci (PROVENANCE.md, 5 decimals).
PUBLISHED = {"HMOX2": 0.96263, "CACNA1A": 0.95842, "MPPED2": 0.95619}
PUBLISHED_MO = {"near_SPINK2": 0.96241, "near_FECH": 0.95331}


@pytest.fixture(scope="module")
def migraine(test_data) -> tuple[pl.DataFrame, pl.DataFrame]:
    folder = test_data / "migraine_meta_subtypes"
    table = pl.read_csv(
        folder / "MIG_MA_MO_123loci.txt", separator=" ", schema_overrides={"Chr": pl.String}
    )
    expected = pl.read_csv(folder / "derived_posteriors_123loci.tsv", separator="\t")
    assert table.height == expected.height == 123
    assert (table["Locus_ID"] == expected["Locus_ID"]).all()
    return table, expected


def _bases(table: pl.DataFrame) -> pl.DataFrame:
    """The two indels coded I/D (insertion/deletion) in the file, written as bases (I = "AT",
    D = "A"): summary-statistics readers and the alignment take alleles made of A, C, G, T."""
    code = {"I": "AT", "D": "A"}
    return table.with_columns(pl.col("EA").replace(code), pl.col("OA").replace(code))


def _arrays(table: pl.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(table[c].to_numpy() for c in ("Beta_MA", "SE_MA", "Beta_MO", "SE_MO"))


def test_subtype_posteriors__match_the_migraine_posteriors(migraine):
    table, expected = migraine
    post = subtype_posteriors(*_arrays(table), r=R_MIGRAINE)
    pairs = {
        "null": "NULL", "fixed": "FIXED", "independent": "IND", "both": "BOTH",
        "a_only": "MA", "b_only": "MO",
    }  # fmt: skip
    for ours, theirs in pairs.items():
        got = getattr(post, ours)
        assert got.shape == (123,)
        np.testing.assert_allclose(got, expected[theirs].to_numpy(), rtol=0, atol=1e-4)
    total = post.null + post.fixed + post.independent + post.a_only + post.b_only
    np.testing.assert_allclose(total, 1.0, rtol=0, atol=1e-12)


def test_call_subtypes__reproduce_the_published_calls(migraine):
    table, _ = migraine
    post = subtype_posteriors(*_arrays(table), r=R_MIGRAINE)
    calls = call_subtypes(post)
    loci = table["Locus_ID"].to_numpy()
    assert calls.shape == (123,)
    assert set(loci[calls == "a_only"]) == MA_ONLY
    assert set(loci[calls == "b_only"]) == MO_ONLY
    assert set(loci[calls == "both"]) == BOTH
    assert (calls == "unresolved").sum() == 123 - 3 - 2 - 9
    for name, value in PUBLISHED.items():
        assert post.a_only[loci == name][0] == pytest.approx(value, abs=1e-5)
    for name, value in PUBLISHED_MO.items():
        assert post.b_only[loci == name][0] == pytest.approx(value, abs=1e-5)


def test_equal_effect_test__bonferroni_loci_and_p_values(migraine):
    table, expected = migraine
    test = equal_effect_test(*_arrays(table), r=R_MIGRAINE)
    loci = table["Locus_ID"].to_numpy()
    assert test.neg_log10_p.shape == (123,)
    assert set(loci[test.neg_log10_p > -np.log10(0.05 / 123)]) == DIFFERENT
    # P_same printed to 6 significant digits: relative tolerance 1e-5
    np.testing.assert_allclose(
        10.0**-test.neg_log10_p, expected["P_same"].to_numpy(), rtol=1e-5, atol=0
    )


def test_equal_effect_test__closed_form():
    # (0.3 - 0.1)^2 / (0.01 + 0.04 - 2 * 0.25 * 0.1 * 0.2) = 0.04 / 0.04 = 1
    t = equal_effect_test(
        np.array([0.3]), np.array([0.1]), np.array([0.1]), np.array([0.2]), r=0.25
    )
    assert t.chi2[0] == pytest.approx(1.0, rel=1e-12)
    assert t.neg_log10_p[0] == pytest.approx(-np.log10(0.31731050786291415), rel=1e-12)


def test_subtype_posteriors__flip_and_swap_symmetry(migraine):
    table, _ = migraine
    ba, sa, bb, sb = _arrays(table)
    post = subtype_posteriors(ba, sa, bb, sb, r=R_MIGRAINE)
    flipped = subtype_posteriors(-ba, sa, -bb, sb, r=R_MIGRAINE)
    swapped = subtype_posteriors(bb, sb, ba, sa, r=R_MIGRAINE)
    np.testing.assert_allclose(flipped.both, post.both, rtol=1e-12)
    np.testing.assert_allclose(swapped.a_only, post.b_only, rtol=1e-12)
    np.testing.assert_allclose(swapped.null, post.null, rtol=1e-12)


def test_subtype_posteriors__missing_values_give_nan():
    post = subtype_posteriors(
        np.array([0.1, np.nan, 0.1]), np.array([0.02, 0.02, 0.0]),
        np.array([0.1, 0.1, 0.1]), np.array([0.02, 0.02, 0.02]), r=0.1,
    )  # fmt: skip
    assert np.isfinite(post.null[0]) and np.isnan(post.null[1:]).all()
    assert list(call_subtypes(post)) == ["both", "unresolved", "unresolved"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"r": 1.0}, "r must be in"),
        ({"r": 0.1, "prior_sd": 0.0}, "prior_sd"),
        ({"r": 0.1, "model_weights": (1, 1, 1)}, "model_weights"),
        ({"r": 0.1, "model_weights": (0, 0, 0, 0, 0)}, "must not all be 0"),
    ],
)
def test_subtype_posteriors__bad_parameters(kwargs, match):
    one = np.array([0.1])
    with pytest.raises(ParameterError, match=match):
        subtype_posteriors(one, one, one, one, **kwargs)


# ----------------------------------------------------------------------------- correlation


def test_truncated_moment__agrees_with_monte_carlo():
    # 4 million draws of a bivariate normal (r = 0.3) truncated to |z| < 2: the Monte Carlo
    # SE of the mean product is ~6e-4, so 3e-3 is five SEs
    rng = np.random.default_rng(5)
    z = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], size=4_000_000)
    kept = (np.abs(z) < 2).all(axis=1)
    assert kept.sum() > 3_000_000
    assert truncated_moment(0.3, 2.0) == pytest.approx(np.mean(z[kept, 0] * z[kept, 1]), abs=3e-3)


@pytest.mark.parametrize("r", [-0.4, 0.0, 0.148, 0.35])
def test_null_correlation__unbiased_where_the_plain_correlation_is_not(r):
    # 40,000 null pairs: the estimator's SD is ~(1 - r^2)/sqrt(40,000) * 1.1 <= 0.006, so 0.02
    # is over three SDs; the plain correlation of the kept is biased towards 0 (by ~6 % at
    # p > 0.01), as truncated_correlation says
    rng = np.random.default_rng(11)
    z = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=40_000)
    est = null_correlation(z[:, 0], z[:, 1], null_p=0.01)
    assert est.n_variants == int((np.abs(z) < est.bound).all(axis=1).sum())
    assert est.n_variants > 38_000
    assert est.r == pytest.approx(r, abs=0.02)
    assert est.r_truncated == pytest.approx(truncated_correlation(r, est.bound), abs=0.02)
    if r != 0.0:
        assert abs(truncated_correlation(r, est.bound)) < 0.95 * abs(r)


@pytest.mark.parametrize("inflation", [1.0, 1.3])
def test_null_correlation__robust_to_a_common_inflation(inflation):
    # z-scores of both traits inflated by sqrt(1.3) (lambda GC 1.3): the ratio moves only by
    # the shift of the truncation point; 40,000 pairs, SD ~0.006, tolerance 0.02
    rng = np.random.default_rng(12)
    r = 0.3
    z = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=40_000) * np.sqrt(inflation)
    assert null_correlation(z[:, 0], z[:, 1]).r == pytest.approx(r, abs=0.02)


def test_truncated_correlation__agrees_with_monte_carlo():
    # 4 million draws, |z| < 2: Monte Carlo SE ~7e-4, tolerance 3e-3
    rng = np.random.default_rng(6)
    z = rng.multivariate_normal([0, 0], [[1, -0.5], [-0.5, 1]], size=4_000_000)
    k = (np.abs(z) < 2).all(axis=1)
    a, b = z[k, 0], z[k, 1]
    plain = np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b))
    assert truncated_correlation(-0.5, 2.0) == pytest.approx(plain, abs=3e-3)


def test_null_correlation__too_few_null_variants():
    with pytest.raises(ParameterError, match="at least 100"):
        null_correlation(np.zeros(50), np.zeros(50))


def test_shared_controls_correlation__closed_form_and_meta():
    assert shared_controls_correlation(1000, 1000, 2000) == pytest.approx(1 / 3, rel=1e-14)
    # identical cohorts: the meta-analysis has the per-cohort correlation
    assert shared_controls_correlation([500, 500], [300, 300], [900, 900]) == pytest.approx(
        shared_controls_correlation(500, 300, 900), rel=1e-14
    )
    # by simulation of allele counts in the three groups (p = 0.3), 20,000 replicates: SD of
    # the correlation estimate ~0.007, tolerance 0.03
    rng = np.random.default_rng(2)
    na, nb, n0, p = 400, 250, 800, 0.3
    fa = rng.binomial(2 * na, p, 20_000) / (2 * na)
    fb = rng.binomial(2 * nb, p, 20_000) / (2 * nb)
    f0 = rng.binomial(2 * n0, p, 20_000) / (2 * n0)
    logit = lambda f: np.log(f / (1 - f))  # noqa: E731
    observed = np.corrcoef(logit(fa) - logit(f0), logit(fb) - logit(f0))[0, 1]
    assert observed == pytest.approx(shared_controls_correlation(na, nb, n0), abs=0.03)


# ----------------------------------------------------------------------------- tables, verb


def _write_subtype_files(table: pl.DataFrame, folder) -> dict[str, str]:
    paths = {}
    table = _bases(table)
    for subtype in ("MA", "MO"):
        sumstats = table.select(
            chromosome=pl.col("Chr"),
            base_pair_location=pl.col("Pos_GRCh37"),
            effect_allele=pl.col("EA"),
            other_allele=pl.col("OA"),
            beta=pl.col(f"Beta_{subtype}"),
            standard_error=pl.col(f"SE_{subtype}"),
            effect_allele_frequency=pl.col(f"EAF_{subtype}"),
            p_value=pl.col(f"P_{subtype}"),
            rsid=pl.col("Rsid"),
        )
        if subtype == "MO":  # another allele order: the alignment must undo it
            sumstats = sumstats.with_columns(
                effect_allele=pl.col("other_allele"),
                other_allele=pl.col("effect_allele"),
                beta=-pl.col("beta"),
                effect_allele_frequency=1 - pl.col("effect_allele_frequency"),
            )
        path = folder / f"{subtype}.tsv"
        sumstats.write_csv(path, separator="\t")
        paths[subtype] = str(path)
    return paths


def _loci(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        locus_id=pl.col("Locus_ID"),
        chromosome=pl.col("Chr"),
        base_pair_location=pl.col("Pos_GRCh37"),
        variant_id=pl.col("Rsid"),
    )


def test_subtypes_verb__migraine_table(migraine, tmp_path):
    table, expected = migraine
    paths = _write_subtype_files(table, tmp_path)
    loci = tmp_path / "loci.parquet"
    _loci(table).write_parquet(loci)
    argv = [
        "subtypes", "--subtype", f"MA={paths['MA']}", "--subtype", f"MO={paths['MO']}",
        "--loci", str(loci), "--r", "0.148", "--out", str(tmp_path / "sub"), "-q",
    ]  # fmt: skip
    assert main(argv) == 0
    result = pl.read_parquet(tmp_path / "sub.parquet")
    assert result.height == 123
    assert (result["locus_id"] == expected["Locus_ID"]).all()
    calls = dict(zip(result["locus_id"], result["call"], strict=True))
    assert {k for k, v in calls.items() if v == "a_only"} == MA_ONLY
    assert {k for k, v in calls.items() if v == "b_only"} == MO_ONLY
    assert {k for k, v in calls.items() if v == "both"} == BOTH
    for ours, theirs in (("posterior_a_only", "MA"), ("posterior_b_only", "MO")):
        np.testing.assert_allclose(result[ours], expected[theirs], rtol=0, atol=1e-4)
    np.testing.assert_allclose(result["posterior_both"], expected["BOTH"], rtol=0, atol=1e-4)
    # oriented to the risk allele of the two subtypes together
    combined = result["beta_a"] / result["standard_error_a"] ** 2 + result["beta_b"] / (
        result["standard_error_b"] ** 2
    )
    assert (combined >= 0).all()
    correlation = pl.read_parquet(tmp_path / "sub.correlation.parquet")
    assert correlation.height == 1
    assert correlation.row(0, named=True)["source"] == "given"


def test_analyse_subtypes__missing_lead_is_kept_and_counted(migraine, caplog, monkeypatch):
    # a verb run earlier in the session may have left gwaskit's logger quiet or unpropagated
    monkeypatch.setattr(logging.getLogger("gwaskit"), "propagate", True)
    caplog.set_level(logging.INFO, logger="gwaskit")
    table, _ = migraine
    table = _bases(table)
    ma = table.select(
        chromosome="Chr", base_pair_location="Pos_GRCh37", effect_allele="EA", other_allele="OA",
        beta="Beta_MA", standard_error="SE_MA", effect_allele_frequency="EAF_MA",
        variant_id="Rsid", rsid="Rsid",
    )  # fmt: skip
    mo = ma.with_columns(beta=table["Beta_MO"], standard_error=table["SE_MO"]).slice(0, 120)
    aligned = align_subtypes({"MA": ma, "MO": mo})
    assert aligned.variants.height == 123
    result = analyse_subtypes(aligned, _loci(table), r=R_MIGRAINE)
    assert result.height == 123
    assert (result["call"] == "missing").sum() == 3
    assert result["call"].tail(3).to_list() == ["missing"] * 3
    assert "3 of 123 loci lack their lead variant" in caplog.text


def test_estimate_correlations__one_row_per_pair():
    rng = np.random.default_rng(4)
    n, r = 3_000, 0.3
    z = rng.multivariate_normal([0, 0, 0], [[1, r, 0], [r, 1, 0], [0, 0, 1]], size=n)
    tables = {
        name: pl.DataFrame(
            {
                "chromosome": "1",
                "base_pair_location": np.arange(1, n + 1) * 100,
                "effect_allele": "A",
                "other_allele": "G",
                "beta": z[:, i] * 0.05,
                "standard_error": np.full(n, 0.05),
                "variant_id": [f"v{k}" for k in range(n)],
            }
        )
        for i, name in enumerate(("x", "y", "w"))
    }
    loci = pl.DataFrame({"chromosome": ["1"], "start": [100], "end": [50_000]})
    table = estimate_correlations(align_subtypes(tables), exclude=loci)
    assert table["n_in_loci"].to_list() == [500] * 3  # positions 100..50,000 in steps of 100
    kept = (np.abs(z[500:]) < 2.5758293035489004).astype(int)
    assert table["n_variants"].to_list() == [
        int((kept[:, 0] * kept[:, 1]).sum()),
        int((kept[:, 0] * kept[:, 2]).sum()),
        int((kept[:, 1] * kept[:, 2]).sum()),
    ]
    assert table.height == 3
    assert table.select("subtype_a", "subtype_b").rows() == [("x", "y"), ("x", "w"), ("y", "w")]
    # 3,000 pairs: SD ~0.02, tolerance 0.07
    assert table["r"].to_list() == pytest.approx([r, 0.0, 0.0], abs=0.07)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-2, 2), st.floats(1e-3, 1), st.floats(-2, 2), st.floats(1e-3, 1)),
        min_size=1,
        max_size=20,
    ),
    st.floats(-0.9, 0.9),
)
def test_subtype_posteriors__always_a_probability(rows, r):
    ba, sa, bb, sb = (np.array(c) for c in zip(*rows, strict=True))
    post = subtype_posteriors(ba, sa, bb, sb, r=r)
    total = post.null + post.fixed + post.independent + post.a_only + post.b_only
    assert np.all(np.isfinite(total))
    np.testing.assert_allclose(total, 1.0, atol=1e-9)


def test_subtypes_docstrings__examples_run():
    import doctest
    import importlib

    for name in ("gwaskit.subtypes.model", "gwaskit.subtypes.correlation"):
        result = doctest.testmod(importlib.import_module(name))
        assert result.failed == 0 and result.attempted > 0, name


def test_subtypes_verb__estimates_r_outside_the_loci(tmp_path):
    # 4,000 variants with null z-scores correlated 0.3, and a locus window whose 200 variants
    # carry a shared effect (correlation ~1 there): left out, the estimate is 0.3 within 0.06
    # (SD ~0.016 over 3,800 pairs); kept, it would be pulled up
    rng = np.random.default_rng(8)
    n, r = 4_000, 0.3
    z = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=n)
    z[:200] += rng.normal(0, 3, size=(200, 1))
    paths = {}
    for k, name in enumerate(("A", "B")):
        table = pl.DataFrame(
            {
                "chromosome": "2",
                "base_pair_location": np.arange(1, n + 1) * 1_000,
                "effect_allele": "A",
                "other_allele": "C",
                "beta": z[:, k] * 0.02,
                "standard_error": 0.02,
                "p_value": 0.5,
                "variant_id": [f"v{i}" for i in range(n)],
            }
        )
        paths[name] = tmp_path / f"{name}.tsv"
        table.write_csv(paths[name], separator="\t")
    loci = pl.DataFrame(
        {"locus_id": ["L"], "chromosome": ["2"], "base_pair_location": [100_000],
         "start": [1_000], "end": [200_000]}
    )  # fmt: skip
    loci.write_parquet(tmp_path / "loci.parquet")
    argv = [
        "subtypes", "--subtype", f"A={paths['A']}", "--subtype", f"B={paths['B']}",
        "--loci", str(tmp_path / "loci.parquet"), "--out", str(tmp_path / "s"), "-q",
    ]  # fmt: skip
    assert main(argv) == 0
    correlation = pl.read_parquet(tmp_path / "s.correlation.parquet").row(0, named=True)
    assert correlation["source"] == "null z-scores"
    assert correlation["n_in_loci"] == 200
    assert correlation["r"] == pytest.approx(r, abs=0.06)
    result = pl.read_parquet(tmp_path / "s.parquet")
    assert result.height == 1
    assert result["r"][0] == correlation["r"]


def test_subtype_posteriors__agree_with_a_naive_multivariate_normal():
    # the closed-form 2 x 2 densities against scipy's multivariate normal (Cholesky) on random
    # loci, and the posterior normalised by hand: agreement to 1e-10
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(9)
    n, r, tau = 40, -0.3, 0.25
    ba, bb = rng.normal(0, 0.1, n), rng.normal(0, 0.1, n)
    sa, sb = rng.uniform(0.01, 0.05, n), rng.uniform(0.01, 0.05, n)
    weights = np.array([1.0, 0.5, 0.5, 1.0, 1.0]) / 4.0
    priors = [np.zeros((2, 2)), np.ones((2, 2)), np.eye(2), np.diag([1.0, 0]), np.diag([0, 1.0])]
    fast = subtype_posteriors(ba, sa, bb, sb, r=r, prior_sd=tau)
    for i in range(n):
        sigma = np.array([[sa[i] ** 2, r * sa[i] * sb[i]], [r * sa[i] * sb[i], sb[i] ** 2]])
        dens = np.array(
            [
                multivariate_normal(mean=[0, 0], cov=sigma + tau**2 * s).pdf([ba[i], bb[i]])
                for s in priors
            ]
        )
        post = weights * dens / np.sum(weights * dens)
        got = [fast.null[i], fast.fixed[i], fast.independent[i], fast.a_only[i], fast.b_only[i]]
        np.testing.assert_allclose(got, post, rtol=1e-10, atol=1e-14)
