"""Helpers for the association tests: write generated genotypes, phenotypes and covariates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from bed_reader import to_bed


def write_bed(prefix: Path, g: np.ndarray) -> list[str]:
    """Write dosages ``g`` (n_samples, n_variants; NaN missing) as PLINK 1 with A1 = effect."""
    n, m = g.shape
    iid = [f"s{i}" for i in range(n)]
    to_bed(
        prefix.with_suffix(".bed"),
        g.astype(np.float32),
        properties={
            "fid": iid,
            "iid": iid,
            "sid": [f"v{j}" for j in range(m)],
            "chromosome": ["1"] * m,
            "bp_position": np.arange(1, m + 1) * 100,
            "allele_1": ["A"] * m,
            "allele_2": ["G"] * m,
        },
        count_A1=True,
    )
    return iid


def write_table(path: Path, iid: list[str], columns: dict[str, np.ndarray], fmt: str = "{:.10g}"):
    """A PLINK-style FID IID ... file; NaN written as NA."""
    with open(path, "w") as out:
        out.write("FID IID " + " ".join(columns) + "\n")
        for i, sample in enumerate(iid):
            values = ["NA" if np.isnan(c[i]) else fmt.format(c[i]) for c in columns.values()]
            out.write(f"{sample} {sample} " + " ".join(values) + "\n")


def simulate_genotypes(
    rng: np.random.Generator, n: int, mafs: np.ndarray, missing_rate: float = 0.0
) -> np.ndarray:
    g = rng.binomial(2, mafs, size=(n, mafs.size)).astype(np.float64)
    if missing_rate:
        g[rng.random(g.shape) < missing_rate] = np.nan
    return g


def read_plink2_glm(path: Path) -> pl.DataFrame:
    """A plink2 .glm.* table with beta signed for bim column 5 (our effect allele, 'A')."""
    table = pl.read_csv(path, separator="\t", null_values=["NA", "."], infer_schema_length=0)
    table = table.with_columns(
        pl.col("BETA", "SE", "P").cast(pl.Float64),
        pl.col("OBS_CT").cast(pl.Float64),
    )
    sign = pl.when(pl.col("A1") == "A").then(1.0).otherwise(-1.0)
    return table.with_columns((pl.col("BETA") * sign).alias("beta_effect"))
