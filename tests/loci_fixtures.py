"""Shared test data for the loci and annotate tests: the 1000 Genomes EUR chr20 panel as a
PLINK 1 fileset (converted by plink2 in the session) and summary statistics simulated on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import run_tool
from gwaskit.stats import neg_log10_p_from_t


@pytest.fixture(scope="session")
def kg_bed(tmp_path_factory: pytest.TempPathFactory, test_data: Path, plink2: str) -> Path:
    """1000 Genomes EUR, 300 people x 24,990 variants of chr20 (GRCh37), as .bed/.bim/.fam."""
    out = tmp_path_factory.mktemp("kg") / "kg"
    vcf = test_data / "shapeit4_1kg_eur_chr20" / "reference.vcf.gz"
    run_tool([plink2, "--vcf", str(vcf), "--make-bed", "--threads", "1", "--out", str(out)])
    return out.with_suffix(".bed")


def marginal_ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column simple regression y ~ 1 + x: beta, se, two-sided -log10 p (t, n-2 df)."""
    n = x.shape[0]
    xc = x - x.mean(axis=0)
    yc = y - y.mean()
    sxx = np.einsum("ij,ij->j", xc, xc)
    beta = xc.T @ yc / sxx
    rss = yc @ yc - beta**2 * sxx
    se = np.sqrt(rss / (n - 2) / sxx)
    return beta, se, neg_log10_p_from_t(beta / se, n - 2)


def sumstats_from_genotypes(x: np.ndarray, y: np.ndarray, variants: pl.DataFrame) -> pl.DataFrame:
    """A SumStats table of marginal OLS results on dosages ``x`` (samples x variants)."""
    beta, se, nlp = marginal_ols(x, y)
    n = x.shape[0]
    return variants.select(
        "chromosome", "base_pair_location", "effect_allele", "other_allele", "variant_id"
    ).with_columns(
        pl.Series("beta", beta),
        pl.Series("standard_error", se),
        pl.Series("effect_allele_frequency", x.mean(axis=0) / 2),
        pl.Series("neg_log_10_p_value", nlp),
        pl.Series("p_value", 10.0 ** (-nlp)),
        pl.lit(float(n)).alias("n"),
        pl.col("variant_id").alias("rsid"),
    )


def simulate_ld_genotypes(
    n: int, n_blocks: int, block_size: int, rho: float, rng: np.random.Generator
) -> np.ndarray:
    """Dosages ``(n, n_blocks * block_size)`` with LD blocks: each haplotype thresholds a
    latent AR(1) Gaussian (correlation ``rho`` between neighbours, none across blocks) at the
    allele frequency (uniform 0.1-0.5)."""
    m = n_blocks * block_size
    freq = rng.uniform(0.1, 0.5, m)
    cut = _ndtri(freq)
    dosage = np.zeros((n, m))
    for _ in range(2):
        z = np.empty((n, m))
        for b in range(n_blocks):
            cols = range(b * block_size, (b + 1) * block_size)
            prev = rng.standard_normal(n)
            for j in cols:
                prev = rho * prev + np.sqrt(1 - rho * rho) * rng.standard_normal(n)
                z[:, j] = prev
        dosage += z < cut
    return dosage


def _ndtri(p: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(p)


def write_bed(path: Path, dosage: np.ndarray, chrom, positions: np.ndarray) -> Path:
    """Write dosages (counts of allele A = effect allele) as a PLINK 1 fileset."""
    from bed_reader import to_bed

    n, m = dosage.shape
    to_bed(
        path,
        dosage.astype(np.float32),
        properties={
            "fid": [f"f{i}" for i in range(n)],
            "iid": [f"i{i}" for i in range(n)],
            "sid": [f"v{j}" for j in range(m)],
            "chromosome": [chrom] * m if isinstance(chrom, str) else list(chrom),
            "bp_position": positions.astype(np.int32),
            "allele_1": ["A"] * m,
            "allele_2": ["G"] * m,
        },
        count_A1=True,
    )
    return path
