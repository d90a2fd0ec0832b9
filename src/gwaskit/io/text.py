"""Small, strict readers for whitespace- and tab-separated text files, and text-column helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError


def read_whitespace_table(path: Path, *, n_columns: int, what: str) -> np.ndarray:
    """Read a headerless whitespace-separated file with exactly ``n_columns`` fields per line.

    Returns a string array of shape ``(n_lines, n_columns)``. Blank lines are errors (they would
    shift sample or variant indices silently).
    """
    if not path.is_file():
        raise InputError(path, "file not found.")
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise InputError(path, f"is not a text file; expected {what} per line.") from None
    lines = text.splitlines()
    if not lines:
        raise InputError(path, f"is empty; expected {what} per line.")
    rows = [line.split() for line in lines]
    for number, fields in enumerate(rows, start=1):
        if len(fields) != n_columns:
            raise InputError(
                path, f"expected {what}: {n_columns} fields, found {len(fields)}.", line=number
            )
    return np.array(rows, dtype=str).reshape(len(rows), n_columns)


def parse_positions(path: Path, values: np.ndarray, *, first_line: int, column: str) -> np.ndarray:
    """Base-pair positions (non-negative ASCII integers) from strings, as int64.

    ``first_line`` is the 1-based file line of ``values[0]``; a bad value raises
    :class:`InputError` naming its line.
    """
    values = np.asarray(values, dtype=str)
    good = np.array(
        [v.isascii() and v.isdigit() and len(v) <= 12 for v in values.tolist()], dtype=bool
    )
    if not good.all():
        bad = int(np.flatnonzero(~good)[0])
        raise InputError(
            path,
            f"expected a non-negative integer base-pair position, got {values[bad]!r}.",
            line=first_line + bad,
            column=column,
        )
    return values.astype(np.int64)


def map_distinct(col: pl.Series, fn: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """``fn(col)`` for an element-wise string function, computed on the distinct values when
    they repeat a lot (alleles, chromosome names); nulls stay null."""
    distinct = col.unique()
    if distinct.len() * 4 > col.len():
        return fn(col)
    mapped = fn(distinct)
    if mapped.eq_missing(distinct).all():
        return col
    keep = distinct.is_not_null()
    return col.replace(distinct.filter(keep), mapped.filter(keep))
