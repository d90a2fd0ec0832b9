"""Markers whose alleles disagree between studies.

A *marker* is a named site: its variant id, when studies are matched on ids (files without
positions, as GWAMA and METAL read them). Two studies that report one marker with different
allele pairs (``rs12138618`` G/A in two of GWAMA's example studies, T/A in the third) do not
report one variant: the later study's row is dropped with the reason ``allele_mismatch``, as
METAL ("mismatched alleles", Willer, Li & Abecasis 2010, doi:10.1093/bioinformatics/btq340) and
GWAMA (Mägi & Morris 2010, doi:10.1186/1471-2105-11-288) do, rather than becoming a second,
one-study variant under the same name.

The alleles of the first study (in study order) carrying the marker are the marker's; a study's
row is kept when its unordered allele pair, read strand-agnostically, is one of them (a first
study that splits a multi-allelic site into several rows allows every one of its pairs). Rows
without a variant id name no marker and are never dropped here. Studies matched on positions
are not checked: at one position, different allele pairs are different variants (the two ALT
alleles of a multi-allelic site share their rsID).
"""

from __future__ import annotations

import numpy as np
import polars as pl


def allele_mismatch(markers: pl.DataFrame, study: np.ndarray, pair: np.ndarray) -> np.ndarray:
    """Rows whose marker was first reported, by an earlier study, with other alleles.

    Parameters
    ----------
    markers
        The marker key of each row (one or more columns; a null in any means "no marker").
    study
        Study index of each row (int, study order), shape ``(n_rows,)``.
    pair
        Integer code of each row's canonical (strand- and order-free) allele pair, shape
        ``(n_rows,)``.

    Returns
    -------
    numpy.ndarray
        Boolean mask, shape ``(n_rows,)``: True for the rows to drop as ``allele_mismatch``.
    """
    n = markers.height
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    key = markers.columns
    df = markers.with_columns(
        _s=pl.Series(study, dtype=pl.Int64),
        _pair=pl.Series(pair, dtype=pl.Int64),
        _r=pl.Series(np.arange(n, dtype=np.int64)),
    ).filter(pl.all_horizontal(pl.col(key).is_not_null()))
    df = df.with_columns(_s0=pl.col("_s").min().over(key))
    allowed = df.filter(pl.col("_s") == pl.col("_s0")).select(*key, "_pair").unique()
    bad = df.join(allowed, on=[*key, "_pair"], how="anti")["_r"].to_numpy()
    out[bad] = True
    return out
