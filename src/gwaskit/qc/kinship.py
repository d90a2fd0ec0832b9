"""KING-robust kinship (Manichaikul et al. 2010, doi:10.1093/bioinformatics/btq559).

For each pair of samples, over the variants called in both: ``HETHET`` (both heterozygous),
``IBS0`` (opposite homozygotes), and each one's heterozygote count ``HET_i``, ``HET_j``. The
kinship is KING-robust's between-family estimator, as ``plink2 --make-king`` computes it,

    phi = 1/2 - (4 IBS0 + (HET_i - HETHET) + (HET_j - HETHET)) / (4 min(HET_i, HET_j)),

which equals ``(HETHET - 2 IBS0) / (2 min) + 1/2 - (HET_i + HET_j) / (4 min)`` and, for a pair
of equal heterozygosity, the within-family ``(HETHET - 2 IBS0) / (HET_i + HET_j)``. The counts are popcounts
over bit planes of the packed genotypes (a compiled kernel, tiled over sample pairs and variant
words), never a float matrix. Memory: the bit planes, ``24 * n_samples * n_variants / 64``
bytes, one tile of pair counts at a time, and the pairs kept (those above a kinship cut-off, or
all ``n_samples * (n_samples - 1) / 2`` when asked for).

Kinship degrees (KING's cut-offs, ``2 ** -(k + 1.5)``): duplicate/MZ twin > 0.354, first degree
> 0.177, second > 0.0884, third > 0.0442.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numba import njit, prange

from gwaskit.engine import Engine, LocalEngine
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.packed import read_packed
from gwaskit.qc.packed import bitplanes, packed_blocks, popcount64

#: KING kinship cut-offs of each degree of relationship (lower bounds).
KING_DEGREES = {"duplicate": 0.354, "first": 0.177, "second": 0.0884, "third": 0.0442}

_WORD_CHUNK = 64
#: Samples per side of a tile of pairs (the unit of the pair counts kept in memory).
_TILE = 256

#: Columns of a table of sample pairs with their KING-robust kinship.
PAIR_SCHEMA = {
    "fid1": pl.String,
    "iid1": pl.String,
    "fid2": pl.String,
    "iid2": pl.String,
    "n_variants": pl.Int32,
    "hethet": pl.Int32,
    "ibs0": pl.Int32,
    "kinship": pl.Float64,
}


@njit(cache=True, nogil=True, parallel=True)
def _king_tile(
    hom_a1: np.ndarray,
    het: np.ndarray,
    hom_a2: np.ndarray,
    i0: int,
    i1: int,
    j0: int,
    j1: int,
    out: np.ndarray,
) -> None:
    """Pair counts of samples ``i0 <= i < i1`` with ``j0 <= j < j1``, ``j > i``, into
    ``out[i - i0, j - j0]`` (zeroed here): called in both, HETHET, IBS0, HET_i, HET_j.

    Planes are C-contiguous ``(n, n_words)``. Words go in chunks of 64 (4,096 variants) so that
    the tile's rows of a chunk stay in cache; the word loop is branch-free so that LLVM
    vectorises the popcounts. Rows go to threads.
    """
    n_words = het.shape[1]
    for a in prange(i1 - i0):
        i = i0 + a
        for j in range(j1 - j0):
            for k in range(5):
                out[a, j, k] = 0
        for w0 in range(0, n_words, _WORD_CHUNK):
            w1 = min(w0 + _WORD_CHUNK, n_words)
            ra, rh, rb = hom_a1[i, w0:w1], het[i, w0:w1], hom_a2[i, w0:w1]
            for j in range(max(j0, i + 1), j1):
                # 1-D row views: with 2-D indexing LLVM does not vectorise (30x slower)
                sa, sh, sb = hom_a1[j, w0:w1], het[j, w0:w1], hom_a2[j, w0:w1]
                both = 0
                hethet = 0
                ibs0 = 0
                het_i = 0
                het_j = 0
                for w in range(w1 - w0):
                    ai = ra[w]
                    hi = rh[w]
                    bi = rb[w]
                    ci = ai | hi | bi
                    aj = sa[w]
                    hj = sh[w]
                    bj = sb[w]
                    cj = aj | hj | bj
                    both += popcount64(ci & cj)
                    hethet += popcount64(hi & hj)
                    ibs0 += popcount64((ai & bj) | (bi & aj))
                    het_i += popcount64(hi & cj)
                    het_j += popcount64(hj & ci)
                q = j - j0
                out[a, q, 0] += both
                out[a, q, 1] += hethet
                out[a, q, 2] += ibs0
                out[a, q, 3] += het_i
                out[a, q, 4] += het_j


def king_pairs(
    planes: np.ndarray, min_kinship: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of the samples of bit planes ``uint64 (3, n, n_words)`` (see
    :func:`bitplanes`), in row-major order, with their counts and kinship.

    Tiles of ``_TILE x _TILE`` pairs are counted at a time and only the pairs with kinship
    above ``min_kinship`` (all pairs if ``None``) are kept, so memory is the planes plus the
    pairs kept, never ``n^2``.

    Returns ``pairs int64 (k, 2)``, ``counts int32 (k, 5)`` (called in both, HETHET, IBS0,
    HET_i, HET_j) and ``kinship float64 (k,)``.
    """
    n = planes.shape[1]
    hom_a1, het, hom_a2 = (np.ascontiguousarray(planes[k]) for k in range(3))
    tile = np.zeros((_TILE, _TILE, 5), dtype=np.int32)
    found_i, found_j, found_counts, found_kin = [], [], [], []
    for i0 in range(0, n, _TILE):
        i1 = min(i0 + _TILE, n)
        for j0 in range(i0, n, _TILE):
            j1 = min(j0 + _TILE, n)
            _king_tile(hom_a1, het, hom_a2, i0, i1, j0, j1, tile)
            counts = tile[: i1 - i0, : j1 - j0]
            kinship = king_robust(counts[..., 1], counts[..., 2], counts[..., 3], counts[..., 4])
            upper = np.arange(j0, j1)[None, :] > np.arange(i0, i1)[:, None]
            chosen = upper if min_kinship is None else upper & (kinship > min_kinship)
            a, b = np.nonzero(chosen)
            found_i.append(a + i0)
            found_j.append(b + j0)
            found_counts.append(counts[a, b])
            found_kin.append(kinship[a, b])
    if not found_i:
        return np.zeros((0, 2), np.int64), np.zeros((0, 5), np.int32), np.zeros(0)
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    order = np.lexsort((j, i))
    return (
        np.column_stack([i[order], j[order]]).astype(np.int64),
        np.concatenate(found_counts)[order],
        np.concatenate(found_kin)[order],
    )


@dataclass(frozen=True)
class KingResult:
    """KING-robust kinship for pairs of the selected samples (all pairs, or those above a
    cut-off).

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
            schema=PAIR_SCHEMA,
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
    min_kinship: float | None = None,
    engine: Engine | None = None,
) -> KingResult:
    """KING-robust kinship of every pair of samples (or of the pairs above ``min_kinship``).

    Parameters
    ----------
    source
        Genotypes (streamed in packed blocks).
    variant_mask
        Boolean mask of the variants to use (default all; PLINK uses autosomes).
    sample_index
        Indices of the samples to compare (default all).
    min_kinship
        Keep only the pairs with kinship above this (NaN kinships are dropped): memory then
        grows with the related pairs, not with ``n^2``. ``None`` keeps every pair.
    """
    n = source.n_samples
    samples = np.arange(n) if sample_index is None else np.asarray(sample_index, dtype=np.int64)
    mask = np.ones(source.n_variants, bool) if variant_mask is None else np.asarray(variant_mask)

    # each block's planes take whole words (zero bits pad a block's last word and count nothing)
    blocks = packed_blocks(source)
    chosen = [np.flatnonzero(mask[b.start : b.stop]) for b in blocks]
    words = np.concatenate([[0], np.cumsum([(c.size + 63) // 64 for c in chosen])])
    planes = np.zeros((3, samples.size, int(words[-1])), dtype=np.uint64)

    def fill(k: int) -> None:
        if chosen[k].size:
            packed = np.ascontiguousarray(read_packed(source, blocks[k])[chosen[k]])
            planes[:, :, words[k] : words[k + 1]] = bitplanes(packed, samples)

    engine = engine or LocalEngine(1, progress=False)
    engine.map(fill, range(len(blocks)), description="bit planes")
    pairs, counts, kinship = king_pairs(planes, min_kinship)
    return KingResult(
        pairs=samples[pairs],
        n_variants=counts[:, 0],
        hethet=counts[:, 1],
        ibs0=counts[:, 2],
        kinship=kinship,
    )
