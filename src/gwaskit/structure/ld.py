"""LD pruning (PLINK's ``--indep-pairwise WINDOW STEP R2``) and long-range high-LD regions.

Pruning follows PLINK 1.9's algorithm: on each chromosome a window of ``window`` variants
starts at the first variant and slides by ``step``; in each window position, for each variant
``i`` still in, in order, and each later variant ``j`` still in, if ``r^2(i, j) > r2`` the one
with the lower minor allele frequency is pruned (``j`` on a tie), and when ``i`` goes the scan
moves on to the next ``i``. ``r`` is the genotype correlation over the samples called at both
variants (PLINK's missing-aware r), on hard calls.

Each variant is held as three bit planes over the samples (heterozygous, two copies of A1,
called), 64 samples per word. A pair's sums (``n``, ``sum x``, ``sum x^2``, ``sum y``,
``sum y^2``, ``sum xy`` over the samples called at both) are eight popcounts per word, exact
integers; ``r^2`` is formed from them in float64. Pairs are evaluated lazily, inside the
compiled scan, only when the scan compares them (each pair at most once), so a variant pruned
early costs nothing further. Chromosomes run in parallel through the engine; a chromosome whose
planes exceed ``_MEMORY_BYTES`` is streamed through a buffer that slides with the window.
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np
import polars as pl
from numba import njit

from gwaskit.engine import Engine, LocalEngine
from gwaskit.errors import ParameterError
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.packed import HET, HOM_A1, MISSING, read_packed, subset_packed
from gwaskit.qc.packed import popcount64

#: Variants read from the file at a time.
_READ_CHUNK = 2048
#: Largest chromosome (its bit planes) held in memory; beyond, a buffer slides with the window.
_MEMORY_BYTES = 2 * 2**30
#: PLINK 2's kSmallEpsilon: relative slack in the r^2 and frequency comparisons.
_EPSILON = 2.0**-44


def high_ld_regions(build: str) -> pl.DataFrame:
    """Long-range high-LD regions shipped with gwaskit (see ``data/high_ld/PROVENANCE.md``).

    Returns a table ``chromosome, start, end`` (half-open, base pairs) for ``"GRCh37"`` or
    ``"GRCh38"``.
    """
    names = {"GRCh37": "high_ld_grch37.bed.gz", "GRCh38": "high_ld_grch38.bed.gz"}
    if build not in names:
        raise ParameterError(f"build must be GRCh37 or GRCh38, got {build!r}.")
    raw = (resources.files("gwaskit") / "data" / "high_ld" / names[build]).read_bytes()
    rows = [line.split() for line in gzip.decompress(raw).decode().splitlines() if line.strip()]
    return pl.DataFrame(
        {
            "chromosome": [r[0].removeprefix("chr") for r in rows],
            "start": [int(r[1]) for r in rows],
            "end": [int(r[2]) for r in rows],
        }
    )


def in_regions(variants: pl.DataFrame, regions: pl.DataFrame) -> np.ndarray:
    """Boolean mask of the variants (``chromosome``, ``base_pair_location``) inside any region."""
    chrom = variants["chromosome"].to_numpy()
    pos = variants["base_pair_location"].to_numpy()
    out = np.zeros(variants.height, dtype=bool)
    for c, start, end in regions.iter_rows():
        out |= (chrom == c) & (pos >= start) & (pos < end)
    return out


def _nibble_table(code: int, negate: bool = False) -> np.ndarray:
    """For each byte (four 2-bit codes), the 4-bit mask of the samples whose code is (or, with
    ``negate``, is not) ``code``."""
    out = np.zeros(256, dtype=np.uint64)
    for byte in range(256):
        bits = 0
        for t in range(4):
            if (((byte >> (2 * t)) & 3) == code) != negate:
                bits |= 1 << t
        out[byte] = bits
    return out


_HET_BITS = _nibble_table(HET)
_HOM_A1_BITS = _nibble_table(HOM_A1)
_CALLED_BITS = _nibble_table(MISSING, negate=True)


@njit(cache=True, nogil=True)
def ld_planes(packed: np.ndarray, n_samples: int) -> np.ndarray:
    """Bit planes of packed genotypes, ``uint64 (n_variants, 3, ceil(n_samples / 64))``.

    Plane 0: heterozygous, plane 1: two copies of A1, plane 2: called; bit ``s % 64`` of word
    ``s // 64`` is sample ``s``. Padding samples are zero in every plane. The A1 dosage is
    ``x = plane0 + 2 * plane1``.
    """
    n_variants, n_bytes = packed.shape
    n_words = (n_samples + 63) // 64
    out = np.zeros((n_variants, 3, n_words), dtype=np.uint64)
    tail = np.uint64(0xFFFFFFFFFFFFFFFF)
    if n_samples % 64:
        tail = (np.uint64(1) << np.uint64(n_samples % 64)) - np.uint64(1)
    for v in range(n_variants):
        row = packed[v]
        for w in range(n_words):
            het = np.uint64(0)
            hom = np.uint64(0)
            called = np.uint64(0)
            b0 = 16 * w
            for t in range(min(16, n_bytes - b0)):
                byte = row[b0 + t]
                shift = np.uint64(4 * t)
                het |= _HET_BITS[byte] << shift
                hom |= _HOM_A1_BITS[byte] << shift
                called |= _CALLED_BITS[byte] << shift
            if w == n_words - 1:
                het &= tail
                hom &= tail
                called &= tail
            out[v, 0, w] = het
            out[v, 1, w] = hom
            out[v, 2, w] = called
    return out


@njit(cache=True, nogil=True)
def pair_r2(planes: np.ndarray, a: int, b: int) -> float:
    """r^2 between variants ``a`` and ``b`` of ``planes`` over the samples called at both
    (0 if either is constant there). The sums are exact integers; the float64 formula is
    ``(n sxy - sx sy)^2 / ((n sxx - sx^2) (n syy - sy^2))``."""
    la, ha, ma = planes[a, 0], planes[a, 1], planes[a, 2]
    lb, hb, mb = planes[b, 0], planes[b, 1], planes[b, 2]
    n = 0
    het_het = 0
    het_hom = 0  # one heterozygous, the other two copies (the two cases are disjoint)
    hom_hom = 0
    het_a = 0
    hom_a = 0
    het_b = 0
    hom_b = 0
    for w in range(la.size):
        n += popcount64(ma[w] & mb[w])
        het_het += popcount64(la[w] & lb[w])
        het_hom += popcount64((la[w] & hb[w]) | (ha[w] & lb[w]))
        hom_hom += popcount64(ha[w] & hb[w])
        het_a += popcount64(la[w] & mb[w])
        hom_a += popcount64(ha[w] & mb[w])
        het_b += popcount64(lb[w] & ma[w])
        hom_b += popcount64(hb[w] & ma[w])
    sxy = het_het + 2 * het_hom + 4 * hom_hom
    sx = het_a + 2 * hom_a
    sxx = het_a + 4 * hom_a
    sy = het_b + 2 * hom_b
    syy = het_b + 4 * hom_b
    cov = float(n * sxy - sx * sy)
    vx = float(n * sxx - sx * sx)
    vy = float(n * syy - sy * sy)
    if vx > 0 and vy > 0:
        return cov * cov / (vx * vy)
    return 0.0


@njit(cache=True, nogil=True)
def _summary(planes: np.ndarray, v: int) -> tuple[bool, float]:
    """Monomorphic among the calls (PLINK 2 prunes these outright), and the major allele
    frequency."""
    n = 0
    het = 0
    hom = 0
    for w in range(planes.shape[2]):
        het += popcount64(planes[v, 0, w])
        hom += popcount64(planes[v, 1, w])
        n += popcount64(planes[v, 2, w])
    other = n - het - hom
    mono = (hom == 0 and other == 0) or hom == n or other == n
    p = (het + 2 * hom) / (2.0 * n) if n > 0 else 0.5
    return mono, max(p, 1.0 - p)


@njit(cache=True, nogil=True)
def _prune_run(
    planes: np.ndarray,
    base: int,
    n_local: int,
    state: np.ndarray,
    win: np.ndarray,
    win_removed: np.ndarray,
    win_major: np.ndarray,
    win_unchecked: np.ndarray,
    removed: np.ndarray,
    window: int,
    step: int,
    threshold: float,
) -> bool:
    """Slide the window over one chromosome's variants ``0..n_local`` whose planes from
    ``base`` on are in ``planes``; returns True when done, False when the window needs
    variants beyond the buffer (``state`` then holds where to resume).

    ``state = [start, end, loaded, size]``: the window ``[start, end)``, the variants already
    entered, and the window members ``win[:size]`` with their removed flags, major allele
    frequencies and ``unchecked[p]``, the first position that ``p`` has not been compared with.
    In each window position, each variant still in, in order, is compared with the later ones
    still in; on ``r^2 > threshold`` the one with the higher major-allele frequency (lower MAF)
    goes (the later one on a tie) and the scan moves to the next variant, coming back in
    another sweep until a sweep removes nothing.
    """
    start, end, loaded, size = state[0], state[1], state[2], state[3]
    while True:
        if end > base + planes.shape[0]:
            state[0], state[1], state[2], state[3] = start, end, loaded, size
            return False
        for v in range(loaded, end):
            mono, major = _summary(planes, v - base)
            win[size] = v
            win_removed[size] = mono
            win_major[size] = major
            win_unchecked[size] = size + 1
            size += 1
        loaded = end
        while True:
            changed = False
            for first in range(size):
                if win_removed[first] or win_unchecked[first] >= size:
                    continue
                second = win_unchecked[first]
                while second < size and win_removed[second]:
                    second += 1
                while second < size:
                    if pair_r2(planes, win[first] - base, win[second] - base) > threshold:
                        changed = True
                        if win_major[first] > win_major[second] * (1.0 + _EPSILON):
                            win_removed[first] = True
                        else:
                            win_removed[second] = True
                            win_unchecked[first] = second + 1
                        break
                    second += 1
                    while second < size and win_removed[second]:
                        second += 1
                if second >= size:
                    win_unchecked[first] = size
            if not changed:
                break
        for p in range(size):
            if win_removed[p]:
                removed[win[p]] = True
        if end == n_local:
            state[0], state[1], state[2], state[3] = start, end, loaded, size
            return True
        start += step
        end = min(start + window, n_local)
        kept = 0
        for p in range(size):
            if not win_removed[p] and win[p] >= start:
                win[kept] = win[p]
                win_removed[kept] = False
                win_major[kept] = win_major[p]
                kept += 1
        size = kept
        for p in range(size):
            win_unchecked[p] = size  # the old pairs are all compared


def ld_prune(
    source: GenotypeSource,
    *,
    window: int = 1000,
    step: int = 50,
    r2: float = 0.1,
    variant_mask: np.ndarray | None = None,
    sample_index: np.ndarray | None = None,
    engine: Engine | None = None,
) -> np.ndarray:
    """Variants kept by LD pruning (PLINK ``--indep-pairwise window step r2``).

    Parameters
    ----------
    source
        Genotypes (hard calls: dosages of a non-PLINK source are rounded to the nearest
        genotype, as plink2 prunes on hard calls).
    window, step
        Window size and step, in variants (among those in ``variant_mask``).
    r2
        Prune pairs with r^2 above this.
    variant_mask
        Variants to consider (default all); the rest are neither used nor kept.
    sample_index
        Samples to compute r over (default all).
    engine
        Runs the chromosomes in parallel (default: one after another).

    Returns
    -------
    Boolean mask over the source's variants (PLINK's ``.prune.in``).
    """
    if window < 2 or step < 1 or step > window:
        raise ParameterError(
            f"indep_pairwise: need window >= 2 and 1 <= step <= window, got {window} {step}."
        )
    if not 0 <= r2 <= 1:
        raise ParameterError(f"r2 must be in [0, 1], got {r2!r}.")
    mask = np.ones(source.n_variants, bool) if variant_mask is None else np.asarray(variant_mask)
    samples = None if sample_index is None else np.asarray(sample_index, dtype=np.int64)
    keep = np.zeros(source.n_variants, dtype=bool)
    chromosomes = source.variants["chromosome"].to_numpy()
    per_chromosome = [
        v
        for c in pl.Series(chromosomes).unique(maintain_order=True).to_list()
        if (v := np.flatnonzero(mask & (chromosomes == c))).size
    ]

    def prune(variants: np.ndarray) -> np.ndarray:
        return _prune_chromosome(source, variants, samples, window, step, r2)

    engine = engine or LocalEngine(1, progress=False)
    alive = engine.map(prune, per_chromosome, description="LD pruning")
    for variants, kept in zip(per_chromosome, alive, strict=True):
        keep[variants[kept]] = True
    return keep


def _load_planes(
    source: GenotypeSource, variants: np.ndarray, samples: np.ndarray | None
) -> np.ndarray:
    """Bit planes of the given (increasing) variants over ``samples`` (default all)."""
    n = source.n_samples if samples is None else samples.size
    parts = []
    for c in range(0, variants.size, _READ_CHUNK):
        chosen = variants[c : c + _READ_CHUNK]
        span = range(int(chosen[0]), int(chosen[-1]) + 1)
        packed = np.ascontiguousarray(read_packed(source, span)[chosen - span.start])
        if samples is not None:
            packed = subset_packed(packed, samples)
        parts.append(ld_planes(packed, n))
    if not parts:
        return np.zeros((0, 3, (n + 63) // 64), dtype=np.uint64)
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _prune_chromosome(
    source: GenotypeSource,
    variants: np.ndarray,
    samples: np.ndarray | None,
    window: int,
    step: int,
    r2: float,
) -> np.ndarray:
    """Pruning of one chromosome's variants (local indices ``0..len(variants)``)."""
    n_local = variants.size
    n_samples = source.n_samples if samples is None else samples.size
    per_variant = 24 * ((n_samples + 63) // 64)
    if per_variant * n_local <= _MEMORY_BYTES:
        chunk = n_local
    else:
        chunk = max(window + step, _MEMORY_BYTES // per_variant)
    removed = np.zeros(n_local, dtype=np.bool_)
    state = np.array([0, min(window, n_local), 0, 0], dtype=np.int64)
    win = np.zeros(window, dtype=np.int64)
    win_removed = np.zeros(window, dtype=np.bool_)
    win_major = np.zeros(window)
    win_unchecked = np.zeros(window, dtype=np.int64)
    base = 0
    planes = _load_planes(source, variants[: min(chunk, n_local)], samples)
    threshold = r2 * (1.0 + _EPSILON)
    args = (win, win_removed, win_major, win_unchecked, removed, window, step, threshold)
    while not _prune_run(planes, base, n_local, state, *args):
        start, stop = int(state[0]), base + planes.shape[0]
        fresh = _load_planes(source, variants[stop : min(start + chunk, n_local)], samples)
        planes = np.concatenate([planes[start - base :], fresh])
        base = start
    return ~removed
