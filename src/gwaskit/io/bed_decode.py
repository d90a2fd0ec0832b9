"""Compiled decoding of PLINK 1 ``.bed`` bytes to float32 effect-allele dosages.

Input: packed rows, variant-major, ``(n_variants, (n_samples + 3) // 4)`` ``uint8``, four samples
per byte (first sample in the two low bits). Codes, as A1 (effect allele) counts:
``0b00`` two copies of A1 -> 2, ``0b10`` heterozygous -> 1, ``0b11`` two copies of A2 -> 0,
``0b01`` missing -> NaN (bed-reader's ``count_A1=True``).

Output: float32, Fortran order ``(n_selected_samples, n_selected_variants)``, so each variant's
column is contiguous and written in one sweep. All samples in file order decode one byte at a
time through a 256 x 4 table; any other sample selection (subset, reordered, repeated) goes
through a precomputed byte index and shift per selected sample. The kernels release the GIL;
``threads > 1`` splits the variants across a thread pool.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

#: Dosage of each 2-bit code (index = code).
CODE_DOSAGE = np.array([2.0, np.nan, 1.0, 0.0], dtype=np.float32)
#: Dosages of the four samples in each byte value, ``float32 (256, 4)``.
BYTE_DOSAGE = CODE_DOSAGE[(np.arange(256)[:, None] >> (2 * np.arange(4))) & 3]

#: Below this many genotypes a read is decoded on the calling thread only.
_MIN_PARALLEL = 1 << 22


@njit(cache=True, nogil=True)
def _decode_all(
    packed, variants, n_samples, byte_table, code_table, out
):  # pragma: no cover - compiled
    n_full = n_samples >> 2
    for j in range(variants.size):
        row = packed[variants[j]]
        col = out[:, j]
        for k in range(n_full):
            b = row[k]
            s = k << 2
            col[s] = byte_table[b, 0]
            col[s + 1] = byte_table[b, 1]
            col[s + 2] = byte_table[b, 2]
            col[s + 3] = byte_table[b, 3]
        for s in range(n_full << 2, n_samples):
            col[s] = code_table[(row[s >> 2] >> ((s & 3) << 1)) & 3]


@njit(cache=True, nogil=True)
def _decode_subset(
    packed, variants, byte_index, shift, code_table, out
):  # pragma: no cover - compiled
    for j in range(variants.size):
        row = packed[variants[j]]
        col = out[:, j]
        for i in range(byte_index.size):
            col[i] = code_table[(row[byte_index[i]] >> shift[i]) & 3]


def is_all_samples(samples: np.ndarray, n_samples: int) -> bool:
    """Whether ``samples`` is ``0, 1, ..., n_samples - 1``."""
    return (
        samples.size == n_samples
        and (n_samples == 0 or (samples[0] == 0 and samples[-1] == n_samples - 1))
        and bool((np.diff(samples) == 1).all())
    )


def decode_bed(
    packed: np.ndarray,
    n_samples: int,
    variants: np.ndarray | None = None,
    samples: np.ndarray | None = None,
    *,
    threads: int = 1,
) -> np.ndarray:
    """Decode packed ``.bed`` rows to A1 dosages, float32 Fortran ``(n_selected, n_variants)``.

    Parameters
    ----------
    packed
        ``uint8 (n_rows, (n_samples + 3) // 4)`` (a memory map of the file is fine: only the
        selected rows are touched).
    n_samples
        Samples in a row (the padding bits of the last byte are never read).
    variants, samples
        Row and sample indices (any order, repeats allowed); ``None`` means all. An index out
        of bounds raises ``IndexError`` (the kernels do not check).
    threads
        Decode on this many threads (by variant) when the block is large.
    """
    if packed.shape[1] != (n_samples + 3) // 4:
        raise ValueError(f"packed rows have {packed.shape[1]} bytes, not ({n_samples} + 3) // 4.")
    rows = packed.view(np.ndarray) if isinstance(packed, np.memmap) else packed
    variants = (
        np.arange(packed.shape[0], dtype=np.int64)
        if variants is None
        else np.ascontiguousarray(variants, dtype=np.int64)
    )
    _check_bounds(variants, packed.shape[0], "variant")
    if samples is not None:
        samples = np.asarray(samples, dtype=np.int64)
        _check_bounds(samples, n_samples, "sample")
    full = samples is None or is_all_samples(samples, n_samples)
    n_out = n_samples if full else len(samples)
    out = np.empty((n_out, variants.size), dtype=np.float32, order="F")
    if variants.size == 0 or n_out == 0:
        return out
    if full:

        def run(a: int, b: int) -> None:
            _decode_all(rows, variants[a:b], n_samples, BYTE_DOSAGE, CODE_DOSAGE, out[:, a:b])
    else:
        byte_index = samples >> 2
        shift = ((samples & 3) << 1).astype(np.uint8)

        def run(a: int, b: int) -> None:
            _decode_subset(rows, variants[a:b], byte_index, shift, CODE_DOSAGE, out[:, a:b])

    threads = max(1, min(threads, variants.size, n_out * variants.size // _MIN_PARALLEL))
    if threads == 1:
        run(0, variants.size)
        return out
    bounds = np.linspace(0, variants.size, threads + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(run, a, b) for a, b in itertools.pairwise(bounds)]:
            future.result()
    return out


def _check_bounds(index: np.ndarray, n: int, what: str) -> None:
    if index.size and (index.min() < 0 or index.max() >= n):
        raise IndexError(f"{what} indices must lie in [0, {n}), got {index.min()}..{index.max()}.")
