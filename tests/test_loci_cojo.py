"""Conditional and joint analysis (GCTA-COJO) on simulated genotypes with LD blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gwaskit.io import open_genotypes
from gwaskit.loci.cojo import CojoLocus, cojo_loci, cojo_table
from gwaskit.loci.define import define_loci
from gwaskit.loci.ld import load_panel
from loci_fixtures import simulate_ld_genotypes, sumstats_from_genotypes, write_bed

BLOCK = 120


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory):
    """3,500 people: 3,000 study + 500 reference; 3 LD blocks of 120 variants, 1 Mb apart.

    Block 0: two causal variants in moderate LD (r² 0.25-0.45), opposite effects; block 1: one causal; block 2: none.
    """
    rng = np.random.default_rng(2012)
    g = simulate_ld_genotypes(3500, 3, BLOCK, 0.92, rng)
    keep = (g[:3000].std(axis=0) > 0.2) & (g[3000:].std(axis=0) > 0.2)  # common in both
    g, block_of = g[:, keep], np.repeat(np.arange(3), BLOCK)[keep]
    m = g.shape[1]
    positions = np.arange(m) * 2_000 + 1_000_000 + block_of * 1_000_000
    x, ref = g[:3000], g[3000:]
    r = np.corrcoef(x, rowvar=False)
    first = np.flatnonzero(block_of == 0)
    pairs = [(i, j) for i in first for j in first if i < j and 0.25 <= r[i, j] ** 2 <= 0.45]
    a, b = pairs[len(pairs) // 2]
    c = int(np.flatnonzero(block_of == 1)[40])
    y = rng.standard_normal(3000)
    for j, eff in ((a, 0.2), (b, -0.18), (c, 0.15)):
        y += eff * (x[:, j] - x[:, j].mean()) / x[:, j].std()
    variants = pl.DataFrame(
        {
            "chromosome": ["5"] * m,
            "base_pair_location": positions,
            "variant_id": [f"v{j}" for j in range(m)],
            "effect_allele": ["A"] * m,
            "other_allele": ["G"] * m,
        }
    )
    folder = tmp_path_factory.mktemp("cojo")
    write_bed(folder / "ref.bed", ref, "5", positions)
    write_bed(folder / "study.bed", x, "5", positions)
    return {
        "sumstats": sumstats_from_genotypes(x, y, variants),
        "x": x,
        "y": y,
        "causal": (a, b, c),
        "r_study": r,
        "ref": folder / "ref.bed",
        "self": folder / "study.bed",
    }


def test_cojo_loci__stepwise_finds_both_causal_variants(study):
    ss = study["sumstats"]
    a, b, c = study["causal"]
    r = study["r_study"]
    assert r[a, b] ** 2 < 0.5 and ss["neg_log_10_p_value"].max() > 10
    with open_genotypes(study["ref"]) as ref:
        loci = define_loci(ss, window_kb=500)
        loci, signals = cojo_loci(ss, loci, ref, p=5e-8)
    ids = ss["variant_id"].to_list()
    by_locus = {k: v for k, v in signals.group_by("locus_id").agg(pl.col("variant_id")).rows()}
    found = [ids.index(v) for vs in by_locus.values() for v in vs]
    # each causal variant is selected, or a near-perfect proxy of it (r² > 0.9 in the study)
    for causal in (a, b, c):
        assert max(r[causal, j] ** 2 for j in found) > 0.9, (causal, found)
    assert sorted(loci["n_signals"].to_list()) == [1, 2]
    assert signals["joint_neg_log_10_p_value"].min() > -np.log10(5e-8)


def test_cojo_locus__joint_equals_multiple_regression_on_the_same_sample(study):
    """Reference = study sample and v_j = its dosage variance: B = X'X, D b = X'y and y'y are
    exact, so the joint fit is OLS of y ~ 1 + X_S. Tolerance 1e-6 relative: only float64
    rounding differs (observed 3e-14), amplified by the condition number of the LD matrix (3.7)."""
    ss, x, y = study["sumstats"], study["x"], study["y"]
    a, b, c = study["causal"]
    with open_genotypes(study["self"]) as src:
        panel, found = load_panel(src, ss)
    assert found.all()
    locus = CojoLocus(
        beta=ss["beta"].to_numpy(),
        standard_error=ss["standard_error"].to_numpy(),
        n=ss["n"].to_numpy(),
        variance=panel.variance,
        panel=panel,
    )
    r = study["r_study"]
    proxy = next(j for j in range(r.shape[0]) if j != b and 0.1 < r[a, j] ** 2 < 0.9)
    chosen = np.array([a, b, c, proxy])
    fit = locus.joint(chosen)
    design = np.column_stack([np.ones(x.shape[0]), x[:, chosen]])
    coef = np.linalg.solve(design.T @ design, design.T @ y)
    resid = y - design @ coef
    sigma2 = resid @ resid / (x.shape[0] - design.shape[1])
    se = np.sqrt(sigma2 * np.diag(np.linalg.inv(design.T @ design)))
    np.testing.assert_allclose(fit.beta, coef[1:], rtol=1e-6)
    np.testing.assert_allclose(fit.standard_error, se[1:], rtol=1e-6)
    # the conditional effect of c given {a, b} is the joint effect of c in {a, b, c}
    beta_c, se_c, _, _ = locus.conditional(np.array([a, b]), np.array([c]))
    full = locus.joint(np.array([a, b, c]))
    np.testing.assert_allclose(
        [beta_c[0], se_c[0]], [full.beta[2], full.standard_error[2]], rtol=1e-9
    )


def test_cojo_table__allele_swap_in_reference_flips_nothing(study, tmp_path: Path):
    """Summary statistics coded on the other allele give the same signals, negated betas."""
    ss = study["sumstats"]
    swapped = ss.with_columns(
        pl.col("other_allele").alias("effect_allele"),
        pl.col("effect_allele").alias("other_allele"),
        -pl.col("beta"),
        (1 - pl.col("effect_allele_frequency")).alias("effect_allele_frequency"),
    )
    part = ss.filter(pl.col("base_pair_location") < 2_000_000)
    part_s = swapped.filter(pl.col("base_pair_location") < 2_000_000)
    with open_genotypes(study["ref"]) as ref:
        one = cojo_table(part, ref)
        two = cojo_table(part_s, ref)
    assert one.height >= 1  # the locus below 2 Mb holds a signal: something is compared
    assert one["variant_id"].to_list() == two["variant_id"].to_list()
    np.testing.assert_allclose(one["joint_beta"], -two["joint_beta"], rtol=1e-9)


def test_cojo_locus__joint_equals_plink2_glm_with_condition_list(study, plink2, tmp_path: Path):
    """External reference: plink2 --glm conditioning on a and b reports the joint effects of
    a, b and c in y ~ 1 + x_a + x_b + x_c. plink2 prints 6 significant digits: rtol 1e-5."""
    from conftest import run_tool

    ss, y = study["sumstats"], study["y"]
    a, b, c = study["causal"]
    prefix = str(study["self"].with_suffix(""))
    pheno = tmp_path / "pheno.txt"
    fam = pl.read_csv(f"{prefix}.fam", separator=" ", has_header=False)
    pl.DataFrame({"#FID": fam[:, 0], "IID": fam[:, 1], "y": y}).write_csv(pheno, separator="\t")
    ids = ss["variant_id"].to_list()
    (tmp_path / "cond.txt").write_text(f"{ids[a]}\n{ids[b]}\n")
    run_tool(
        [
            plink2, "--bfile", prefix, "--pheno", str(pheno), "--glm", "allow-no-covars",
            "--condition-list", str(tmp_path / "cond.txt"),
            "--threads", "1", "--out", str(tmp_path / "out"),
        ]
    )  # fmt: skip
    out = pl.read_csv(tmp_path / "out.y.glm.linear", separator="\t", null_values="NA")
    out = out.filter(pl.col("ID") == ids[c])
    with open_genotypes(study["self"]) as src:
        panel, _ = load_panel(src, ss)
    locus = CojoLocus(
        beta=ss["beta"].to_numpy(),
        standard_error=ss["standard_error"].to_numpy(),
        n=ss["n"].to_numpy(),
        variance=panel.variance,
        panel=panel,
    )
    fit = locus.joint(np.array([a, b, c]))
    # plink2 names the condition covariates by variant ID and the tested variant's row "ADD";
    # its A1 is the .bim A1 = our effect allele
    order = {ids[a]: 0, ids[b]: 1, "ADD": 2}
    assert sorted(out["TEST"].to_list()) == sorted(order)  # all three effects are compared
    for row in out.iter_rows(named=True):
        k = order[row["TEST"]]
        assert row["BETA"] == pytest.approx(fit.beta[k], rel=1e-5)
        assert row["SE"] == pytest.approx(fit.standard_error[k], rel=1e-5)


def test_cojo_table__drops_variants_whose_frequency_disagrees_with_the_reference(study):
    """GCTA --diff-freq: a variant whose reported frequency is off by > 0.2 (an allele
    error) is left out; with diff_freq=None it stays."""
    ss = study["sumstats"]
    part = ss.filter(pl.col("base_pair_location") < 2_000_000)
    with open_genotypes(study["ref"]) as ref:
        before = cojo_table(part, ref)
        lead = before.sort("joint_neg_log_10_p_value", descending=True)["variant_id"][0]
        f = part.filter(pl.col("variant_id") == lead)["effect_allele_frequency"][0]
        wrong = part.with_columns(
            pl.when(pl.col("variant_id") == lead)
            .then(pl.lit(f + 0.3 if f < 0.5 else f - 0.3))
            .otherwise(pl.col("effect_allele_frequency"))
            .alias("effect_allele_frequency")
        )
        after = cojo_table(wrong, ref)
        kept = cojo_table(wrong, ref, diff_freq=None)
    assert before.height >= 1
    assert lead not in after["variant_id"].to_list()
    assert lead in kept["variant_id"].to_list()
