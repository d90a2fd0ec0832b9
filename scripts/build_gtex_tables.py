"""Build src/gwaskit/data/gtex_specific_genes.tsv.gz, the tissue-specific gene sets.

Input: GTEx_t_score.tsv.gz of the R package deTS 1.0 (see
../shared/data/gtex_tissue_expression_deTS/PROVENANCE.md): t-statistics of each of 47 GTEx
tissues against all others, 14,725 genes. As deTS does (``ratio = 0.05``), a gene is specific to a
tissue when its t-score is in the top 5 % of that tissue's column. Output: one row per gene
(the 14,725 form the background), one 0/1 column per tissue.

Run from the repository root: python scripts/build_gtex_tables.py [SHARED_DATA]
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
RATIO = 0.05


def main() -> None:
    t = pl.read_csv(
        DATA / "gtex_tissue_expression_deTS" / "GTEx_t_score.tsv.gz",
        separator="\t",
        null_values="NA",
        infer_schema_length=None,
    )
    tissues = [c for c in t.columns if c != "gene_symbol"]
    out = t.select(
        pl.col("gene_symbol").alias("symbol"),
        *[
            (pl.col(c) >= pl.col(c).quantile(1 - RATIO, interpolation="higher"))
            .fill_null(False)
            .cast(pl.Int8)
            .alias(c)
            for c in tissues
        ],
    ).sort("symbol")
    path = ROOT / "src" / "gwaskit" / "data" / "gtex_specific_genes.tsv.gz"
    with gzip.GzipFile(path, "wb", mtime=0, compresslevel=9) as gz:
        out.write_csv(gz, separator="\t")
    print(out.height, "genes,", len(tissues), "tissues,", path.stat().st_size, "bytes")
    print(out.select(pl.exclude("symbol").sum()).row(0)[:5])


if __name__ == "__main__":
    main()
