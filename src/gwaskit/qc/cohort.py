"""Cohort QC in PLINK's order: sample call rate, variant filters, then heterozygosity, sex and
relatedness on the variants that passed.

1. sample call rate over all variants (``mind``);
2. variant QC in the remaining samples (``geno``, ``maf``, ``mac``, ``hwe`` in controls,
   differential missingness);
3. heterozygosity outliers and sex check, then KING relatedness among the samples still in,
   on the autosomal variants that passed step 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.engine import Engine
from gwaskit.errors import ParameterError
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.qc.kinship import KING_DEGREES
from gwaskit.qc.samples import per_sample_counts, sample_qc
from gwaskit.qc.variants import variant_qc


@dataclass(frozen=True)
class CohortQC:
    """Result of :func:`cohort_qc`: per-sample and per-variant tables with ``keep`` and
    ``reason`` columns, the removed samples with reasons, and the related pairs."""

    samples: pl.DataFrame
    variants: pl.DataFrame
    removed_samples: pl.DataFrame
    removed_variants: pl.DataFrame
    related: pl.DataFrame
    keep_samples: np.ndarray
    keep_variants: np.ndarray


def sample_call_rate(source: GenotypeSource, *, engine: Engine | None = None) -> np.ndarray:
    """Fraction of variants called, per sample (``1 - F_MISS`` of ``plink2 --missing``)."""
    if source.n_variants == 0:
        return np.full(source.n_samples, np.nan)
    counts = per_sample_counts(source, np.zeros(source.n_variants), engine=engine)
    return 1.0 - counts[:, 0] / source.n_variants


def cohort_qc(
    source: GenotypeSource,
    *,
    phenotype: np.ndarray | None = None,
    mind: float | None = 0.05,
    geno: float | None = 0.05,
    maf: float | None = 0.01,
    mac: int | None = None,
    hwe: float | None = 1e-6,
    hwe_midp: bool = False,
    diff_miss: float | None = None,
    het_sd: float | None = 3.0,
    king_cutoff: float | None = KING_DEGREES["second"],
    check_sex: bool = True,
    engine: Engine | None = None,
) -> CohortQC:
    """Run sample and variant QC on a cohort; see the module docstring for the order.

    ``phenotype``: 1 case, 0 control, anything else unknown, per sample of ``source``.
    Thresholds are PLINK's flags of the same names; ``None`` switches a filter off.
    """
    if mind is not None and not 0 <= mind <= 1:
        raise ParameterError(f"mind must be in [0, 1], got {mind!r}.")
    if phenotype is not None and np.shape(phenotype) != (source.n_samples,):
        raise ParameterError(
            f"phenotype must have one value per sample ({source.n_samples}), "
            f"got shape {np.shape(phenotype)}."
        )
    call_rate = sample_call_rate(source, engine=engine)
    keep = np.ones(source.n_samples, bool)
    if mind is not None:
        keep &= ~(call_rate < 1.0 - mind - 1e-12)
    vqc = variant_qc(
        source,
        keep_samples=keep,
        phenotype=phenotype,
        geno=geno,
        maf=maf,
        mac=mac,
        hwe=hwe,
        hwe_midp=hwe_midp,
        diff_miss=diff_miss,
        engine=engine,
    )
    counts = vqc.table.select("n_hom_effect", "n_het", "n_hom_other").to_numpy()
    sqc = sample_qc(
        source,
        variant_counts=counts,
        variant_mask=vqc.keep,
        phenotype=phenotype,
        keep_samples=None,
        call_rate=call_rate,
        mind=mind,
        het_sd=het_sd,
        king_cutoff=king_cutoff,
        check_sex=check_sex,
        engine=engine,
    )
    removed_variants = vqc.table.filter(~pl.col("keep")).select(
        "chromosome", "base_pair_location", "variant_id", "reason"
    )
    samples = sqc.table
    if phenotype is not None:  # for the report's PCA colours: case, control or unknown
        ph = np.asarray(phenotype)
        status = np.where(ph == 1, "case", np.where(ph == 0, "control", ""))
        samples = samples.with_columns(pl.Series("status", status).replace("", None))
    return CohortQC(
        samples=samples,
        variants=vqc.table,
        removed_samples=sqc.removed,
        removed_variants=removed_variants,
        related=sqc.related,
        keep_samples=sqc.keep,
        keep_variants=vqc.keep,
    )
