"""LD pruning (PLINK's ``--indep-pairwise WINDOW STEP R2``) and long-range high-LD regions.

Pruning follows PLINK 1.9's algorithm: on each chromosome a window of ``window`` variants
starts at the first variant and slides by ``step``; in each window position, for each variant
``i`` still in, in order, and each later variant ``j`` still in, if ``r^2(i, j) > r2`` the one
with the lower minor allele frequency is pruned (``j`` on a tie), and when ``i`` goes the scan
moves on to the next ``i``. ``r`` is the genotype correlation over the samples called at both
variants (PLINK's missing-aware r).

Each variant's correlations are computed once, when it enters the window, against the variants
still in the window: three matrix products over the window of decoded genotypes (integer
valued, so the sums are exact in float32), then the r^2 in float64. The pruning decisions run in
a compiled loop.
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np
import polars as pl
from numba import njit
from scipy import sparse
from threadpoolctl import threadpool_limits

from gwaskit.engine import Engine, LocalEngine
from gwaskit.errors import ParameterError
from gwaskit.io.genotypes import GenotypeSource

_READ_CHUNK = 2048
#: Largest chromosome (8 bytes per genotype) held in memory; beyond, windows are reread.
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


@njit(cache=True, nogil=True)
def _scan_window(
    removed: np.ndarray,
    major: np.ndarray,
    unchecked: np.ndarray,
    r2_new: np.ndarray,
    split: int,
    threshold: float,
) -> None:
    """PLINK's pairwise scan of one window, in place.

    Window positions ``0..size``: ``removed`` flags, ``major`` allele frequencies, and
    ``unchecked[p]``, the first position that ``p`` has not yet been compared with (``size``
    when done). ``r2_new[k, p]`` is r^2 between the new variant at position ``split + k`` and
    position ``p``. Each variant still in, in order, is compared with the later ones still in;
    on ``r^2 > threshold`` the one with the higher major-allele frequency (lower MAF) goes
    (the later one on a tie) and the scan moves to the next variant, coming back in another
    sweep until a sweep removes nothing.
    """
    size = removed.size
    while True:
        changed = False
        for first in range(size):
            if removed[first] or unchecked[first] >= size:
                continue
            second = unchecked[first]
            while second < size and removed[second]:
                second += 1
            while second < size:
                if r2_new[second - split, first] > threshold:
                    changed = True
                    if major[first] > major[second] * (1.0 + _EPSILON):
                        removed[first] = True
                    else:
                        removed[second] = True
                        unchecked[first] = second + 1
                    break
                second += 1
                while second < size and removed[second]:
                    second += 1
            if second >= size:
                unchecked[first] = size
        if not changed:
            return


class _Reader:
    """Decoded genotypes of one chromosome's variants, read in chunks as the window slides."""

    def __init__(self, source: GenotypeSource, variants: np.ndarray, samples: np.ndarray | None):
        self.source, self.variants, self.samples = source, variants, samples
        self.chunks: dict[int, np.ndarray] = {}

    def get(self, local: np.ndarray) -> np.ndarray:
        out = np.empty(
            (self.source.n_samples if self.samples is None else self.samples.size, local.size),
            dtype=np.float32,
        )
        for c in np.unique(local // _READ_CHUNK):
            if c not in self.chunks:
                idx = self.variants[c * _READ_CHUNK : (c + 1) * _READ_CHUNK]
                self.chunks[c] = self.source.read(idx, self.samples)
            sel = (local // _READ_CHUNK) == c
            out[:, sel] = self.chunks[c][:, local[sel] - c * _READ_CHUNK]
        return out

    def forget_before(self, local: int) -> None:
        for c in [c for c in self.chunks if (c + 1) * _READ_CHUNK <= local]:
            del self.chunks[c]


@njit(cache=True, nogil=True)
def _missing_sums(
    x: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    a0: int,
    a1: int,
    b0: int,
    b1: int,
) -> np.ndarray:
    """What the missing calls take from the pairwise sums, ``float64 (5, a1 - a0, b1 - b0)``:
    for new variant ``k`` and span variant ``j``, the sums of ``x_k`` and ``x_k^2`` over the
    samples missing at ``j``, of ``x_j`` and ``x_j^2`` over those missing at ``k``, and the
    number of samples missing at both. ``indptr``/``indices``: the missing calls, CSC."""
    na, nb = a1 - a0, b1 - b0
    by_span = np.zeros((2, nb, na))  # laid out for the loop below (k innermost)
    for j in range(nb):
        for p in range(indptr[b0 + j], indptr[b0 + j + 1]):
            row = indices[p]
            for k in range(na):
                value = x[row, a0 + k]
                by_span[0, j, k] += value
                by_span[1, j, k] += value * value
    out = np.zeros((5, na, nb))
    for k in range(na):
        for j in range(nb):
            out[0, k, j] = by_span[0, j, k]
            out[1, k, j] = by_span[1, j, k]
    marker = np.zeros(x.shape[0], dtype=np.bool_)
    for k in range(na):
        for p in range(indptr[a0 + k], indptr[a0 + k + 1]):
            row = indices[p]
            marker[row] = True
            for j in range(nb):
                value = x[row, b0 + j]
                out[2, k, j] += value
                out[3, k, j] += value * value
        for j in range(nb):
            for p in range(indptr[b0 + j], indptr[b0 + j + 1]):
                if marker[indices[p]]:
                    out[4, k, j] += 1.0
        for p in range(indptr[a0 + k], indptr[a0 + k + 1]):
            marker[indices[p]] = False
    return out


class _Chromosome:
    """A chromosome's genotypes held in memory for pruning: ``x`` (float32, 0 at missing calls),
    ``x2 = x**2``, the missing calls as a sparse matrix, and per-variant sums.

    r^2 over the samples called at both variants then needs one dense product,
    ``x[:, new].T @ x[:, span]``, and sparse corrections for the (few) missing calls.
    """

    def __init__(self, source: GenotypeSource, variants: np.ndarray, samples: np.ndarray | None):
        n = source.n_samples if samples is None else samples.size
        self.n = n
        self.x = np.empty((n, variants.size), dtype=np.float32)
        rows, cols = [], []
        for c in range(0, variants.size, _READ_CHUNK):
            g = source.read(variants[c : c + _READ_CHUNK], samples)
            missing = np.isnan(g)
            r, k = np.nonzero(missing)
            rows.append(r)
            cols.append(k + c)
            g[missing] = 0.0
            self.x[:, c : c + g.shape[1]] = g
        self.x2 = self.x * self.x
        rows_all = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        cols_all = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        self.missing = sparse.csc_matrix(
            (np.ones(rows_all.size), (rows_all, cols_all)), shape=(n, variants.size)
        )
        self.n_missing = np.asarray(self.missing.sum(axis=0)).ravel()
        self.s1 = self.x.sum(axis=0, dtype=np.float64)
        self.s2 = self.x2.sum(axis=0, dtype=np.float64)

    def genotypes(self, cols: range) -> np.ndarray:
        """Dosages of a column range with NaN at missing calls."""
        g = self.x[:, cols.start : cols.stop].copy()
        miss = self.missing[:, cols.start : cols.stop].toarray().astype(bool)
        g[miss] = np.nan
        return g

    def r2(self, new: range, span: range) -> np.ndarray:
        """r^2 ``(len(new), len(span))`` over the samples called at both variants."""
        a, b = slice(new.start, new.stop), slice(span.start, span.stop)
        xa, xb = self.x[:, a], self.x[:, b]
        sxy = (xa.T @ xb).astype(np.float64)  # exact: integer sums below 2**24
        lost = _missing_sums(
            self.x,
            self.missing.indptr,
            self.missing.indices,
            new.start,
            new.stop,
            span.start,
            span.stop,
        )
        sx = self.s1[a, None] - lost[0]
        sxx = self.s2[a, None] - lost[1]
        sy = self.s1[None, b] - lost[2]
        syy = self.s2[None, b] - lost[3]
        n = self.n - self.n_missing[a, None] - self.n_missing[None, b] + lost[4]
        with np.errstate(divide="ignore", invalid="ignore"):
            cov = n * sxy - sx * sy
            vx = n * sxx - sx * sx
            vy = n * syy - sy * sy
            return np.where((vx > 0) & (vy > 0), cov * cov / (vx * vy), 0.0)


def _r2(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """r^2 between columns of ``new`` (n, a) and ``old`` (n, b) over samples called in both."""
    mn, mo = ~np.isnan(new), ~np.isnan(old)
    xn, xo = np.where(mn, new, 0).astype(np.float32), np.where(mo, old, 0).astype(np.float32)
    fn, fo = mn.astype(np.float32), mo.astype(np.float32)
    # exact integer sums (float32 is exact below 2**24)
    left = np.concatenate([fn, xn, xn * xn], axis=1).T  # (3a, n)
    a = new.shape[1]
    p1 = (left @ fo).astype(np.float64)  # n, sum x_new, sum x_new^2 over pairs' samples
    p2 = (left[: 2 * a] @ xo).astype(np.float64)  # sum x_old, sum x_new x_old
    p3 = (fn.T @ (xo * xo)).astype(np.float64)  # sum x_old^2
    n, sx, sxx = p1[:a], p1[a : 2 * a], p1[2 * a :]
    sy, sxy, syy = p2[:a], p2[a:], p3
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = n * sxy - sx * sy
        vx = n * sxx - sx * sx
        vy = n * syy - sy * sy
        r2 = np.where((vx > 0) & (vy > 0), cov * cov / (vx * vy), 0.0)
    return r2


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
        Genotypes.
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

    # moderate products: one BLAS thread is fastest and leaves the cores to the engine
    with threadpool_limits(limits=1):
        engine = engine or LocalEngine(1, progress=False)
        alive = engine.map(prune, per_chromosome, description="LD pruning")
    for variants, kept in zip(per_chromosome, alive, strict=True):
        keep[variants[kept]] = True
    return keep


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
    in_memory = 8 * n_samples * n_local <= _MEMORY_BYTES
    chrom = _Chromosome(source, variants, samples) if in_memory else None
    reader = None if in_memory else _Reader(source, variants, samples)
    removed_all = np.zeros(n_local, dtype=np.bool_)
    threshold = r2 * (1.0 + _EPSILON)
    win = np.zeros(0, dtype=np.int64)  # current window members (local indices), compacted
    win_removed = np.zeros(0, dtype=np.bool_)
    win_major = np.zeros(0)
    win_unchecked = np.zeros(0, dtype=np.int64)  # as window positions
    start, end = 0, min(window, n_local)
    loaded = 0
    while True:
        new = np.arange(loaded, end)
        g_new = chrom.genotypes(range(loaded, end)) if chrom is not None else reader.get(new)
        mono, major = _variant_summaries(g_new)
        split = win.size
        win = np.concatenate([win, new])
        win_removed = np.concatenate([win_removed, mono])
        win_major = np.concatenate([win_major, major])
        win_unchecked = np.concatenate([win_unchecked, np.arange(split + 1, win.size + 1)])
        if chrom is not None:
            span = range(int(win[0]), end)
            r2_new = chrom.r2(range(loaded, end), span)[:, win - span.start]
        else:
            r2_new = _r2(g_new, reader.get(win))
        loaded = end
        _scan_window(win_removed, win_major, win_unchecked, r2_new, split, threshold)
        removed_all[win[win_removed]] = True
        if end == n_local:
            break
        start += step
        end = min(start + window, n_local)
        stay = ~win_removed & (win >= start)
        win, win_removed, win_major = win[stay], win_removed[stay], win_major[stay]
        win_unchecked = np.full(win.size, win.size, dtype=np.int64)  # old pairs all compared
        if reader is not None:
            reader.forget_before(int(win.min()) if win.size else start)
    return ~removed_all


def _variant_summaries(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column: monomorphic among the calls (PLINK 2 prunes these outright) and the major
    allele frequency."""
    called = ~np.isnan(g)
    n = called.sum(axis=0)
    hom2 = (g == 2).sum(axis=0)
    hom0 = (g == 0).sum(axis=0)
    mono = ((hom0 == 0) & (hom2 == 0)) | (hom0 == n) | (hom2 == n)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, np.nansum(g, axis=0) / (2.0 * n), 0.5)
    return mono, np.maximum(p, 1 - p)
