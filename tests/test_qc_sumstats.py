"""Summary-statistics QC: reasons, P-Z and SE-N checks, build detection, frequency check."""

from __future__ import annotations

from importlib import resources

import numpy as np
import polars as pl

from gwaskit.qc.sumstats import detect_build, qc_sumstats, se_n_scale
from gwaskit.stats import neg_log10_p_from_z


def _table(**columns) -> pl.DataFrame:
    n = len(columns["beta"])
    base = {
        "chromosome": ["1"] * n,
        "base_pair_location": list(range(100, 100 + n)),
        "effect_allele": ["A"] * n,
        "other_allele": ["G"] * n,
        "standard_error": [0.1] * n,
        "n": [1000.0] * n,
    }
    base.update(columns)
    t = pl.DataFrame(base)
    z = (t["beta"] / t["standard_error"]).to_numpy()
    nlp = neg_log10_p_from_z(z)
    return t.with_columns(
        pl.Series("neg_log_10_p_value", nlp),
        pl.Series("p_value", columns.get("p_value", 10**-nlp)),
    )


def test_qc_sumstats__each_reason() -> None:
    t = _table(
        beta=[0.1, np.nan, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2],  # the last two: one variant, two betas
        standard_error=[0.1, 0.1, 0.0, 0.1, 0.1, 0.1, 0.1, 0.1],
        effect_allele=["A", "A", "A", "N", "A", "A", "A", "A"],
        other_allele=["G", "G", "G", "G", "A", "G", "G", "G"],
        p_value=[0.3, 0.3, 0.3, 0.3, 0.3, 1.5, 0.3, 0.3],
        base_pair_location=[1, 2, 3, 4, 5, 6, 7, 7],
    )
    qc = qc_sumstats(t, population=None)
    assert qc.counts["non_finite_beta"] == 1
    assert qc.counts["se_not_positive"] == 1
    assert qc.counts["invalid_alleles"] == 2  # N allele; A/A
    assert qc.counts["p_out_of_range"] == 1
    assert qc.counts["duplicate"] == 2
    assert qc.table.height == 1
    assert qc.dropped.height == 7 and qc.dropped["reason"].null_count() == 0


def test_qc_sumstats__pz_inconsistency_counted() -> None:
    t = _table(beta=[0.1, 0.5, 0.2], p_value=[0.3173, 0.3173, 0.0455])
    qc = qc_sumstats(t, population=None)
    assert qc.summary["pz_inconsistent"] == 1  # z = 5 reported with p = 0.32


def test_se_n_scale__flags_wrong_n() -> None:
    """Standardised trait: se = 1/sqrt(2 N f(1-f)) gives 1; N overstated 4x gives 2."""
    rng = np.random.default_rng(0)
    f = rng.uniform(0.1, 0.9, 2000)
    n = np.full(2000, 5000.0)
    se = 1 / np.sqrt(2 * n * f * (1 - f))
    t = pl.DataFrame({"standard_error": se, "effect_allele_frequency": f, "n": n})
    np.testing.assert_allclose(se_n_scale(t), 1.0, rtol=1e-12)
    np.testing.assert_allclose(se_n_scale(t.with_columns(pl.col("n") * 4)), 2.0, rtol=1e-12)


def _reference(name: str) -> pl.DataFrame:
    with resources.files("gwaskit.data").joinpath(name).open("rb") as fh:
        return pl.read_parquet(fh)


def test_detect_build__from_hapmap3_positions() -> None:
    sample = _reference("hapmap3_build_sample.parquet").head(500)
    for build in ("grch37", "grch38"):
        t = sample.select("chromosome", pl.col(f"pos_{build}").alias("base_pair_location"))
        assert detect_build(t) == {"grch37": "GRCh37", "grch38": "GRCh38"}[build]
        with_rsid = t.with_columns(sample["rsid"])
        assert detect_build(with_rsid) == {"grch37": "GRCh37", "grch38": "GRCh38"}[build]
    shifted = sample.select("chromosome", (pl.col("pos_grch37") + 1).alias("base_pair_location"))
    assert detect_build(shifted) is None


def test_qc_sumstats__eaf_against_reference_aligns_swaps_and_strands() -> None:
    ref = _reference("hapmap3_eaf_grch37.parquet").head(400)
    rng = np.random.default_rng(1)
    swap = rng.random(ref.height) < 0.5
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    ea = np.where(swap, ref["other_allele"], ref["effect_allele"])
    oa = np.where(swap, ref["effect_allele"], ref["other_allele"])
    flip = (rng.random(ref.height) < 0.3) & ~np.isin(
        [a + b for a, b in zip(ea, oa, strict=True)], ["AT", "TA", "CG", "GC"]
    )
    ea = np.array([comp[a] if f else a for a, f in zip(ea, flip, strict=True)])
    oa = np.array([comp[a] if f else a for a, f in zip(oa, flip, strict=True)])
    eur = ref["eaf_eur"].cast(pl.Float64).to_numpy()
    t = _table(
        beta=[0.01] * ref.height,
        chromosome=ref["chromosome"].to_list(),
        base_pair_location=ref["base_pair_location"].to_list(),
        effect_allele=ea.tolist(),
        other_allele=oa.tolist(),
    ).with_columns(effect_allele_frequency=pl.Series(np.where(swap, 1 - eur, eur)))
    qc = qc_sumstats(t, build="GRCh37")
    assert qc.summary["eaf_reference_n"] == ref.height
    assert qc.summary["eaf_reference_r"] > 0.999
    # palindromic SNPs reported on the other strand cannot be told apart; all others agree
    assert qc.summary["eaf_reference_discordant"] == 0
    wrong = t.with_columns((1 - pl.col("effect_allele_frequency")).alias("effect_allele_frequency"))
    bad = qc_sumstats(wrong, build="GRCh37").summary
    assert bad["eaf_reference_r"] < 0
