"""Imputation quality and Hardy-Weinberg counts of a block of dosages, in the scan's own pass.

Dosages ``g`` are ``(n_samples, m)`` effect-allele counts in 0..2 with NaN for a missing call;
every measure uses the samples with a call, per variant.

**MaCH r²**, as ``plink2 --freq cols=+machr2`` computes it (PLINK 2's
``MultiallelicDiploidMachR2``; Li et al. 2010, doi:10.1002/gepi.20533): the empirical variance of
the dosages over the variance a perfectly imputed variant would have under Hardy-Weinberg, summed
over both alleles of a biallelic variant (which gives the same ratio)::

    p = sum(d) / (2 n),   r² = (sum(d²) / n - (2 p)²) / (2 p (1 - p))

NaN when the variant is monomorphic among the samples (``p`` 0 or 1), as plink2 prints ``NA``.
The block kernel sums dosages rounded to PLINK 2's 1/16384 units for r² (and hard calls), as
plink2 holds them: without that rounding a rare variant's r² (MAF 0.012, 500 samples) differs
from plink2's by 3e-4, with it by < 5e-5. The info uses the dosages as read (the rounding would
bias the info of a rare variant, whose many tiny dosages round to 0, by up to 5e-4).
Hard calls give a ratio near 1 (above it with excess heterozygosity).

**IMPUTE2 info** (Marchini and Howie 2010, doi:10.1038/nrg2796, supplementary S3; the measure
``SNPTEST`` and ``qctool`` report as ``info``)::

    theta = sum(e_i) / (2 n),   info = 1 - sum(f_i - e_i²) / (2 n theta (1 - theta))

with ``e_i = P(het) + 2 P(hom)`` the expected dosage and ``f_i = P(het) + 4 P(hom)`` the expected
squared dosage of sample ``i``; 1 when ``theta`` is 0 or 1 (IMPUTE2's convention).
:func:`impute2_info_from_probabilities` takes the genotype probabilities;
:func:`impute2_info` takes dosages, with each sample's genotype probabilities taken as the
least uncertain ones that give its dosage, on the two nearest genotypes (``d`` in [0, 1]:
``P(het) = d``; ``d`` in [1, 2]: ``P(het) = 2 - d``, ``P(hom) = d - 1``), as PLINK 2 rebuilds
probabilities from a dosage on export. That is the info the file's dosages can show: it equals
the probability-based info where no sample has weight on all three genotypes, and is above it
otherwise. Hard calls give info 1.

Where the file holds genotype probabilities (BGEN layout 2, VCF ``GP``, Oxford ``.gen``) the
scan reads each sample's genotype variance ``f_i - e_i²`` with the dosages and the info is
IMPUTE2's from the probabilities; the metadata says which.

**Hardy-Weinberg counts** come from hard calls as PLINK 2 makes them from dosages (its
``--hard-call-threshold`` default 0.1): a dosage within 0.1 of 0, 1 or 2 is that genotype, any
other dosage is a missing hard call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from gwaskit.qc.hwe import hwe_neg_log10_p

#: PLINK 2 stores a dosage in units of 1/16384; the sums are of dosages rounded so.
DOSAGE_UNITS = 16384.0
#: PLINK 2's default ``--hard-call-threshold``: a dosage this close to 0, 1 or 2 is a hard call.
HARD_CALL_THRESHOLD = 0.1


@dataclass(frozen=True)
class ImputationQuality:
    """Per variant of a block, shape ``(m,)``: ``mach_r2`` and ``info`` (see the module
    docstring; NaN for ``mach_r2`` of a monomorphic or uncalled variant, NaN ``info`` for an
    uncalled one) and ``hwe_neg_log10_p``, -log10 of the HWE exact test p-value on hard calls
    (NaN without any)."""

    mach_r2: np.ndarray
    info: np.ndarray
    hwe_neg_log10_p: np.ndarray


@numba.njit(cache=True, nogil=True)
def _add(d, v, j, sums, counts, threshold):  # pragma: no cover - compiled
    if d != d:
        return
    if v < 0.0:  # no variance given: the dosage's two nearest genotypes
        frac = d - 1.0 if d >= 1.0 else d  # above the lower of the two nearest genotypes
        sums[3, j] += frac * (1.0 - frac)
    elif v == v:
        sums[3, j] += v
    sums[4, j] += d
    d = np.rint(d * DOSAGE_UNITS) / DOSAGE_UNITS  # as plink2 holds it, for MaCH r2 and HWE
    sums[0, j] += 1.0
    sums[1, j] += d
    sums[2, j] += d * d
    nearest = np.rint(d)
    if abs(d - nearest) <= threshold and 0.0 <= nearest <= 2.0:
        counts[j, int(nearest)] += 1


@numba.njit(cache=True, nogil=True)
def _block_sums(g, var, has_var, variants_first, threshold, sums, counts):  # pragma: no cover
    v = -1.0
    if variants_first:  # g is (m, n): the transpose of a Fortran-ordered block
        for j in range(g.shape[0]):
            for i in range(g.shape[1]):
                if has_var:
                    v = np.float64(var[j, i])
                _add(np.float64(g[j, i]), v, j, sums, counts, threshold)
    else:
        for i in range(g.shape[0]):
            for j in range(g.shape[1]):
                if has_var:
                    v = np.float64(var[i, j])
                _add(np.float64(g[i, j]), v, j, sums, counts, threshold)


def block_sums(
    g: np.ndarray, variance: np.ndarray | None = None, *, threshold: float = HARD_CALL_THRESHOLD
) -> tuple[np.ndarray, np.ndarray]:
    """One pass over ``g`` ``(n, m)`` (in its memory order): ``(5, m)`` float64 sums per
    variant, of calls, dosages and squared dosages in PLINK 2's 1/16384 units, per-sample
    genotype variances (``variance`` of the same shape, else those of :func:`dosage_spread`)
    and dosages as given; and ``(m, 3)`` int64 counts of hard calls 0, 1 and 2 (a dosage
    within ``threshold`` of the genotype, PLINK 2's hard calls from dosages)."""
    m = g.shape[1]
    sums = np.zeros((5, m))
    counts = np.zeros((m, 3), dtype=np.int64)
    has_var = variance is not None
    if g.flags.f_contiguous and not g.flags.c_contiguous:
        var = np.asfortranarray(variance).T if has_var else g.T
        _block_sums(g.T, var, has_var, True, threshold, sums, counts)
    else:
        g = np.ascontiguousarray(g)
        var = np.ascontiguousarray(variance) if has_var else g
        _block_sums(g, var, has_var, False, threshold, sums, counts)
    return sums, counts


def mach_r2(n: np.ndarray, dosage_sum: np.ndarray, dosage_ssq: np.ndarray) -> np.ndarray:
    """MaCH r² from the calls ``n``, the dosage sums and the squared-dosage sums per variant
    (plink2 ``--freq cols=+machr2``).

    >>> float(mach_r2(np.array([4.0]), np.array([4.0]), np.array([6.0]))[0])  # 0, 1, 1, 2
    1.0
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = dosage_sum / n
        p = mean / 2.0
        expected = 2.0 * p * (1.0 - p)
        observed = dosage_ssq / n - mean * mean
        return np.where(expected > 0, observed / expected, np.nan)


def impute2_info_from_probabilities(p_het: np.ndarray, p_hom: np.ndarray) -> np.ndarray:
    """IMPUTE2 info from genotype probabilities ``(n, m)``: ``p_het`` of the heterozygote and
    ``p_hom`` of the effect-allele homozygote (NaN for a missing call).

    >>> info = impute2_info_from_probabilities(np.array([[0.5], [0.0]]), np.array([[0.0], [1.0]]))
    >>> round(float(info[0]), 6)  # e = 0.5, 2; f = 0.5, 4; theta = 5/8
    0.733333
    """
    called = ~(np.isnan(p_het) | np.isnan(p_hom))
    het = np.where(called, p_het, 0.0).astype(np.float64)
    hom = np.where(called, p_hom, 0.0).astype(np.float64)
    e = het + 2.0 * hom
    spread = (het + 4.0 * hom - e * e).sum(axis=0)  # sum of per-sample genotype variances
    return _info(called.sum(axis=0).astype(np.float64), e.sum(axis=0), spread)


def impute2_info(n: np.ndarray, dosage_sum: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """IMPUTE2 info from the calls ``n``, the dosage sums and ``spread``, the summed per-sample
    genotype variances (:func:`dosage_spread` for dosages)."""
    return _info(n, dosage_sum, spread)


def _info(n: np.ndarray, e_sum: np.ndarray, spread: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = e_sum / (2.0 * n)
        denominator = 2.0 * n * theta * (1.0 - theta)
        info = np.where(denominator > 0, 1.0 - spread / denominator, 1.0)
    return np.where(n > 0, info, np.nan)


def dosage_spread(g: np.ndarray) -> np.ndarray:
    """Summed genotype variance of each variant's samples when each dosage ``d`` spreads its
    probability over the two nearest genotypes: ``d (1 - d)`` below 1, ``(d - 1)(2 - d)`` above
    (0 for hard calls; NaN calls left out)."""
    d = np.where(np.isnan(g), 0.0, g).astype(np.float64)
    frac = d - np.floor(np.minimum(d, 1.0))  # distance above the lower of the two genotypes
    return (frac * (1.0 - frac)).sum(axis=0)


def imputation_quality(g: np.ndarray, variance: np.ndarray | None = None) -> ImputationQuality:
    """MaCH r², IMPUTE2 info and HWE -log10 p of every variant of ``g`` ``(n_samples, m)``; see
    the module docstring.

    ``variance``, the per-sample genotype variances ``E[g²] - E[g]²`` of the file's genotype
    probabilities (same shape, as :meth:`gwaskit.io.genotypes.GenotypeSource.read_with_variance`
    gives them), makes the info the probability-based IMPUTE2 info; without it, the info is
    that of the dosages.
    """
    (n, total, ssq, spread, exact_total), counts = block_sums(g, variance)
    return ImputationQuality(
        mach_r2=mach_r2(n, total, ssq),
        info=impute2_info(n, exact_total, spread),
        hwe_neg_log10_p=hwe_neg_log10_p(counts, False),
    )
