"""LD scores from a reference panel, as ``ldsc.py --l2`` computes them.

The LD score of variant j is ``l_j = sum_k a_k r̃²_jk`` over the variants k within a window around
j (including j itself), with ``a_k`` the annotation value of k (1 without annotations) and
``r̃² = r² - (1 - r²) / (n - 2)`` the approximately unbiased estimate of r² from ``n`` people
(Bulik-Sullivan et al. 2015, doi:10.1038/ng.3211). ``r`` is the Pearson correlation of the
genotypes with missing calls replaced by the variant's mean.

The windows are LDSC's: variants are processed in chunks of ``chunk_size`` (50); a chunk starting
at variant s is paired with the ``b(s)`` variants before it, ``b(s)`` being the number of variants
within the window of s rounded *up* to a multiple of the chunk size, and the first run of variants
whose windows all start at the first variant is paired completely. Pairs a little beyond the window
are therefore included exactly as ``ldsc`` includes them, so the scores agree with its files.

Per annotation ``c``, ``M_c = sum_k a_kc`` over the variants and ``M_5_50`` the same over variants
with minor-allele frequency above 5 % (the ``.l2.M`` and ``.l2.M_5_50`` files).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.ldscore import ID_COLUMNS
from gwaskit.progress import progress_bar


@dataclass(frozen=True)
class LdScores:
    """LD scores and the variant counts behind them.

    Attributes
    ----------
    table
        ``CHR, SNP, BP`` and one ``Float64`` column per annotation (``L2`` without
        annotations, ``<name>L2`` with), in genome order.
    m
        Per annotation, the sum of the annotation over the panel's variants (LDSC ``.l2.M``).
    m_5_50
        The same over variants with MAF > 0.05 (LDSC ``.l2.M_5_50``, the default ``M``).
    """

    table: pl.DataFrame
    m: np.ndarray
    m_5_50: np.ndarray

    @property
    def score_columns(self) -> list[str]:
        return [c for c in self.table.columns if c not in ID_COLUMNS]


def block_lefts(coords: np.ndarray, max_dist: float) -> np.ndarray:
    """For each variant, the first variant within ``max_dist`` of it (coords sorted)."""
    coords = np.asarray(coords, dtype=np.float64)
    return np.searchsorted(coords, coords - max_dist, side="left").astype(np.int64)


#: Columns of one matrix product in :func:`ld_score_kernel` (a multiple of the chunk size).
_GROUP_WIDTH = 400


def _standardise(dosage: np.ndarray) -> np.ndarray:
    """Mean-impute missing calls, centre and scale to unit (population) variance."""
    x = dosage.astype(np.float64)
    mean = np.nanmean(x, axis=0)
    missing = np.isnan(x)
    if missing.any():
        x[missing] = np.take(mean, np.nonzero(missing)[1])
    x -= mean
    sd = np.sqrt(np.mean(x * x, axis=0))
    sd[sd == 0] = 1.0
    return x / sd


def _unbiased(r: np.ndarray, n: int) -> np.ndarray:
    """LDSC's unbiased r^2, ``r^2 - (1 - r^2) / (n - 2)``, in place and in ``r``'s precision."""
    denom = r.dtype.type(n - 2 if n > 2 else n)
    r *= r
    r -= (1.0 - r) / denom
    return r


class Columns:
    """Standardised genotype columns of some variants of a source, read as a sliding window.

    :meth:`get` returns columns ``[lo, hi)`` (indices into ``index``); ``lo`` never decreases, so
    only the current window is held in memory: memory is flat in the number of variants.
    """

    def __init__(self, source: GenotypeSource, index: np.ndarray) -> None:
        self.source = source
        self.index = np.asarray(index, dtype=np.int64)
        self.n_samples = source.n_samples
        self.n_variants = int(self.index.size)
        self._lo = 0
        self._block = np.empty((self.n_samples, 0))

    def get(self, lo: int, hi: int) -> np.ndarray:
        if lo < self._lo:
            raise ValueError("Columns.get: the window may only move forward.")
        if lo > self._lo:
            self._block = self._block[:, lo - self._lo :]
            self._lo = lo
        have = self._lo + self._block.shape[1]
        if hi > have:
            new = _standardise(self.source.read(self.index[max(have, lo) : hi]))
            self._block = np.concatenate([self._block, new], axis=1) if have > lo else new
        return self._block[:, lo - self._lo : hi - self._lo]


def _filter_pass(
    source: GenotypeSource, index: np.ndarray, block: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Minor-allele frequency and "has a homozygous call" of each variant, block by block."""
    maf = np.empty(index.size)
    homozygous = np.empty(index.size, dtype=bool)
    for start in range(0, index.size, block):
        dosage = source.read(index[start : start + block])
        with warnings.catch_warnings():  # a variant with no call: NaN, dropped below
            warnings.simplefilter("ignore", RuntimeWarning)
            freq = np.nanmean(dosage, axis=0, dtype=np.float64) / 2  # exact: 30/600 is 0.05
        maf[start : start + block] = np.minimum(freq, 1 - freq)
        homozygous[start : start + block] = np.any((dosage == 0) | (dosage == 2), axis=0)
    return maf, homozygous


def ld_score_kernel(
    x: np.ndarray | Columns, left: np.ndarray, annot: np.ndarray, *, chunk_size: int = 50
) -> np.ndarray:
    """LD scores of one chromosome, with LDSC's chunked windows.

    Parameters
    ----------
    x
        Standardised genotypes, shape ``(n_samples, n_variants)``, or a :class:`Columns` that
        reads them window by window (columns are asked for in increasing order).
    left
        :func:`block_lefts` of the variants.
    annot
        Annotation values, shape ``(n_variants, n_annotations)``.
    """
    if isinstance(x, np.ndarray):
        array = x
        n, m = x.shape

        def columns(lo: int, hi: int) -> np.ndarray:
            return array[:, lo:hi]
    else:
        n, m = x.n_samples, x.n_variants
        columns = x.get
    c = int(chunk_size)
    scores = np.zeros((m, annot.shape[1]))
    if m == 0:
        return scores
    sizes = np.ceil((np.arange(m) - left) / c).astype(np.int64) * c
    first = np.flatnonzero(left > 0)
    b0 = int(first[0]) if first.size else m
    b0 = int(np.ceil(b0 / c) * c)
    if b0 > m:
        b0 = m
    # the first b0 variants: all pairs
    first_block = columns(0, b0)
    for lo in range(0, b0, max(c, 1)):
        hi = min(lo + c, b0)
        r = _unbiased(first_block.T @ first_block[:, lo:hi] / n, n)
        scores[:b0] += r @ annot[lo:hi]
    del first_block
    # then chunk by chunk, each paired with the b(s) variants before it and with itself;
    # several chunks share one matrix product (the pairs LDSC would not form are masked out)
    group = c * max(1, _GROUP_WIDTH // c)
    for g0 in range(b0, m, group):
        g1 = min(g0 + group, m)
        starts = g0 + (np.arange(g1 - g0) // c) * c  # chunk start of each column
        lefts = starts - sizes[starts]
        rights = np.minimum(starts + c, m)
        lo = int(lefts.min())
        block = columns(lo, g1)
        r = _unbiased(block.T @ block[:, g0 - lo :] / n, n)
        # each chunk's columns pair with the rows [left, right) only: zero the rest by slicing
        # (the chunks of a group share their bounds column by column)
        for k in range(0, g1 - g0, c):
            r[: lefts[k] - lo, k : k + c] = 0.0
            r[rights[k] - lo :, k : k + c] = 0.0
        scores[lo:g1] += r @ annot[g0:g1]
        for k in range(0, g1 - g0, c):
            r[starts[k] - lo :, k : k + c] = 0.0
        scores[g0:g1] += r.T @ annot[lo:g1]
    return scores


def compute_ld_scores(
    source: GenotypeSource,
    *,
    window_kb: float | None = None,
    window_snps: int | None = None,
    window_cm: float | None = None,
    positions_cm: np.ndarray | None = None,
    annotations: pl.DataFrame | None = None,
    maf_min: float | None = None,
    chunk_size: int = 50,
    progress: bool = True,
) -> LdScores:
    """LD scores of every variant of a reference panel, chromosome by chromosome.

    Parameters
    ----------
    source
        The panel (any format gwaskit reads); its variants must be sorted by position within
        each chromosome.
    window_kb, window_snps, window_cm
        Exactly one window: in kb, in variants, or in cM (``positions_cm`` then gives each
        variant's genetic position, e.g. the ``.bim`` third column).
    annotations
        Optional table of annotation columns (numeric), one row per panel variant in panel order
        (LDSC's ``.annot``: any ``CHR, BP, SNP, CM`` columns are ignored).
    maf_min
        Drop variants with MAF at or below this (LDSC ``--maf``); monomorphic variants and those
        without a homozygous call are always dropped, as LDSC does.
    chunk_size
        LDSC's ``--chunk-size`` (it affects which pairs beyond the window are included).
    """
    given = [v is not None for v in (window_kb, window_snps, window_cm)]
    if sum(given) != 1:
        raise ParameterError("give exactly one LD window: window_kb, window_snps or window_cm.")
    for name, value in (
        ("window_kb", window_kb),
        ("window_snps", window_snps),
        ("window_cm", window_cm),
    ):
        if value is not None and not (np.isfinite(value) and value > 0):
            raise ParameterError(f"{name} must be a positive number, got {value!r}.")
    if window_cm is not None and positions_cm is None:
        raise ParameterError("window_cm needs positions_cm (genetic positions of the variants).")
    if chunk_size < 1:
        raise ParameterError(f"chunk_size must be at least 1, got {chunk_size!r}.")
    variants = source.variants
    if annotations is not None:
        annot_table = annotations.drop(
            [c for c in ("CHR", "BP", "SNP", "CM") if c in annotations.columns]
        )
        if annot_table.height != variants.height:
            raise ParameterError(
                f"annotations have {annot_table.height} rows, the panel {variants.height} variants."
            )
        names = [f"{c}L2" for c in annot_table.columns]
        annot_all = annot_table.to_numpy().astype(np.float64)
    else:
        names = ["L2"]
        annot_all = np.ones((variants.height, 1))

    chromosomes = variants["chromosome"].to_numpy()
    order = np.unique(chromosomes, return_index=True)
    parts: list[pl.DataFrame] = []
    m = np.zeros(annot_all.shape[1])
    m_5_50 = np.zeros(annot_all.shape[1])
    chrom_order = order[0][np.argsort(order[1])]
    with progress_bar(len(chrom_order), "LD scores", enabled=progress) as advance:
        for chrom in chrom_order:
            index = np.flatnonzero(chromosomes == chrom)
            maf, homozygous = _filter_pass(source, index)
            keep = (maf > (maf_min or 0.0)) & homozygous
            kept = index[keep]
            x = Columns(source, kept)  # read again window by window: memory flat in variants
            annot = annot_all[kept]
            if window_snps is not None:
                coords, dist = np.arange(kept.size, dtype=np.float64), float(window_snps)
            elif window_kb is not None:
                coords = variants["base_pair_location"].to_numpy()[kept].astype(np.float64)
                dist = window_kb * 1000
            else:
                coords = np.asarray(positions_cm, dtype=np.float64)[kept]
                dist = float(window_cm)
            if np.any(np.diff(coords) < 0):
                raise ParameterError(
                    f"the panel's variants on chromosome {chrom} are not sorted by position."
                )
            scores = ld_score_kernel(x, block_lefts(coords, dist), annot, chunk_size=chunk_size)
            m += annot.sum(axis=0)
            m_5_50 += annot[maf[keep] > 0.05].sum(axis=0)
            sub = variants[kept]
            parts.append(
                pl.DataFrame(
                    {
                        "CHR": sub["chromosome"],
                        "SNP": sub["variant_id"],
                        "BP": sub["base_pair_location"],
                        **{name: scores[:, i] for i, name in enumerate(names)},
                    }
                )
            )
            advance()
    if not parts or sum(p.height for p in parts) == 0:
        raise ParameterError("no variant of the panel passed the LD-score filters.")
    return LdScores(pl.concat(parts), m, m_5_50)
