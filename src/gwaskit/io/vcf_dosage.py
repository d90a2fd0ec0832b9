"""Dosages of one ALT allele from the FORMAT fields of a VCF record (GT and GP).

Array functions on cyvcf2's arrays (one record, all samples at once); :mod:`gwaskit.io.vcf`
reads the records. A split multi-allelic record asks for its ALT number ``allele`` (1-based, as
in GT); the other ALT alleles then count as REF, as after ``bcftools norm -m-``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gp_dosage", "gp_variance", "gt_dosage"]


def gt_dosage(genotype: np.ndarray, allele: int = 1) -> np.ndarray:
    """Counts of allele ``allele`` (1 = first ALT) from cyvcf2's ``genotype.array()``: int16
    ``(n, ploidy + 1)``.

    The first ``ploidy`` columns are allele codes (``-1`` missing, ``-2`` vector end, i.e. a
    haploid call in a diploid record); the last is the phase flag. A diploid call counts its
    non-reference alleles and is NaN when either allele is missing; a haploid call counts
    0 or 2 (as plink2 imports chrX in males). A call of ploidy above 2 (``0/0/1/1``) has no
    0..2 dosage and is NaN.
    """
    alleles = genotype[:, :-1]
    present = alleles != -2
    count = (alleles == allele).sum(axis=1).astype(np.float32)
    dosage = np.where(present.sum(axis=1) == 1, 2 * count, count).astype(np.float32)
    dosage[(alleles == -1).any(axis=1) | (present.sum(axis=1) > 2)] = np.nan
    return dosage


def gp_dosage(gp: np.ndarray, n_alleles: int, allele: int = 1) -> np.ndarray:
    """Expected counts of allele ``allele`` from a FORMAT GP array ``(n, width)`` (NaN-padded).

    A row of ``n_alleles`` values is haploid (dosage ``2 P(allele)``); of
    ``n_alleles (n_alleles + 1) / 2`` values diploid, in VCF genotype order (``j/k`` at
    ``k (k + 1) / 2 + j``). Rows that do not sum to 1 within 0.01 are read as Phred-scaled.
    Anything else (other ploidy, all missing) is NaN.
    """
    gp = np.asarray(gp, dtype=np.float64)
    width = np.isfinite(gp).sum(axis=1)
    values = np.nan_to_num(gp, nan=0.0)
    phred = np.abs(values.sum(axis=1) - 1.0) > 0.01
    values[phred] = np.where(np.isfinite(gp[phred]), 10.0 ** (-values[phred] / 10.0), 0.0)
    n_diploid = n_alleles * (n_alleles + 1) // 2
    weights = np.zeros(max(n_diploid, gp.shape[1]))
    for k in range(n_alleles):  # at most a few dozen genotypes: a loop over them, not samples
        for j in range(k + 1):
            weights[k * (k + 1) // 2 + j] = (j == allele) + (k == allele)
    dosage = values @ weights[: gp.shape[1]]
    if gp.shape[1] >= n_alleles:
        haploid = 2.0 * values[:, allele]
        dosage = np.where(width == n_alleles, haploid, dosage)
    dosage = dosage.astype(np.float32)
    dosage[(width != n_diploid) & (width != n_alleles)] = np.nan
    return dosage


def gp_variance(gp: np.ndarray, n_alleles: int, allele: int = 1) -> np.ndarray:
    """Genotype variance ``E[c²] - E[c]²`` of the count ``c`` of allele ``allele`` under a
    FORMAT GP array ``(n, width)``, per sample, read as :func:`gp_dosage` reads it (a haploid
    call counts 0 or 2); NaN where :func:`gp_dosage` is NaN."""
    gp = np.asarray(gp, dtype=np.float64)
    width = np.isfinite(gp).sum(axis=1)
    values = np.nan_to_num(gp, nan=0.0)
    phred = np.abs(values.sum(axis=1) - 1.0) > 0.01
    values[phred] = np.where(np.isfinite(gp[phred]), 10.0 ** (-values[phred] / 10.0), 0.0)
    n_diploid = n_alleles * (n_alleles + 1) // 2
    counts = np.zeros(max(n_diploid, gp.shape[1]))
    for k in range(n_alleles):
        for j in range(k + 1):
            counts[k * (k + 1) // 2 + j] = (j == allele) + (k == allele)
    counts = counts[: gp.shape[1]]
    mean = values @ counts
    variance = values @ (counts * counts) - mean * mean
    if gp.shape[1] >= n_alleles:
        p = values[:, allele]
        variance = np.where(width == n_alleles, 4.0 * p * (1.0 - p), variance)
    variance = np.maximum(variance, 0.0).astype(np.float32)
    variance[(width != n_diploid) & (width != n_alleles)] = np.nan
    return variance
