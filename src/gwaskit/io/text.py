"""Small, strict readers for whitespace- and tab-separated text files, and text-column helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError


def read_text_lines(path: Path, what: str) -> list[str]:
    """The lines of a UTF-8 text file, plain or zstd-compressed (``.pvar.zst``).

    ``what`` says what the file should hold (``"a .bim (CHR ID CM POS A1 A2 per line)"``); it
    completes the error raised for a missing, gzip-compressed, binary or empty file. A leading
    byte-order mark (as Windows editors write) is dropped.
    """
    if not path.is_file():
        raise InputError(path, "file not found.")
    raw = path.read_bytes()
    if raw[:4] == ZSTD_MAGIC:
        raw = _unzstd(path, raw)
    elif raw[:2] == b"\x1f\x8b":
        raise InputError(
            path, f"is compressed; expected a plain-text {what} (decompress it first)."
        )
    lines = decode_text(path, raw, what).splitlines()
    if not lines:
        raise InputError(path, f"is empty; expected {what}.")
    return lines


#: The first four bytes of a zstd frame.
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def decode_text(path: Path, raw: bytes, what: str) -> str:
    """``raw`` decoded as UTF-8 without its byte-order mark, if any (a BOM left in place would
    become part of the first field: a sample ID or a header name)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(path, f"is not a text file; expected {what}.") from None


def read_text(path: Path, what: str) -> str:
    """The text of a UTF-8 file (BOM dropped); ``what`` completes the error messages."""
    if not path.is_file():
        raise InputError(path, "file not found.")
    return decode_text(path, path.read_bytes(), what)


def _unzstd(path: Path, raw: bytes) -> bytes:
    """Decompress a zstd file held in memory (every frame, as ``zstd -d`` does)."""
    import zstandard

    parts, data = [], raw
    try:
        while data:
            frame = zstandard.ZstdDecompressor().decompressobj()
            parts.append(frame.decompress(data))
            if not frame.eof:
                raise InputError(path, "is a truncated zstd file (its last frame is cut short).")
            data = frame.unused_data
    except zstandard.ZstdError as exc:
        raise InputError(path, f"is a damaged zstd file ({exc}).") from None
    out = b"".join(parts)
    return out


def split_fields(
    path: Path, lines: list[str], *, first: int, n_fields: int, layout: str, what: str
) -> pl.DataFrame:
    """The whitespace-separated fields of ``lines[first:]`` as string columns ``f0, f1, ...``.

    Every line must have exactly ``n_fields`` fields (as ``layout`` says, e.g. ``"the #CHROM
    header"``); the error names the first line that does not, in 1-based file lines. Blank lines
    are errors too: they would shift sample or variant indices silently. ``what`` names one
    record (``"variant"``) for the error of a file without any.
    """
    body = pl.Series(lines[first:], dtype=pl.String)
    if body.is_empty():
        raise InputError(path, f"has no {what} lines.")
    fields = body.str.extract_all(r"\S+")
    counts = fields.list.len()
    wrong = (counts != n_fields).arg_true()
    if wrong.len():
        i = int(wrong[0])
        raise InputError(
            path,
            f"expected {n_fields} fields (as {layout}), found {counts[i]}.",
            line=first + i + 1,
        )
    return pl.DataFrame([fields.list.get(j).alias(f"f{j}") for j in range(n_fields)])


def parse_positions(path: Path, values: pl.Series, *, first_line: int, column: str) -> np.ndarray:
    """Base-pair positions (non-negative ASCII integers of at most 12 digits) as int64.

    ``first_line`` is the 1-based file line of ``values[0]``; a bad value raises
    :class:`InputError` naming its line.
    """
    bad = values.str.contains(r"^[0-9]{1,12}$").not_().arg_true()
    if bad.len():
        i = int(bad[0])
        raise InputError(
            path,
            f"expected a non-negative integer base-pair position, got {values[i]!r}.",
            line=first_line + i,
            column=column,
        )
    return values.cast(pl.Int64).to_numpy()


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
