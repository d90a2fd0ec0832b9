"""Replication: allele alignment, one-sided p, Bonferroni, sign test, combined fixed effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from conftest import run_tool
from gwaskit.loci.define import conform_loci
from gwaskit.loci.replicate import replicate_loci, sign_test_neg_log10_p


def _loci() -> pl.DataFrame:
    return conform_loci(
        pl.DataFrame(
            {
                "locus_id": ["a", "b", "c", "d"],
                "chromosome": ["1", "2", "3", "4"],
                "base_pair_location": [100, 200, 300, 400],
                "variant_id": ["rs1", "rs2", "rs3", "rs4"],
                "effect_allele": ["A", "C", "G", "T"],
                "other_allele": ["G", "T", "A", "C"],
                "beta": [0.20, -0.15, 0.10, 0.30],
                "standard_error": [0.02, 0.02, 0.015, 0.03],
            }
        )
    )


def _replication() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "chromosome": ["1", "2", "3", "9"],
            "base_pair_location": [100, 200, 300, 400],
            "effect_allele": ["A", "T", "G", "T"],  # locus b reported on the other allele
            "other_allele": ["G", "C", "A", "C"],
            "beta": [0.12, 0.09, -0.01, 0.5],
            "standard_error": [0.03, 0.03, 0.02, 0.1],
        }
    )


def test_replicate_loci__alignment_direction_and_bonferroni():
    loci, summary = replicate_loci(_loci(), _replication())
    assert loci["rep_beta"].to_list()[:3] == pytest.approx([0.12, -0.09, -0.01])
    assert loci["rep_beta"][3] is None  # locus d not in the replication data
    assert loci["rep_concordant"].to_list() == [True, True, False, None]
    # one-sided p in the discovery direction, closed form
    z = np.array([0.12 / 0.03, 0.09 / 0.03, -0.01 / 0.02])
    expected = -np.log10(stats.norm.sf(z))
    np.testing.assert_allclose(
        loci["rep_neg_log_10_p_one_sided"].to_numpy()[:3], expected, rtol=1e-10
    )
    # Bonferroni for the 3 loci found: 0.05 / 3; locus b: p = 1.35e-3 < 0.0167
    assert loci["replicated"].to_list() == [True, True, False, None]
    row = summary.row(0, named=True)
    assert (row["n_loci"], row["n_found"], row["n_concordant"], row["n_replicated"]) == (4, 3, 2, 2)
    assert row["bonferroni_alpha"] == pytest.approx(0.05 / 3)
    assert row["sign_test_neg_log_10_p"] == pytest.approx(-np.log10(0.5), rel=1e-12)  # P(X>=2|3)


def test_sign_test__matches_scipy_and_never_underflows():
    for k, n in ((7, 10), (30, 40), (0, 5)):
        p = stats.binomtest(k, n, 0.5, alternative="greater").pvalue
        assert sign_test_neg_log10_p(k, n) == pytest.approx(-np.log10(p), rel=1e-10)
    assert sign_test_neg_log10_p(3000, 3000) == pytest.approx(3000 * np.log10(2), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(flip=st.lists(st.booleans(), min_size=3, max_size=3))
def test_replicate_loci__allele_flips_do_not_change_results(flip):
    rep = _replication()
    swapped = rep.with_columns(
        pl.when(pl.Series([*flip, False]))
        .then(pl.col("other_allele"))
        .otherwise(pl.col("effect_allele"))
        .alias("effect_allele"),
        pl.when(pl.Series([*flip, False]))
        .then(pl.col("effect_allele"))
        .otherwise(pl.col("other_allele"))
        .alias("other_allele"),
        pl.when(pl.Series([*flip, False]))
        .then(-pl.col("beta"))
        .otherwise(pl.col("beta"))
        .alias("beta"),
    )
    one, _ = replicate_loci(_loci(), rep)
    two, _ = replicate_loci(_loci(), swapped)
    assert one.equals(two)


def test_replicate_loci__combined_matches_gwama(gwama: str, tmp_path: Path):
    """Discovery + two replication studies: GWAMA --quantitative fixed effects (printed to 6
    decimals: tolerance 1e-6 absolute, twice the rounding error) on the same three files."""
    loci = _loci()
    rep2 = _replication().with_columns(pl.col("beta") * 0.8 + 0.01, pl.col("standard_error") * 1.2)
    ours, _ = replicate_loci(loci, {"r1": _replication(), "r2": rep2})
    files = []
    for name, table in (
        (
            "disc",
            loci.select("variant_id", "effect_allele", "other_allele", "beta", "standard_error"),
        ),
        ("r1", _replication().with_columns(pl.Series("variant_id", ["rs1", "rs2", "rs3", "rs9"]))),
        ("r2", rep2.with_columns(pl.Series("variant_id", ["rs1", "rs2", "rs3", "rs9"]))),
    ):
        path = tmp_path / f"{name}.txt"
        table.select(
            pl.col("variant_id").alias("MARKERNAME"),
            pl.col("effect_allele").alias("EA"),
            pl.col("other_allele").alias("NEA"),
            pl.col("beta").alias("BETA"),
            pl.col("standard_error").alias("SE"),
        ).write_csv(path, separator="\t")
        files.append(path.name)
    (tmp_path / "gwama.in").write_text("\n".join(files) + "\n")
    run_tool([gwama, "--filelist", "gwama.in", "--quantitative", "--output", "out"], cwd=tmp_path)
    out = pl.read_csv(tmp_path / "out.out", separator="\t")
    ref = {r["rs_number"]: r for r in out.iter_rows(named=True)}
    # loci a-c are in all three files; d is in no replication study, so it has no combined
    # estimate (null, as documented) and is the only locus not compared
    assert ours.filter(pl.col("combined_beta").is_null())["locus_id"].to_list() == ["d"]
    compared = 0
    for row in ours.filter(pl.col("combined_beta").is_not_null()).iter_rows(named=True):
        g = ref[row["variant_id"]]
        sign = 1.0 if g["reference_allele"] == row["effect_allele"] else -1.0
        assert row["combined_beta"] == pytest.approx(sign * g["beta"], abs=1e-6)
        assert row["combined_standard_error"] == pytest.approx(g["se"], abs=1e-6)
        # GWAMA's -log10 p drifts in the far tail (26.44 for z = 10.80, where the normal tail
        # gives 26.47), so compare the z it prints (6 decimals)
        z = row["combined_beta"] / row["combined_standard_error"]
        assert z == pytest.approx(sign * g["z"], abs=1e-4)
        compared += 1
    assert compared == 3
