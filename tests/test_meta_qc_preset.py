"""The 2022 migraine consortium's per-study filters (``--qc-preset ihgc2022``: MAF > 0.01,
info > 0.6, HWE p > 1e-6, frequency within 0.30 of the reference) on the demo consortium.

The four discovery cohorts of the demo (``gwaskit.pipeline.demo``, small scale) get their
summary statistics computed here from their genotypes (marginal OLS, frequency, N and HWE
exact p per variant); the demo's genotypes are hard calls, so each study gets an imputation
quality column drawn at random; one study has the allele labels of 5 % of its rows swapped (a
mis-coded batch); the reference is the pooled frequency of the two replication cohorts, given
as a user's table. The expected counts per reason are computed here from the study tables with
polars expressions, in the order of the reasons' precedence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gwaskit.cli import main
from gwaskit.io.sumstats import write_sumstats
from gwaskit.pipeline.demo import DEMO_COHORTS, demo_spec
from gwaskit.qc.hwe import hwe_neg_log10_p
from gwaskit.simulate import simulate_consortium
from loci_fixtures import marginal_ols


def _dosages(genotypes: np.ndarray) -> np.ndarray:
    g = genotypes.astype(np.float64)
    g[(genotypes < 0) | (genotypes > 2)] = np.nan
    return g


def _study(cohort, rng: np.random.Generator) -> pl.DataFrame:
    g = _dosages(cohort.genotypes)
    ok = ~np.isnan(g)
    n = ok.sum(axis=0).astype(np.float64)
    eaf = np.nansum(g, axis=0) / (2 * n)
    filled = np.where(ok, g, np.nanmean(g, axis=0))
    y = (cohort.phenotype == 2).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta, se, nlp = marginal_ols(filled, y)
    counts = np.stack([(g == 2).sum(0), (g == 1).sum(0), (g == 0).sum(0)], axis=1)
    hwe = 10.0 ** -hwe_neg_log10_p(counts.astype(np.int64), False)
    v = cohort.variants
    return v.select(
        "chromosome", "base_pair_location", "variant_id", "effect_allele", "other_allele"
    ).with_columns(
        pl.Series("beta", beta),
        pl.Series("standard_error", se),
        pl.Series("effect_allele_frequency", eaf),
        pl.Series("neg_log_10_p_value", nlp),
        pl.Series("n", n),
        pl.Series("info", rng.uniform(0.3, 1.0, v.height)),
        pl.Series("hwe_p", hwe),
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[dict[str, Path], Path, dict[str, pl.DataFrame], pl.DataFrame]:
    folder = tmp_path_factory.mktemp("demo_preset")
    consortium = simulate_consortium(demo_spec(n_variants=1_000, scale=0.2), seed=3)
    roles = {name: role for name, _, role in DEMO_COHORTS}
    rng = np.random.default_rng(2022)
    tables, paths = {}, {}
    for cohort in consortium.cohorts:
        if roles[cohort.name] != "discovery":
            continue
        t = _study(cohort, rng)
        if cohort.name == "germany":  # a mis-coded batch: labels swapped, values kept
            bad = pl.Series(rng.random(t.height) < 0.05)
            t = t.with_columns(
                effect_allele=pl.when(bad).then("other_allele").otherwise("effect_allele"),
                other_allele=pl.when(bad).then("effect_allele").otherwise("other_allele"),
            )
        tables[cohort.name] = t
        write_sumstats(t, folder / cohort.name, metadata={"genome_assembly": "GRCh37"}, tsv=False)
        paths[cohort.name] = folder / f"{cohort.name}.parquet"
    panel = np.hstack(
        [_dosages(c.genotypes).T for c in consortium.cohorts if roles[c.name] == "replication"]
    )
    af = np.nanmean(panel, axis=1) / 2
    v = consortium.cohorts[0].variants
    reference = pl.DataFrame(
        {
            "CHR": "chr" + v["chromosome"],
            "POS": v["base_pair_location"],
            "A1": v["effect_allele"],
            "A2": v["other_allele"],
            "AF": af,
        }
    )
    ref_path = folder / "panel.tsv"
    reference.write_csv(ref_path, separator="\t")
    return paths, ref_path, tables, reference


def _expected(table: pl.DataFrame, reference: pl.DataFrame) -> dict[str, int]:
    ref = reference.select(
        pl.col("CHR").str.strip_prefix("chr").alias("chromosome"),
        pl.col("POS").alias("base_pair_location"),
        "A1",
        "A2",
        "AF",
    )
    j = table.join(ref, on=["chromosome", "base_pair_location"], how="left")
    ea, oa = pl.col("effect_allele"), pl.col("other_allele")
    ref_f = (
        pl.when((ea == pl.col("A1")) & (oa == pl.col("A2")))
        .then(pl.col("AF"))
        .when((ea == pl.col("A2")) & (oa == pl.col("A1")))
        .then(1 - pl.col("AF"))
    )
    f = pl.col("effect_allele_frequency")
    beta, se = pl.col("beta"), pl.col("standard_error")
    reason = (
        pl.when(beta.is_null() | ~beta.is_finite())
        .then(pl.lit("non_finite_beta"))
        .when(se.is_null() | ~se.is_finite() | (se <= 0))
        .then(pl.lit("se_not_positive"))
        .when(pl.col("info") <= 0.6)
        .then(pl.lit("info_low"))
        .when(pl.min_horizontal(f, 1 - f) <= 0.01)
        .then(pl.lit("maf_low"))
        .when(pl.col("hwe_p") <= 1e-6)
        .then(pl.lit("hwe_low"))
        .when((f - ref_f).abs() > 0.30)
        .then(pl.lit("eaf_discrepancy"))
    )
    counts = j.select(reason.alias("r"))["r"].value_counts()
    return {r: int(c) for r, c in counts.iter_rows() if r is not None}


def test_cli_meta__ihgc2022_preset_counts_on_the_demo(demo, tmp_path: Path, capsys) -> None:
    paths, ref_path, tables, reference = demo
    out = tmp_path / "m"
    argv = ["meta", "--qc-preset", "ihgc2022", "--eaf-reference", str(ref_path),
            "--population", "none", "--out", str(out), "--no-progress", "--no-tsv"]  # fmt: skip
    for name, path in paths.items():
        argv += ["--study", f"{name}={path}"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    studies = pl.read_parquet(tmp_path / "m.studies.parquet")
    dropped = pl.read_parquet(tmp_path / "m.dropped.parquet").filter(pl.col("stage") == "qc")
    assert studies.height == 4
    total: dict[str, int] = {}
    for name, table in tables.items():
        expected = _expected(table, reference)
        row = studies.filter(pl.col("study") == name).row(0, named=True)
        got = {
            r: row[r]
            for r in (
                "non_finite_beta",
                "se_not_positive",
                "info_low",
                "maf_low",
                "hwe_low",
                "eaf_discrepancy",
                "n_low",
                "invalid_alleles",
                "duplicate",
            )
            if row[r]
        }
        assert got == expected, name
        mine = dropped.filter(pl.col("study") == name)["reason"].value_counts()
        assert dict(mine.iter_rows()) == expected
        line = f"{name}: {sum(expected.values())} rows dropped by QC ("
        assert line in err
        for r, c in expected.items():
            total[r] = total.get(r, 0) + c
    # per-variant N: the sum of the N of the studies whose row entered the meta-analysis
    all_dropped = pl.read_parquet(tmp_path / "m.dropped.parquet").select(
        "study", "chromosome", "base_pair_location"
    )
    entered = (
        pl.concat(
            [
                t.select(pl.lit(k).alias("study"), "chromosome", "base_pair_location", "n")
                for k, t in tables.items()
            ]
        )
        .join(all_dropped, on=["study", "chromosome", "base_pair_location"], how="anti")
        .group_by("chromosome", "base_pair_location")
        .agg(pl.col("n").sum().alias("n_expected"), pl.len().alias("k"))
    )
    meta = pl.read_parquet(tmp_path / "m.parquet")
    both = meta.join(entered, on=["chromosome", "base_pair_location"])
    assert both.height == meta.height == entered.height > 500
    assert (both["n_studies"] == both["k"]).all()
    np.testing.assert_array_equal(both["n"].to_numpy(), both["n_expected"].to_numpy())
    # each filter did something on this consortium; the swapped batch is what the
    # frequency filter finds
    assert total["info_low"] > 1000 and total["maf_low"] > 0 and total["eaf_discrepancy"] > 5
    assert _expected(tables["finland"], reference).get("eaf_discrepancy", 0) == 0
