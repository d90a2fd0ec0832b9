"""LD on a reference panel: match summary statistics to its variants, standardise dosages, r.

Correlations are Pearson correlations of effect-allele dosages (PLINK's unphased r, as
``--clump`` uses), with missing calls mean-imputed. Only the variants asked for are read, in
blocks, so a genome-wide panel never sits in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.io.genotypes import GenotypeSource

_BLOCK_BYTES = 64 * 2**20


def match_to_reference(
    table: pl.DataFrame, variants: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Find each row of ``table`` among a reference panel's ``variants``.

    Rows match on chromosome, position and the unordered allele pair (allele letters compared
    case-insensitively).

    Returns
    -------
    index
        int64 ``(n_rows,)``: row of ``variants``, or -1 where the panel lacks the variant.
    sign
        float64 ``(n_rows,)``: +1 when the panel counts the same effect allele, -1 when swapped
        (multiply a panel dosage correlation by it to express it for ``table``'s allele), 0 when
        unmatched.
    """
    ref = variants.select(
        pl.col("chromosome"),
        pl.col("base_pair_location"),
        pl.col("effect_allele").str.to_uppercase().alias("_rea"),
        pl.col("other_allele").str.to_uppercase().alias("_roa"),
    ).with_row_index("_ref")
    ref = ref.with_columns(
        pl.min_horizontal("_rea", "_roa").alias("_a1"),
        pl.max_horizontal("_rea", "_roa").alias("_a2"),
    ).unique(subset=["chromosome", "base_pair_location", "_a1", "_a2"], keep="first")
    left = table.select(
        pl.col("chromosome"),
        pl.col("base_pair_location"),
        pl.col("effect_allele").str.to_uppercase().alias("_ea"),
        pl.col("other_allele").str.to_uppercase().alias("_oa"),
    ).with_row_index("_row")
    left = left.with_columns(
        pl.min_horizontal("_ea", "_oa").alias("_a1"),
        pl.max_horizontal("_ea", "_oa").alias("_a2"),
    )
    joined = left.join(ref, on=["chromosome", "base_pair_location", "_a1", "_a2"], how="left").sort(
        "_row"
    )
    index = joined["_ref"].fill_null(-1).cast(pl.Int64).to_numpy()
    same = (joined["_ea"] == joined["_rea"]).fill_null(False).to_numpy()
    sign = np.where(index < 0, 0.0, np.where(same, 1.0, -1.0))
    return index, sign


def standardised_dosages(
    source: GenotypeSource, index: np.ndarray, *, sample_index: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read ``index`` variants in blocks; return standardised dosages and dosage variances.

    Returns
    -------
    x
        float64 ``(n_samples, len(index))``, each column centred and scaled to mean square 1
        (so ``x.T @ x / n`` is the correlation matrix); missing calls are mean-imputed (0 after
        centring); monomorphic columns are all 0.
    variance
        float64 ``(len(index),)``: dosage variance with divisor n (after imputation).
    """
    x, variance, _ = _standardise(source, index, sample_index)
    return x, variance


def _standardise(
    source: GenotypeSource, index: np.ndarray, sample_index: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`standardised_dosages` plus the mean dosage of each variant."""
    index = np.asarray(index, dtype=np.int64)
    n = source.n_samples if sample_index is None else len(sample_index)
    x = np.empty((n, index.size), dtype=np.float64)
    variance = np.empty(index.size, dtype=np.float64)
    means = np.empty(index.size, dtype=np.float64)
    step = max(1, _BLOCK_BYTES // (4 * max(n, 1)))
    # read in file order (fast for every reader), then put back in the requested order
    order = np.argsort(index, kind="stable")
    for start in range(0, index.size, step):
        cols = order[start : start + step]
        block = source.read(index[cols], sample_index).astype(np.float64)
        mean = np.nanmean(block, axis=0) if block.shape[0] else np.zeros(block.shape[1])
        mean = np.where(np.isfinite(mean), mean, 0.0)
        block = block - mean
        block[np.isnan(block)] = 0.0
        var = np.einsum("ij,ij->j", block, block) / max(n, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(var > 1e-12, 1.0 / np.sqrt(var), 0.0)
        x[:, cols] = block * scale
        variance[cols] = var
        means[cols] = mean
    return x, variance, means


@dataclass(frozen=True)
class LdPanel:
    """Standardised dosages of some reference variants, for correlations on demand.

    ``x`` is ``(n_samples, n_variants)`` (see :func:`standardised_dosages`); ``sign`` turns
    panel alleles into the caller's alleles; ``frequency`` is the panel frequency of the
    caller's effect allele.
    """

    x: np.ndarray
    variance: np.ndarray
    sign: np.ndarray
    frequency: np.ndarray

    @property
    def n_samples(self) -> int:
        return self.x.shape[0]

    def r(self, rows: np.ndarray | slice, cols: np.ndarray | slice | None = None) -> np.ndarray:
        """Signed correlations ``(len(rows), len(cols))`` in the caller's allele coding."""
        cols = slice(None) if cols is None else cols
        a = self.x[:, rows] * self.sign[rows]
        b = self.x[:, cols] * self.sign[cols]
        return (a.T @ b) / max(self.n_samples, 1)


def load_panel(source: GenotypeSource, table: pl.DataFrame) -> tuple[LdPanel, np.ndarray]:
    """The panel for the rows of ``table`` that the reference holds.

    Returns the panel (columns in the order of the matched rows) and the boolean mask of
    ``table`` rows it covers.
    """
    index, sign = match_to_reference(table, source.variants)
    found = index >= 0
    x, variance, mean = _standardise(source, index[found])
    sign = sign[found]
    frequency = np.where(sign > 0, mean / 2.0, 1.0 - mean / 2.0)
    return LdPanel(x=x, variance=variance, sign=sign, frequency=frequency), found


def lead_r2(source: GenotypeSource, region: pl.DataFrame, lead_variant_id: str) -> pl.DataFrame:
    """r² of each variant of ``region`` (summary statistics of one locus) with its lead.

    Variants are matched to the panel ``source`` by position and alleles; the result has columns
    ``variant_id`` and ``r2`` for the variants the panel holds, and no rows when it lacks the
    lead (the layout of a results folder's ``ld/<locus>.parquet``).
    """
    empty = pl.DataFrame(
        {"variant_id": [], "r2": []}, schema={"variant_id": pl.String, "r2": pl.Float64}
    )
    if region.height == 0:
        return empty
    panel, found = load_panel(source, region)
    ids = region["variant_id"].to_numpy()[found]
    lead = np.flatnonzero(ids == lead_variant_id)
    if lead.size == 0:
        return empty
    r = panel.r(lead[:1])[0]
    return pl.DataFrame({"variant_id": ids.astype(str), "r2": r * r})
