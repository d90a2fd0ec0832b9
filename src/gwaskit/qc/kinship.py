"""KING-robust kinship (Manichaikul et al. 2010, doi:10.1093/bioinformatics/btq559).

For each pair of samples, over the variants called in both: ``HETHET`` (both heterozygous),
``IBS0`` (opposite homozygotes), and each one's heterozygote count ``HET_i``, ``HET_j``. The
kinship is KING-robust's between-family estimator, as ``plink2 --make-king`` computes it,

    phi = 1/2 - (4 IBS0 + (HET_i - HETHET) + (HET_j - HETHET)) / (4 min(HET_i, HET_j)),

which equals ``(HETHET - 2 IBS0) / (2 min) + 1/2 - (HET_i + HET_j) / (4 min)`` and, for a pair
of equal heterozygosity, the within-family ``(HETHET - 2 IBS0) / (HET_i + HET_j)``. The counts are popcounts
over bit planes of the packed genotypes (a compiled kernel, tiled over sample pairs and variant
words), never a float matrix. Memory: the bit planes, ``24 * n_samples * n_variants / 64``
bytes, and four numbers per pair (``n_samples * (n_samples - 1) / 2``).

Kinship degrees (KING's cut-offs, ``2 ** -(k + 1.5)``): duplicate/MZ twin > 0.354, first degree
> 0.177, second > 0.0884, third > 0.0442.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numba import njit, prange

from gwaskit.engine import Engine
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.qc.packed import bitplanes, map_blocks, popcount64

#: KING kinship cut-offs of each degree of relationship (lower bounds).
KING_DEGREES = {"duplicate": 0.354, "first": 0.177, "second": 0.0884, "third": 0.0442}

_WORD_CHUNK = 64


@njit(cache=True, nogil=True, parallel=True)
def _king_chunk(
    hom_a1: np.ndarray,
    het: np.ndarray,
    hom_a2: np.ndarray,
    called: np.ndarray,
    order: np.ndarray,
    out: np.ndarray,
) -> None:
    """Add one word chunk's pair counts to ``out`` (C-contiguous ``(n, n_words)`` planes).

    The word loop is branch-free over C-contiguous rows so that LLVM vectorises the popcounts.
    """
    n, n_words = het.shape
    for t in prange(n):
        i = order[t]
        base = i * n - i * (i + 1) // 2
        for j in range(i + 1, n):
            both = 0
            hethet = 0
            ibs0 = 0
            het_i = 0
            het_j = 0
            for w in range(n_words):
                ai = hom_a1[i, w]
                hi = het[i, w]
                bi = hom_a2[i, w]
                ci = called[i, w]
                aj = hom_a1[j, w]
                hj = het[j, w]
                bj = hom_a2[j, w]
                cj = called[j, w]
                both += popcount64(ci & cj)
                hethet += popcount64(hi & hj)
                ibs0 += popcount64((ai & bj) | (bi & aj))
                het_i += popcount64(hi & cj)
                het_j += popcount64(hj & ci)
            q = base + j - i - 1
            out[q, 0] += both
            out[q, 1] += hethet
            out[q, 2] += ibs0
            out[q, 3] += het_i
            out[q, 4] += het_j


def king_counts(planes: np.ndarray) -> np.ndarray:
    """Pair counts from bit planes ``uint64 (3, n, n_words)`` (see :func:`bitplanes`).

    Returns ``int32 (n * (n - 1) / 2, 5)``, pairs ``i < j`` in row-major order: variants called
    in both, HETHET, IBS0, HET_i, HET_j (each over the variants called in both).

    Words are taken in chunks of 64 (4,096 variants) so that every sample's chunk stays in
    cache; rows go to threads in the order 0, n-1, 1, n-2, ... to balance the triangle.
    """
    n, n_words = planes.shape[1], planes.shape[2]
    out = np.zeros((n * (n - 1) // 2, 5), dtype=np.int32)
    order = np.empty(n, dtype=np.int64)
    order[0::2] = np.arange((n + 1) // 2)
    order[1::2] = n - 1 - np.arange(n // 2)
    for w0 in range(0, n_words, _WORD_CHUNK):
        hom_a1, het, hom_a2 = (
            np.ascontiguousarray(planes[k][:, w0 : w0 + _WORD_CHUNK]) for k in range(3)
        )
        _king_chunk(hom_a1, het, hom_a2, hom_a1 | het | hom_a2, order, out)
    return out


@dataclass(frozen=True)
class KingResult:
    """KING-robust kinship for all pairs of the selected samples.

    ``pairs`` holds ``(i, j)`` as indices into the source's samples (``i < j`` in selection
    order), and the per-pair arrays ``n_variants``, ``hethet``, ``ibs0`` and ``kinship``.
    """

    pairs: np.ndarray
    n_variants: np.ndarray
    hethet: np.ndarray
    ibs0: np.ndarray
    kinship: np.ndarray

    def table(self, samples: pl.DataFrame, *, min_kinship: float | None = None) -> pl.DataFrame:
        """Pairs as a table like ``plink2 --make-king-table``: fid1 iid1 fid2 iid2 n_variants
        hethet ibs0 kinship (pairs with kinship above ``min_kinship`` only, if given)."""
        sel = (
            np.ones(self.kinship.size, bool) if min_kinship is None else self.kinship > min_kinship
        )
        i, j = self.pairs[sel, 0], self.pairs[sel, 1]
        fid, iid = samples["fid"], samples["iid"]
        return pl.DataFrame(
            {
                "fid1": fid.gather(i),
                "iid1": iid.gather(i),
                "fid2": fid.gather(j),
                "iid2": iid.gather(j),
                "n_variants": self.n_variants[sel],
                "hethet": self.hethet[sel],
                "ibs0": self.ibs0[sel],
                "kinship": self.kinship[sel],
            },
            schema={
                "fid1": pl.String,
                "iid1": pl.String,
                "fid2": pl.String,
                "iid2": pl.String,
                "n_variants": pl.Int32,
                "hethet": pl.Int32,
                "ibs0": pl.Int32,
                "kinship": pl.Float64,
            },
        )


def king_robust(
    hethet: np.ndarray, ibs0: np.ndarray, het_i: np.ndarray, het_j: np.ndarray
) -> np.ndarray:
    """KING-robust between-family kinship from pair counts (NaN when either has no het)."""
    hethet, ibs0 = np.asarray(hethet, np.float64), np.asarray(ibs0, np.float64)
    het_i, het_j = np.asarray(het_i, np.float64), np.asarray(het_j, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.5 - (4.0 * ibs0 + het_i + het_j - 2.0 * hethet) / (4.0 * np.minimum(het_i, het_j))


def king_kinship(
    source: GenotypeSource,
    *,
    variant_mask: np.ndarray | None = None,
    sample_index: np.ndarray | None = None,
    engine: Engine | None = None,
) -> KingResult:
    """KING-robust kinship of every pair of samples.

    Parameters
    ----------
    source
        Genotypes (streamed in packed blocks).
    variant_mask
        Boolean mask of the variants to use (default all; PLINK uses autosomes).
    sample_index
        Indices of the samples to compare (default all).
    """
    n = source.n_samples
    samples = np.arange(n) if sample_index is None else np.asarray(sample_index, dtype=np.int64)
    mask = np.ones(source.n_variants, bool) if variant_mask is None else np.asarray(variant_mask)

    def planes_of(block: range, packed: np.ndarray) -> np.ndarray:
        chosen = np.flatnonzero(mask[block.start : block.stop])
        return bitplanes(np.ascontiguousarray(packed[chosen]), samples)

    parts = [p for p in map_blocks(source, planes_of, engine=engine, description="bit planes")]
    planes = np.concatenate(parts, axis=2) if parts else None
    if planes is None or planes.shape[2] == 0:
        planes = np.zeros((3, samples.size, 0), dtype=np.uint64)
    counts = king_counts(planes)
    ii, jj = np.triu_indices(samples.size, k=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kinship = king_robust(counts[:, 1], counts[:, 2], counts[:, 3], counts[:, 4])
    return KingResult(
        pairs=np.column_stack([samples[ii], samples[jj]]),
        n_variants=counts[:, 0],
        hethet=counts[:, 1],
        ibs0=counts[:, 2],
        kinship=kinship,
    )
