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
from numba import njit

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


@njit(cache=True, nogil=True)
def _scan(chunk: np.ndarray, sep: int, expected: int, carry: int) -> tuple[int, int, int, int]:
    """One block: ``(lines ended, index of the first bad line or -1, its separators, separators
    of the unfinished last line)``."""
    lines = 0
    for i in range(chunk.size):
        byte = chunk[i]
        if byte == sep:
            carry += 1
        elif byte == 10:
            if carry != expected:
                return lines, lines, carry, 0
            lines += 1
            carry = 0
    return lines, -1, 0, carry


def first_ragged_line(
    source: Path | io.BytesIO, sep: str, n_fields: int, *, block: int = BLOCK
) -> tuple[int, int] | None:
    """``(index, fields)`` of the first line (0 = the header) that does not hold ``n_fields``
    ``sep``-separated fields, or ``None`` when every line does."""
    line = 0  # lines finished so far
    carry = 0  # separators of the unfinished line
    tail = False  # bytes after the last newline
    for chunk in _blocks(source, block):
        ended, bad, found, carry = _scan(chunk, ord(sep), n_fields - 1, carry)
        if bad >= 0:
            return line + bad, found + 1
        line += ended
        tail = bool(chunk[-1] != ord("\n")) if ended else tail or chunk.size > 0
    if tail and carry != n_fields - 1:
        return line, carry + 1
    return None
