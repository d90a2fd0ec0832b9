"""Known vs new loci: window, rsID and LD matches; builds never mixed."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from gwaskit.errors import BuildMismatchError, ParameterError
from gwaskit.io import open_genotypes
from gwaskit.loci.define import conform_loci
from gwaskit.loci.novelty import annotate_novelty


def _loci(rows) -> pl.DataFrame:
    chrom, pos, rsid = zip(*rows, strict=True)
    return conform_loci(
        pl.DataFrame(
            {
                "locus_id": [f"L{i}" for i in range(len(rows))],
                "chromosome": list(chrom),
                "base_pair_location": list(pos),
                "rsid": list(rsid),
                "variant_id": list(rsid),
                "effect_allele": ["A"] * len(rows),
                "other_allele": ["G"] * len(rows),
            }
        )
    )


def test_annotate_novelty__window_by_position():
    loci = _loci([("1", 1_000_000, "rs1"), ("1", 5_000_000, "rs2"), ("2", 1_000_000, "rs3")])
    known = pl.DataFrame(
        {
            "chromosome": ["chr1", "1"],
            "base_pair_location": [1_400_000, 5_600_000],
            "rsid": ["rsK1", "rsK2"],
        }
    )
    out = annotate_novelty(loci, known, build="GRCh37", known_build="hg19", window_kb=500)
    assert out["known"].to_list() == [True, False, False]  # 400 kb in; 600 kb out; other chr
    assert out["known_variant"].to_list() == ["rsK1", None, None]
    assert out["known_by"].to_list() == ["window", None, None]


def test_annotate_novelty__refuses_other_build_and_undeclared_positions():
    loci = _loci([("1", 1_000_000, "rs1")])
    known = pl.DataFrame({"chromosome": ["1"], "base_pair_location": [1_000_000]})
    with pytest.raises(BuildMismatchError, match="GRCh38 but the loci are on GRCh37"):
        annotate_novelty(loci, known, build="GRCh37", known_build="GRCh38")
    with pytest.raises(BuildMismatchError):
        annotate_novelty(loci, known.with_columns(pl.lit("GRCh38").alias("build")), build="GRCh37")
    with pytest.raises(ParameterError, match="known_build"):
        annotate_novelty(loci, known, build="GRCh37")


def test_annotate_novelty__rsid_only_table_is_build_free():
    loci = _loci([("1", 1_000_000, "rs1"), ("1", 3_000_000, "rs2"), ("1", 9_000_000, "rs3")])
    sumstats = pl.DataFrame(
        {
            "chromosome": ["1"],
            "base_pair_location": [3_200_000],
            "rsid": ["rs77"],
            "variant_id": ["1:3200000"],
        }
    )
    known = pl.DataFrame({"rsid": ["rs1", "rs77", "rs999"]})
    out = annotate_novelty(loci, known, build="GRCh38", sumstats=sumstats)
    assert out["known"].to_list() == [True, True, False]
    assert out["known_by"].to_list() == ["rsid", "window", None]


def test_annotate_novelty__ld_with_the_lead_on_a_reference(kg_bed):
    with open_genotypes(kg_bed) as src:
        v = src.variants
        x = src.read(range(3000, 3400)).astype(np.float64)
        keep = x.std(axis=0) > 0.3
        r = np.corrcoef(x[:, keep], rowvar=False)
        idx = np.arange(3000, 3400)[keep]
        pos = v["base_pair_location"].to_numpy()[idx]
        # a pair in strong LD at least 20 kb apart, and a variant in no LD with the lead
        i, j = next(
            (a, b)
            for a in range(len(idx))
            for b in range(len(idx))
            if r[a, b] ** 2 > 0.8 and pos[b] - pos[a] > 20_000
        )
        k = next(
            b for b in range(len(idx)) if r[i, b] ** 2 < 0.05 and abs(pos[b] - pos[i]) > 20_000
        )
        lead = v[int(idx[i])]
        loci = conform_loci(
            lead.with_columns(pl.lit("L").alias("locus_id"), pl.lit(None, pl.String).alias("rsid"))
        )
        known_ld = pl.DataFrame({"rsid": [v["variant_id"][int(idx[j])]]})
        known_no = pl.DataFrame({"rsid": [v["variant_id"][int(idx[k])]]})
        hit = annotate_novelty(loci, known_ld, build="GRCh37", window_kb=10, r2=0.5, reference=src)
        miss = annotate_novelty(loci, known_no, build="GRCh37", window_kb=10, r2=0.5, reference=src)
    assert hit["known"][0] and hit["known_by"][0] == "ld"
    assert not miss["known"][0]
