"""first_ragged_line (fields per line counted by blocks of bytes) against polars reading the same
bytes one line per row (what the readers did before), on random texts and block sizes."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from gwaskit.io.field_counts import first_ragged_line


def _by_polars(data: bytes, sep: str, n_fields: int) -> tuple[int, int] | None:
    lines = pl.read_csv(
        io.BytesIO(data),
        has_header=False,
        separator="\x1f",
        quote_char=None,
        new_columns=["line"],
        schema_overrides={"line": pl.String},
    )["line"]
    counts = lines.fill_null("").str.count_matches(sep, literal=True) + 1
    bad = counts != n_fields
    if not bad.any():
        return None
    row = int(bad.arg_true()[0])
    return row, int(counts[row])


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="a1\t,\n\r", min_size=1, max_size=60).filter(
        lambda t: t.strip("\n\r") != ""
    ),
    sep=st.sampled_from(["\t", ","]),
    n_fields=st.integers(1, 4),
    block=st.integers(1, 9),
)
def test_first_ragged_line__as_polars_reads_the_lines(text, sep, n_fields, block):
    data = ("h" + text).encode()  # a first line that is not blank, as a header
    expected = _by_polars(data, sep, n_fields)
    assert first_ragged_line(io.BytesIO(data), sep, n_fields, block=block) == expected


def test_first_ragged_line__file_in_blocks(tmp_path: Path) -> None:
    rows = ["a\tb\tc", *[f"{i}\t{i}\t{i}" for i in range(1000)]]
    rows[700] = "700\t700"  # a truncated line: 2 fields
    path = tmp_path / "t.tsv"
    path.write_text("\n".join(rows))  # no final newline
    assert first_ragged_line(path, "\t", 3, block=64) == (700, 2)
    path.write_text("\n".join(rows[:700]) + "\n")
    assert first_ragged_line(path, "\t", 3, block=64) is None
    path.write_text("\n".join(rows[:700]) + "\n1\t2")  # the last line, without its newline
    assert first_ragged_line(path, "\t", 3, block=7) == (700, 2)
