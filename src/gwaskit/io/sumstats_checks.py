"""Value checks on a SumStats table read from a file: every row is plausible, or the file is
rejected with the line (or row) and column of the first bad value.

Missing values (null or NaN: a variant without an estimate, e.g. one with a ``reason`` code) are
allowed; impossible ones are not: a standard error <= 0, a p-value outside [0, 1], an infinite
estimate, a negative position, an allele that is not a DNA sequence, the same variant twice.
These are errors rather than rows dropped in silence (DESIGN.md, "Files and failure").
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
    _check_duplicates(table, source, first_line)


def _has_values(table: pl.DataFrame, column: str) -> bool:
    return column in table.columns and table[column].null_count() < table.height


def _check_duplicates(table: pl.DataFrame, source: str | Path, first_line: int | None) -> None:
    """The same variant (chromosome, position, unordered allele pair) on two rows."""
    ea = table["effect_allele"].str.to_uppercase()
    oa = table["other_allele"].str.to_uppercase()
    keys = pl.DataFrame(
        {
            "chromosome": table["chromosome"],
            "position": table["base_pair_location"],
            "a": pl.select(pl.min_horizontal(ea, oa)).to_series(),
            "b": pl.select(pl.max_horizontal(ea, oa)).to_series(),
        }
    ).with_row_index("row")
    keys = keys.filter(pl.col("position").is_not_null())
    dup = keys.filter(pl.struct("chromosome", "position", "a", "b").is_duplicated())
    if dup.height == 0:
        return
    first = dup.row(0, named=True)
    same = dup.filter(
        (pl.col("chromosome") == first["chromosome"])
        & (pl.col("position") == first["position"])
        & (pl.col("a") == first["a"])
        & (pl.col("b") == first["b"])
    )["row"]
    i, j = int(same[0]), int(same[1])
    where = (
        f"rows {i + 1} and {j + 1}"
        if first_line is None
        else f"lines {i + first_line} and {j + first_line}"
    )
    variant = f"{first['chromosome']}:{first['position']}:{first['a']}:{first['b']}"
    raise InputError(
        source,
        f"{where} hold the same variant {variant}; expected each variant once "
        "(remove the duplicate, or split multi-allelic sites consistently).",
    )
