"""Fields per line of a delimited text, counted block by block (bounded memory, no parsing).

Polars pads a short line with nulls, which would silently blank the values a truncated line
lost; :func:`first_ragged_line` finds the first line whose number of fields differs from the
header's without holding the lines: separators and newlines are located in blocks of bytes with
numpy. Lines are split at ``\\n`` only (a ``\\r`` before it is part of the line but not a
separator); a blank line has one field; a last line without ``\\n`` counts; no quoting (a quoted
separator counts), as the readers that use it read without quotes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np

#: Bytes per block: the temporaries are a few times this.
BLOCK = 1 << 23


def _blocks(source: Path | io.BytesIO, size: int) -> Iterator[np.ndarray]:
    if isinstance(source, io.BytesIO):
        view = np.frombuffer(source.getbuffer(), dtype=np.uint8)
        for start in range(0, view.size, size):
            yield view[start : start + size]
        return
    with open(source, "rb") as fh:
        while block := fh.read(size):
            yield np.frombuffer(block, dtype=np.uint8)


def first_ragged_line(
    source: Path | io.BytesIO, sep: str, n_fields: int, *, block: int = BLOCK
) -> tuple[int, int] | None:
    """``(index, fields)`` of the first line (0 = the header) that does not hold ``n_fields``
    ``sep``-separated fields, or ``None`` when every line does."""
    sep_code, newline = ord(sep), ord("\n")
    line = 0  # lines finished so far
    carry = 0  # separators of the unfinished line
    tail = False  # bytes after the last newline
    for chunk in _blocks(source, block):
        seps = np.flatnonzero(chunk == sep_code)
        ends = np.flatnonzero(chunk == newline)
        if ends.size:
            before = np.searchsorted(seps, ends)
            per_line = np.diff(before, prepend=0)
            per_line[0] += carry
            bad = np.flatnonzero(per_line != n_fields - 1)
            if bad.size:
                return line + int(bad[0]), int(per_line[bad[0]]) + 1
            line += ends.size
            carry = seps.size - int(before[-1])
            tail = bool(ends[-1] != chunk.size - 1)
        else:
            carry += seps.size
            tail = tail or chunk.size > 0
    if tail and carry != n_fields - 1:
        return line, carry + 1
    return None
