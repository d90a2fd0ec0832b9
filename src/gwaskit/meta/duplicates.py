"""The same study under two names: identical rows, whatever the file's format or name.

A study given twice (two names for one file, a renamed or recompressed copy, the PLINK 2
``.glm`` and the GWAS-SSF export of one analysis) counts its samples twice: the fixed-effect
standard error shrinks by :math:`1/\\sqrt{2}` and every signal looks stronger than it is
(Borenstein et al. 2009, *Introduction to Meta-Analysis*, ch. 25, doi:10.1002/9780470743386).

Two steps keep this cheap for a consortium's worth of studies: a fingerprint per table (a hash of
its variant keys and the sign of each beta; equal for two exports of one analysis,
different for two studies unless every sign of thousands agrees), then, only for tables with
equal fingerprints, a row-by-row comparison of the values within the precision of a text export.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

#: Columns that identify a row (not ``variant_id``: writers spell it differently, e.g. the
#: GWAS-SSF export writes ``CHR_POS_OTHER_EFFECT`` where the Parquet keeps the genotype file's ID).
_KEYS = ("chromosome", "base_pair_location", "effect_allele", "other_allele")


def _with_results(table: pl.DataFrame) -> pl.DataFrame:
    """The rows with a result (a beta or a p-value): untestable variants are kept in a gwaskit
    Parquet but sent to a side table by the GWAS-SSF export of the same analysis."""
    present = [c for c in ("beta", "neg_log_10_p_value") if c in table.columns]
    if not present:
        return table
    has = pl.lit(False)
    for c in present:
        has = has | pl.col(c).cast(pl.Float64).fill_nan(None).is_not_null()
    return table.filter(has)


#: Columns compared between two candidate duplicates.
_VALUES = ("beta", "standard_error", "neg_log_10_p_value")
#: Relative tolerance of the row comparison: PLINK 2 writes 6 significant digits, so two
#: exports of one analysis agree to about 5e-6; two different studies differ in the first
#: digits.
RTOL = 1e-4


def _keyed(table: pl.DataFrame) -> pl.DataFrame:
    def text(name: str) -> pl.Expr:
        if name not in table.columns:
            return pl.lit(None, pl.String).alias(name)
        return pl.col(name).cast(pl.String).str.to_uppercase()

    values = [
        pl.col(c).cast(pl.Float64).fill_nan(None)
        if c in table.columns
        else pl.lit(None, pl.Float64).alias(c)
        for c in _VALUES
    ]
    position = (
        pl.col("base_pair_location").cast(pl.Int64)
        if "base_pair_location" in table.columns
        else pl.lit(None, pl.Int64).alias("base_pair_location")
    )
    keys = [text(c) if c != "base_pair_location" else position for c in _KEYS]
    return table.select(*keys, *values).sort([*_KEYS, *_VALUES], nulls_last=True)


def rows_fingerprint(table: pl.DataFrame) -> str:
    """Hex digest of a SumStats table's variant keys (chromosome, position, variant_id,
    alleles) and the sign of each ``beta``: equal for two copies of one study in any format
    or row order. Only meaningful within one process (polars row hashes).

    The table is taken as the readers give it (chromosomes normalised, alleles upper-case,
    types conformed). Row hashes are combined by a wrapping sum and an exclusive or, which do
    not depend on row order, so no sort is needed: about 0.1 s per million rows.
    """
    table = _with_results(table)
    columns = [pl.col(c) if c in table.columns else pl.lit(None, pl.String).alias(c) for c in _KEYS]
    # NaN (a Parquet's failed fit) and null (the same row read from text) are one thing here
    beta = pl.col("beta").cast(pl.Float64).fill_nan(None)
    sign = beta.sign() if "beta" in table.columns else pl.lit(None, pl.Float64)
    hashes = table.select(*columns, sign.alias("sign")).hash_rows(seed=0).to_numpy()
    digest = hashlib.sha256(np.int64(table.height).tobytes())
    digest.update(np.sum(hashes, dtype=np.uint64).tobytes())
    digest.update(np.bitwise_xor.reduce(hashes, dtype=np.uint64).tobytes())
    return digest.hexdigest()


def same_rows(first: pl.DataFrame, second: pl.DataFrame, *, rtol: float = RTOL) -> bool:
    """Whether two SumStats tables hold the same rows: the same variant keys, and ``beta``,
    ``standard_error`` and ``neg_log_10_p_value`` equal within ``rtol`` wherever both tables
    have them (at least one of them must be present in both); rows without a result are left
    out of both."""
    first, second = _with_results(first), _with_results(second)
    if first.height != second.height:
        return False
    a, b = _keyed(first), _keyed(second)
    if not a.select(_KEYS).equals(b.select(_KEYS)):
        return False
    compared = 0
    for name in _VALUES:
        x = a[name].to_numpy().astype(np.float64)
        y = b[name].to_numpy().astype(np.float64)
        if np.isnan(x).all() or np.isnan(y).all():
            continue
        if not np.allclose(x, y, rtol=rtol, atol=0.0, equal_nan=True):
            return False
        compared += 1
    return compared > 0
