"""Counting on packed 2-bit genotypes: the compiled kernels behind sample and variant QC.

Genotypes are handled as PLINK 1 ``.bed`` bytes, variant-major: one row of
``(n_samples + 3) // 4`` bytes per variant, four samples per byte (first sample in the two low
bits), codes ``0`` = two copies of the effect allele (A1), ``1`` = missing, ``2`` = heterozygous,
``3`` = two copies of the other allele. A PLINK 1 source hands its file bytes over unchanged
(:meth:`gwaskit.io.plink1.PlinkBedSource.read_packed`); any other source is read as float
dosages and packed by :func:`gwaskit.io.packed.read_packed` (rounded to the nearest genotype),
so the kernels serve every format. Nothing here forms a float genotype matrix for a ``.bed``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import config as numba_config
from numba import njit, types
from numba.extending import intrinsic

from gwaskit.engine import Engine, LocalEngine
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.packed import HET, HOM_A1, HOM_A2, MISSING, read_packed

#: Bytes of packed genotypes per block (the unit of parallel work).
DEFAULT_BLOCK_BYTES = 32 * 2**20


def packed_blocks(source: GenotypeSource, *, block_bytes: int = DEFAULT_BLOCK_BYTES) -> list[range]:
    """Consecutive variant ranges whose packed genotypes take about ``block_bytes`` each."""
    per_variant = max(1, (source.n_samples + 3) // 4)
    size = max(64, block_bytes // per_variant)
    n = source.n_variants
    return [range(s, min(s + size, n)) for s in range(0, n, size)]


def map_blocks(
    source: GenotypeSource,
    fn: Callable[[range, np.ndarray], object],
    *,
    engine: Engine | None = None,
    description: str = "counting",
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> list[object]:
    """``[fn(block, packed_block) for each block]``, in order, through ``engine``."""
    engine = engine or LocalEngine(1, progress=False)
    blocks = packed_blocks(source, block_bytes=block_bytes)
    return engine.map(lambda b: fn(b, read_packed(source, b)), blocks, description=description)


#: How many of each code (HOM_A1, MISSING, HET, HOM_A2) a byte value holds, ``int64 (256, 4)``.
BYTE_CODE_COUNTS = np.stack(
    [(((np.arange(256)[:, None] >> (2 * np.arange(4))) & 3) == c).sum(1) for c in range(4)], axis=1
).astype(np.int64)


@njit(cache=True, nogil=True)
def count_codes(packed: np.ndarray, n_samples: int) -> np.ndarray:
    """Counts of each code per variant over all ``n_samples`` samples.

    A histogram of the byte values of each row (four samples a byte, one increment), turned
    into code counts through :data:`BYTE_CODE_COUNTS`; the samples of a last partial byte are
    counted one by one (its padding bits are ignored).

    Returns
    -------
    ``int64 (n_variants, 4)``, counts of the codes HOM_A1, MISSING, HET, HOM_A2.
    """
    n_variants = packed.shape[0]
    n_full = n_samples >> 2
    out = np.zeros((n_variants, 4), dtype=np.int64)
    # four histograms filled in turn, so that consecutive increments rarely hit one counter
    hist = np.zeros((4, 256), dtype=np.int64)
    for v in range(n_variants):
        row = packed[v]
        hist[:] = 0
        k = 0
        while k + 4 <= n_full:
            hist[0, row[k]] += 1
            hist[1, row[k + 1]] += 1
            hist[2, row[k + 2]] += 1
            hist[3, row[k + 3]] += 1
            k += 4
        while k < n_full:
            hist[0, row[k]] += 1
            k += 1
        for b in range(256):
            h = hist[0, b] + hist[1, b] + hist[2, b] + hist[3, b]
            if h:
                for c in range(4):
                    out[v, c] += h * BYTE_CODE_COUNTS[b, c]
        for s in range(n_full << 2, n_samples):
            out[v, (row[s >> 2] >> ((s & 3) << 1)) & 3] += 1
    return out


def allele_counts(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Effect-allele (A1) count and called-allele count per variant from code counts
    ``(..., 4)`` (as :func:`count_codes` / :func:`count_genotypes` give)."""
    a1 = 2 * codes[..., HOM_A1] + codes[..., HET]
    called = 2 * (codes[..., HOM_A1] + codes[..., HET] + codes[..., HOM_A2])
    return a1, called


@njit(cache=True, nogil=True)
def count_genotypes(packed: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Genotype counts per variant and sample group.

    Parameters
    ----------
    packed
        ``uint8 (n_variants, n_bytes)``.
    groups
        ``int8 (n_samples,)``: the group of each sample in ``0..n_groups-1``, ``-1`` to skip it.

    Returns
    -------
    ``int64 (n_variants, n_groups, 4)``, counts of the codes HOM_A1, MISSING, HET, HOM_A2.
    """
    n_variants = packed.shape[0]
    n_samples = groups.size
    out = np.zeros((n_variants, n_groups, 4), dtype=np.int64)
    if n_samples and (groups == groups[0]).all():  # one group: count whole bytes at once
        if groups[0] >= 0:
            out[:, groups[0], :] = count_codes(packed, n_samples)
        return out
    for v in range(n_variants):
        row = packed[v]
        for s in range(n_samples):
            g = groups[s]
            if g < 0:
                continue
            code = (row[s >> 2] >> ((s & 3) << 1)) & 3
            out[v, g, code] += 1
    return out


@njit(cache=True, nogil=True)
def count_per_sample(packed: np.ndarray, n_samples: int, weights: np.ndarray) -> np.ndarray:
    """Per-sample counts over the variants of a block whose weight is not NaN.

    ``weights[v]`` is the expected homozygosity of variant ``v`` (NaN skips the variant).

    Returns
    -------
    ``float64 (n_samples, 4)``: missing calls, heterozygous calls, homozygous calls and the sum
    of ``weights`` over the sample's non-missing calls (its expected homozygous count).
    """
    codes = np.zeros((n_samples, 4), dtype=np.int64)
    lost = np.zeros(n_samples)  # weight over the sample's missing calls (rare)
    total = 0.0
    full = n_samples // 4
    for v in range(packed.shape[0]):
        w = weights[v]
        if np.isnan(w):
            continue
        total += w
        row = packed[v]
        for k in range(full):
            byte = row[k]
            for t in range(4):
                code = (byte >> (2 * t)) & 3
                codes[4 * k + t, code] += 1
                if code == MISSING:
                    lost[4 * k + t] += w
        for s in range(4 * full, n_samples):
            code = (row[s >> 2] >> ((s & 3) << 1)) & 3
            codes[s, code] += 1
            if code == MISSING:
                lost[s] += w
    out = np.empty((n_samples, 4), dtype=np.float64)
    for s in range(n_samples):
        out[s, 0] = codes[s, MISSING]
        out[s, 1] = codes[s, HET]
        out[s, 2] = codes[s, HOM_A1] + codes[s, HOM_A2]
        out[s, 3] = total - lost[s]
    return out


@intrinsic
def _popcount64(typingctx, x):
    """Hardware population count of a uint64 (LLVM ``ctpop``), as an int64."""
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


if numba_config.DISABLE_JIT:  # pure Python (coverage runs): intrinsics only exist compiled

    def popcount64(x: int) -> int:
        """Population count of a uint64 (pure Python, under NUMBA_DISABLE_JIT)."""
        return int(x).bit_count()

else:
    popcount64 = _popcount64


@njit(cache=True, nogil=True)
def bitplanes(packed: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Transpose packed genotypes to per-sample bit planes over variants.

    Returns ``uint64 (3, n_selected, n_words)`` with bit ``v`` of word ``v // 64`` set in plane
    0 for two copies of A1, plane 1 for a heterozygote, plane 2 for two copies of A2.
    """
    n_variants = packed.shape[0]
    n_words = (n_variants + 63) // 64
    out = np.zeros((3, samples.size, n_words), dtype=np.uint64)
    for v in range(n_variants):
        w = v >> 6
        bit = np.uint64(1) << np.uint64(v & 63)
        row = packed[v]
        for i in range(samples.size):
            s = samples[i]
            code = (row[s >> 2] >> ((s & 3) << 1)) & 3
            if code == HOM_A1:
                out[0, i, w] |= bit
            elif code == HET:
                out[1, i, w] |= bit
            elif code == HOM_A2:
                out[2, i, w] |= bit
    return out
