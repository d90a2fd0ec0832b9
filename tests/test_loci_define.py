"""Locus definition: significant variants, distance leads, PLINK-style clumping.

Debian's plink2 2.00a3.5 has no ``--clump`` (``plink2 --clump`` -> "Unrecognized flag"; it was
added in 2.00a4) and no ``--r2``, so clumps are compared with a naive reference implementation
written here from PLINK 1.9's documented semantics, on LD computed by ``numpy.corrcoef``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gwaskit.errors import ParameterError
from gwaskit.io import open_genotypes
from gwaskit.loci.define import clump, define_loci, lead_variants, significant_variants
from gwaskit.loci.schema import LOCI_SCHEMA
from loci_fixtures import sumstats_from_genotypes


def _toy(positions, nlps, chrom="1") -> pl.DataFrame:
    n = len(positions)
    return pl.DataFrame(
        {
            "chromosome": [chrom] * n,
            "base_pair_location": positions,
            "variant_id": [f"{chrom}:{p}" for p in positions],
            "effect_allele": ["A"] * n,
            "other_allele": ["G"] * n,
            "beta": [0.1] * n,
            "standard_error": [0.01] * n,
            "neg_log_10_p_value": nlps,
        }
    )


def test_significant_variants__threshold_in_log_space():
    table = _toy([10, 20, 30, 40], [7.2, 400.0, 7.29, 8.0])  # -log10(5e-8) = 7.301
    out = significant_variants(table, p=5e-8)
    assert out["base_pair_location"].to_list() == [20, 40]
    with pytest.raises(ParameterError, match="p must be in"):
        significant_variants(table, p=0)


def test_lead_variants__greedy_by_distance():
    # best at 1.0 Mb takes 1.3 Mb; 1.6 Mb is 600 kb away -> its own lead; 1.9 Mb goes with 1.6
    table = _toy([1_000_000, 1_300_000, 1_600_000, 1_900_000], [20.0, 10.0, 9.0, 8.0])
    leads = lead_variants(table, p=5e-8, window_kb=500)
    assert leads["base_pair_location"].to_list() == [1_000_000, 1_600_000]
    assert leads["n_significant"].to_list() == [2, 2]


def test_define_loci__distance_windows_merge_when_overlapping():
    table = pl.concat(
        [
            _toy([1_000_000, 1_600_000, 5_000_000], [20.0, 9.0, 30.0]),
            _toy([300_000], [12.0], chrom="2"),
        ]
    )
    loci = define_loci(table, p=5e-8, window_kb=500)
    assert list(loci.columns[: len(LOCI_SCHEMA)]) == list(LOCI_SCHEMA)
    assert loci["locus_id"].to_list() == [
        "chr1:500000-2100000",  # 1.0 and 1.6 Mb windows overlap -> one locus, lead 1.0 Mb
        "chr1:4500000-5500000",
        "chr2:1-800000",  # clipped at 1
    ]
    assert loci["base_pair_location"].to_list() == [1_000_000, 5_000_000, 300_000]
    assert loci["n_leads"].to_list() == [2, 1, 1]
    assert loci["n_significant"].to_list() == [2, 1, 1]


def test_define_loci__carries_heterogeneity_of_the_lead():
    table = _toy([1_000_000, 1_200_000], [20.0, 9.0]).with_columns(
        pl.Series("i2", [0.75, 0.1]), pl.Series("het_neg_log_10_p", [3.5, 0.2])
    )
    loci = define_loci(table, p=5e-8, window_kb=500)
    assert loci["i2"].to_list() == [0.75]
    assert loci["het_neg_log_10_p"].to_list() == [3.5]
    assert define_loci(_toy([10], [30.0]))["i2"].to_list() == [None]  # single study: unknown


def test_define_loci__no_significant_variant_gives_empty_table():
    loci = define_loci(_toy([10], [3.0]))
    assert loci.height == 0 and list(loci.columns[: len(LOCI_SCHEMA)]) == list(LOCI_SCHEMA)


@pytest.fixture(scope="module")
def kg_sumstats(kg_bed: Path) -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame]:
    """Marginal OLS on the panel itself: 4 causal variants, quantitative trait."""
    with open_genotypes(kg_bed) as src:
        variants = src.variants[:6000]
        x = src.read(range(6000)).astype(np.float64)
    keep = x.std(axis=0) > 0
    x, variants = x[:, keep], variants.filter(pl.Series(keep))
    rng = np.random.default_rng(7)
    y = rng.standard_normal(x.shape[0])
    for j in (400, 1800, 1850, 4000):
        y += 0.45 * (x[:, j] - x[:, j].mean()) / x[:, j].std()
    return sumstats_from_genotypes(x, y, variants), x, variants


def _naive_clump(ss: pl.DataFrame, x: np.ndarray, p1, p2, r2, kb):
    """PLINK 1.9 --clump, written plainly: loops, full correlation matrix."""
    nlp = ss["neg_log_10_p_value"].to_numpy()
    pos = ss["base_pair_location"].to_numpy()
    cand = [i for i in np.argsort(-nlp, kind="stable") if nlp[i] >= -np.log10(p2)]
    r = np.corrcoef(x[:, cand], rowvar=False)
    where = {v: k for k, v in enumerate(cand)}
    clumped: set[int] = set()
    out = {}
    for i in cand:
        if nlp[i] < -np.log10(p1) or i in clumped:
            continue
        clumped.add(i)
        members = []
        for j in cand:
            if j in clumped or abs(pos[j] - pos[i]) > kb * 1000:
                continue
            if r[where[i], where[j]] ** 2 >= r2:
                members.append(j)
                clumped.add(j)
        out[i] = sorted(members)
    return out


@pytest.mark.parametrize(("r2", "kb"), [(0.1, 250), (0.5, 100)])
def test_clump__matches_naive_plink_semantics(kg_bed, kg_sumstats, r2, kb):
    ss, x, _ = kg_sumstats
    expected = _naive_clump(ss, x, 1e-5, 1e-3, r2, kb)
    assert len(expected) >= 3  # the test data must exercise several clumps
    with open_genotypes(kg_bed) as src:
        result = clump(ss, src, p1=1e-5, p2=1e-3, r2=r2, kb=kb)
    ids = ss["variant_id"].to_list()
    got_index = result.clumps["variant_id"].to_list()
    assert got_index == [ids[i] for i in expected]  # same index variants, same (p) order
    got = {
        k: sorted(v)
        for k, v in result.members.group_by("index_variant_id")
        .agg(pl.col("variant_id"))
        .iter_rows()
    }
    for i, members in expected.items():
        assert sorted(ids[j] for j in members) == got.get(ids[i], [])
    assert result.clumps["n_clumped"].to_list() == [len(expected[i]) for i in expected]


def test_define_loci__clumps_merge_into_loci(kg_bed, kg_sumstats):
    ss, _, _ = kg_sumstats
    with open_genotypes(kg_bed) as src:
        loci = define_loci(ss, p=1e-5, reference=src, clump_r2=0.1, clump_p2=1e-3, window_kb=250)
        clumps = clump(ss, src, p1=1e-5, p2=1e-3, r2=0.1, kb=250).clumps
    assert loci["n_leads"].sum() == clumps.height
    # every clump's index variant lies within exactly one locus, and each locus lead is the best
    for row in clumps.iter_rows(named=True):
        inside = loci.filter(
            (pl.col("start") <= row["base_pair_location"])
            & (pl.col("end") >= row["base_pair_location"])
        )
        assert inside.height == 1
        assert inside["neg_log_10_p_value"][0] >= row["neg_log_10_p_value"]
    assert loci["start"].to_list() == sorted(loci["start"].to_list())


def test_clump__block_size_does_not_change_clumps(kg_bed, kg_sumstats, monkeypatch):
    """Two routes: dosages standardised in one block or in blocks of ~7 variants."""
    import gwaskit.loci.ld as ld

    ss, _, _ = kg_sumstats
    with open_genotypes(kg_bed) as src:
        whole = clump(ss, src, p1=1e-5, p2=1e-3, r2=0.2, kb=250)
        monkeypatch.setattr(ld, "_BLOCK_BYTES", 4 * 300 * 7)
        blocked = clump(ss, src, p1=1e-5, p2=1e-3, r2=0.2, kb=250)
    assert whole.clumps.equals(blocked.clumps)
    assert whole.members.select("index_variant_id", "variant_id").equals(
        blocked.members.select("index_variant_id", "variant_id")
    )


def test_clump__input_allele_coding_does_not_matter(kg_bed, kg_sumstats):
    """r² is invariant to which allele the summary statistics count (and to letter case)."""
    ss, _, _ = kg_sumstats
    swapped = ss.with_columns(
        pl.col("other_allele").str.to_lowercase().alias("effect_allele"),
        pl.col("effect_allele").alias("other_allele"),
        -pl.col("beta"),
    )
    with open_genotypes(kg_bed) as src:
        one = clump(ss, src, p1=1e-5, p2=1e-3, r2=0.2, kb=250)
        two = clump(swapped, src, p1=1e-5, p2=1e-3, r2=0.2, kb=250)
    assert one.clumps.equals(two.clumps)
    assert one.clumps["in_reference"].all()
