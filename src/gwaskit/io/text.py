"""Small, strict readers for whitespace- and tab-separated text files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
