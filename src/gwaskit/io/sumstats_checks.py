"""Value checks on a SumStats table read from a file: every row is plausible, or the file is
rejected with the line (or row) and column of the first bad value.

Missing values (null or NaN: a variant without an estimate, e.g. one with a ``reason`` code) are
allowed; impossible ones are not: a standard error <= 0, a p-value outside [0, 1], an infinite
estimate, a negative position, an allele that is not a DNA sequence. These are errors rather
than rows dropped in silence (DESIGN.md, "Files and failure").

The same variant on several rows happens in real files (topr's UC file has 11): exact copies are
reduced to one, and the copies of a variant whose rows disagree are all dropped (never one picked
over another), each with a reason code and counted (:func:`drop_duplicates`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError

_ALLELE = r"^[ACGTacgt]+$"


def check_sumstats(
    table: pl.DataFrame, source: str | Path, *, first_line: int | None = 2, alleles: bool = True
) -> None:
    """Raise :class:`InputError` at the first impossible value of a SumStats table.

    Parameters
    ----------
    table
        SumStats columns (as :func:`gwaskit.io.sumstats.conform` gives them), in file order.
    source
        The file, for the message.
    first_line
        The line number of the first data row in a text file (2 below a header line); ``None``
        for a table without lines (Parquet): messages then give the 1-based row.
    alleles
        Check that both alleles are DNA sequences (A, C, G, T; case-insensitive).
    """
    if table.height == 0:
        raise InputError(source, "holds no variants (a header without rows); expected one or more.")
    if not _has_values(table, "p_value") and not _has_values(table, "neg_log_10_p_value"):
        raise InputError(
            source, "has no p-values: expected a p_value or a neg_log_10_p_value column."
        )

    def fail(row: int, column: str, message: str) -> None:
        if first_line is None:
            raise InputError(source, f"row {row + 1}: {message}", column=column)
        raise InputError(source, message, line=row + first_line, column=column)

    for column, test, expected in (
        ("standard_error", lambda x: x > 0, "a standard error > 0"),
        ("p_value", lambda x: (x >= 0) & (x <= 1), "a p-value in [0, 1]"),
        ("neg_log_10_p_value", lambda x: x >= 0, "a -log10 p-value >= 0"),
        ("beta", np.isfinite, "a finite effect size"),
        ("effect_allele_frequency", lambda x: (x >= 0) & (x <= 1), "a frequency in [0, 1]"),
        ("n", lambda x: x >= 0, "a sample size >= 0"),
    ):
        if column not in table.columns:
            continue
        values = table[column].cast(pl.Float64).fill_null(np.nan).to_numpy()
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(values) & ~(test(values) & np.isfinite(values))
        if bad.any():
            row = int(np.argmax(bad))
            fail(row, column, f"expected {expected} (or NA), found {float(values[row])!r}.")

    positions = table["base_pair_location"]
    negative = (positions < 0).fill_null(False)
    if negative.any():
        row = int(negative.arg_true()[0])
        fail(row, "base_pair_location", f"expected a position >= 0, found {positions[row]}.")

    for column in ("effect_allele", "other_allele"):
        values = table[column]
        if values.null_count():
            fail(int(values.is_null().arg_true()[0]), column, "the allele is missing.")
        if alleles:
            wrong = ~values.str.contains(_ALLELE)
            if wrong.any():
                row = int(wrong.arg_true()[0])
                fail(
                    row,
                    column,
                    f"expected an allele of A, C, G, T (a base or a sequence), found "
                    f"{values[row]!r}.",
                )


def _has_values(table: pl.DataFrame, column: str) -> bool:
    return column in table.columns and table[column].null_count() < table.height


def split_duplicates(
    table: pl.DataFrame, duplicated: np.ndarray, keys: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Tell exact duplicate rows from conflicting ones.

    Parameters
    ----------
    table
        The rows (every column is compared).
    duplicated
        Boolean mask, shape ``(n_rows,)``: the rows whose variant key occurs more than once.
    keys
        The variant key of every row (one or more columns, ``n_rows`` rows).

    Returns
    -------
    identical, conflicting
        Boolean masks, shape ``(n_rows,)``. ``identical``: the second and later copies of a
        variant whose rows are all the same in every column (the first copy is kept).
        ``conflicting``: every copy of a variant whose rows differ in any column (no copy is
        picked over another).
    """
    identical = np.zeros(table.height, dtype=bool)
    conflicting = np.zeros(table.height, dtype=bool)
    rows = np.flatnonzero(duplicated)
    if rows.size == 0:
        return identical, conflicting
    key_names = [f"_key{i}" for i in range(keys.width)]
    sub = pl.concat(
        [
            keys[rows].rename(dict(zip(keys.columns, key_names, strict=True))),
            table[rows].select(pl.struct(pl.all()).alias("_row")),
        ],
        how="horizontal",
    ).with_columns(pl.Series("_r", rows))
    sub = sub.with_columns(
        _distinct=pl.col("_row").n_unique().over(key_names),
        _copy=pl.int_range(pl.len()).over(key_names),
    )
    identical[sub.filter((pl.col("_distinct") == 1) & (pl.col("_copy") > 0))["_r"]] = True
    conflicting[sub.filter(pl.col("_distinct") > 1)["_r"]] = True
    return identical, conflicting


def drop_duplicates(table: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Remove duplicate variants (chromosome, position, unordered allele pair) of a SumStats
    table: exact copies down to one row (reason ``duplicate_identical``), and every copy of a
    variant whose rows disagree (reason ``duplicate``).

    Returns
    -------
    kept, dropped
        The rows kept (in file order), and the rows dropped with a ``reason`` column and the
        1-based ``row`` they had.
    """
    ea = table["effect_allele"].str.to_uppercase()
    oa = table["other_allele"].str.to_uppercase()
    keys = pl.DataFrame(
        {
            "chromosome": table["chromosome"],
            "position": table["base_pair_location"],
            "a": pl.select(pl.min_horizontal(ea, oa)).to_series(),
            "b": pl.select(pl.max_horizontal(ea, oa)).to_series(),
        }
    )
    duplicated = (
        keys.select(pl.struct(pl.all()).is_duplicated()).to_series().to_numpy()
        & keys["position"].is_not_null().to_numpy()
    )
    identical, conflicting = split_duplicates(table, duplicated, keys)
    reason = np.where(identical, "duplicate_identical", np.where(conflicting, "duplicate", ""))
    drop = identical | conflicting
    dropped = (
        table.with_row_index("row", offset=1)
        .with_columns(pl.Series("reason", reason))
        .filter(pl.Series(drop))
    )
    return table.filter(pl.Series(~drop)), dropped
