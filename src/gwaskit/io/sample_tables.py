"""Sample tables (phenotype and covariate files) as the field writes them, parsed to strings.

Layouts read:

* PLINK style: a header row whose first fields are ``FID IID`` (or ``#FID IID``), or ``IID``
  (or ``#IID``) alone, then one column per trait or covariate; fields separated by whitespace
  (or by tabs, in which case an empty field is a missing value);
* a headed TSV or CSV (``.csv`` files, or a header that holds commas and no tabs) with the same
  ID columns;
* headerless, as plink reads it: ``FID IID value...`` (the first row's values are numbers or
  missing codes), value column ``c`` (1-based, counting FID and IID) named ``PHENO{c-2}``
  (``COVAR{c-2}`` in a covariate file); a ``.fam`` (``FID IID PAT MAT SEX PHENO...``, with as
  many phenotype columns as GEMMA's) gives its columns 6, 7, ... as ``PHENO1``, ``PHENO2``, ...
  (plink2's names for ``--pheno FILE.fam --pheno-col-nums 6,7``);
* a ``.psam`` (``#FID IID ...`` or ``#IID ...``): its columns other than ``SID PAT MAT SEX``.

Columns can also be chosen by their 1-based number in the file (plink2's ``--pheno-col-nums``),
see :func:`column_names`. A byte-order mark at the start of the file is dropped.

``-9``, ``NA`` (any case), ``nan``, ``.`` and empty fields are missing codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from gwaskit.errors import InputError, ParameterError
from gwaskit.io.compression import is_parquet, read_text
from gwaskit.io.tables import read_table

#: Field values read as missing (compared after stripping, case-insensitively for letters).
#: Columns of a ``.psam`` that describe the sample, not a phenotype (plink2 skips them too).
_PSAM_SAMPLE_COLUMNS = frozenset({"SID", "PAT", "MAT", "SEX"})
MISSING_VALUES = frozenset({"-9", "na", "nan", "", "."})


@dataclass(frozen=True)
class SampleTable:
    """A parsed phenotype/covariate file, rows in file order.

    ``ids`` holds ``fid`` (when the file has a FID column) and ``iid``; ``values`` the value
    columns as stripped strings; ``lines`` the 1-based file line of each row; ``numbers`` the
    1-based column number in the file of each value column.
    """

    path: Path
    ids: pl.DataFrame
    values: pl.DataFrame
    lines: np.ndarray
    numbers: tuple[int, ...] = ()

    @property
    def has_fid(self) -> bool:
        return "fid" in self.ids.columns

    def __repr__(self) -> str:  # a message naming the table names its file, not its rows
        return f"SampleTable({str(self.path)!r}, rows={self.ids.height})"


def read_sample_table(path: str | Path, *, prefix: str = "PHENO") -> SampleTable:
    """Parse a PLINK-style, headerless or headed TSV/CSV sample table (see the module
    docstring); ``prefix`` names the columns of a headerless file.

    Raises :class:`InputError` for the first problem in file order: a wrong number of fields,
    an empty sample ID or a repeated one (naming the line of its first occurrence).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    if is_parquet(path):  # a gwaskit table, e.g. PREFIX.eigenvec.parquet of `gwaskit pca`
        table, _ = read_table(path, what="a sample table")
        text = table.write_csv(separator="\t", null_value="NA")
    else:  # plain or compressed (gzip, bgzip, zstd), decided by content; a BOM dropped
        text = read_text(path, "a header row FID IID ... (or FID IID values, as plink reads)")
    all_lines = pl.Series(text.splitlines(), dtype=pl.String)
    numbers = (all_lines.str.strip_chars() != "").arg_true().to_numpy().astype(np.int64) + 1
    if numbers.size == 0:
        raise InputError(path, "is empty; expected a header row with IID (and FID) columns.")
    header_line = int(numbers[0])
    header = all_lines[header_line - 1]
    separator = _field_separator(path, header)
    names = [n.strip() for n in (header.split(separator) if separator else header.split())]
    first = names[0].lstrip("#").upper() if names else ""
    second = names[1].upper() if len(names) > 1 else ""
    skip: list[int] = []  # value columns left out (PAT MAT SEX of a .fam or a .psam)
    headerless = False
    if first == "FID" and second == "IID":
        id_names = ["fid", "iid"]
    elif first == "IID":
        id_names = ["iid"]
    elif _is_headerless(names, offset := 5 if path.name.lower().endswith(".fam") else 2):
        headerless = True
        id_names = ["fid", "iid"]
        skip = list(range(offset - 2))
        names = ["FID", "IID"] + [
            f"{prefix}{c - offset}" if c > offset else f"_{c}" for c in range(3, len(names) + 1)
        ]
    else:
        raise InputError(
            path,
            f"the header must start with 'FID IID' or 'IID' (optionally with '#'), "
            f"found {' '.join(names[:2])!r}.",
            line=header_line,
        )
    if path.name.lower().endswith(".psam") and not headerless:  # plink2's sample columns
        skip = [
            j for j, n in enumerate(names[len(id_names) :]) if n.upper() in _PSAM_SAMPLE_COLUMNS
        ]
    value_names = names[len(id_names) :]
    if len(set(value_names)) != len(value_names) or any(not n for n in value_names):
        dup = next((n for n in value_names if value_names.count(n) > 1 or not n), "")
        raise InputError(
            path, f"column names must be unique and non-empty, found {dup!r}.", line=header_line
        )
    lines = numbers if headerless else numbers[1:]
    if lines.size == 0:
        raise InputError(path, "has a header but no sample rows.")
    rows = all_lines.gather(lines - 1)
    fields = (rows if separator else _single_spaced(rows)).str.split(separator or " ")
    counts = fields.list.len().to_numpy()
    ragged = np.flatnonzero(counts != len(names))
    n_good = int(ragged[0]) if ragged.size else lines.size  # rows before the first ragged one
    positional = [f"f{j}" for j in range(len(names))]
    table = fields.head(n_good).list.to_struct(fields=positional).struct.unnest()
    if separator:  # whitespace-split fields carry none
        table = table.select(pl.all().str.strip_chars())
    ids = table.select(positional[: len(id_names)]).rename(
        dict(zip(positional[: len(id_names)], id_names, strict=True))
    )
    _check_ids(path, ids, lines)
    if ragged.size:
        raise InputError(
            path,
            f"expected {len(names)} fields as in the header, found {counts[n_good]}.",
            line=int(lines[n_good]),
        )
    chosen = [j for j in range(len(id_names), len(names)) if j - len(id_names) not in skip]
    values = table.select([positional[j] for j in chosen]).rename(
        {positional[j]: names[j] for j in chosen}
    )
    return SampleTable(path, ids, values, lines, tuple(j + 1 for j in chosen))


def _is_headerless(first_row: list[str], offset: int) -> bool:
    """Whether a first row that does not start with FID/IID is data (``FID IID values...``, as
    plink reads a file without header): a value after the ``offset`` leading columns, and those
    values numbers or missing codes."""
    if len(first_row) <= offset:
        return False
    values = pl.Series(first_row[offset:], dtype=pl.String)
    _, bad = parse_numbers(values)
    return not bad.any()


def column_names(path: str | Path, numbers: Sequence[int], *, what: str = "phenotype") -> list[str]:
    """The names of the value columns at 1-based column ``numbers`` of a sample table (plink2's
    ``--pheno-col-nums``/``--covar-col-nums``: FID and IID count as columns 1 and 2)."""
    table = read_sample_table(path)
    by_number = dict(zip(table.numbers, table.values.columns, strict=True))
    names = []
    for number in numbers:
        if number not in by_number:
            raise InputError(
                table.path,
                f"has no {what} column number {number}; its {what} columns are numbers "
                f"{', '.join(map(str, table.numbers)) or 'none'} (FID and IID count as 1 and 2).",
            )
        names.append(by_number[number])
    return names


def parse_column_numbers(text: str, what: str) -> list[int]:
    """Parse plink2's column-number list: ``6``, ``6,7``, ``3-5,8`` (1-based, in that order)."""
    out: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        start = int(first) if first.isdigit() else 0
        stop = int(last) if last.isdigit() else start if not last else 0
        if start < 1 or not start <= stop <= start + 100_000:
            raise ParameterError(
                f"{what} must be column numbers like 6 or 6,7 or 3-5 (increasing ranges), "
                f"got {text!r}."
            )
        out.extend(range(start, stop + 1))
    if len(set(out)) != len(out) or not out:
        raise ParameterError(f"{what} must name each column once, got {text!r}.")
    return out


def _single_spaced(rows: pl.Series) -> pl.Series:
    """Rows whose fields are separated by runs of whitespace, rewritten with one space between
    fields and none around them (checked with literal searches first: most files need none)."""
    irregular = (
        rows.str.contains("\t", literal=True)
        | rows.str.contains("  ", literal=True)
        | rows.str.starts_with(" ")
        | rows.str.ends_with(" ")
    )
    if not irregular.any():
        return rows
    return rows.str.replace_all(r"\s+", " ").str.strip_chars(" ")


def _check_ids(path: Path, ids: pl.DataFrame, lines: np.ndarray) -> None:
    """The first empty or repeated sample ID, in file order, is an error."""
    empty = ids.select(pl.any_horizontal(pl.all() == "")).to_series()
    repeated = ids.select(pl.struct(pl.all()).is_first_distinct().not_()).to_series()
    problems = (empty | repeated).arg_true()
    if not problems.len():
        return
    i = int(problems[0])
    if empty[i]:
        raise InputError(path, "sample ID is empty.", line=int(lines[i]))
    key = ids.row(i)
    first = ids.head(i).rows().index(key)  # an error path: a Python search is fine
    raise InputError(
        path,
        f"sample {' '.join(key)!r} appears more than once (first on line {lines[first]}).",
        line=int(lines[i]),
    )


def _field_separator(path: Path, header: str) -> str | None:
    """``","`` for CSV, ``"\\t"`` for TSV, None for runs of whitespace (PLINK style)."""
    if path.name.lower().endswith((".csv", ".csv.gz")) or ("," in header and "\t" not in header):
        return ","
    if "\t" in header:
        return "\t"
    return None


def parse_numbers(column: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Floats of a string column, NaN for missing codes (and nulls) and for fields that are not
    finite numbers; and the mask of those last ones (neither a number nor a missing code)."""
    text = column.str.strip_chars()
    missing = is_missing_code(text)
    values = text.cast(pl.Float64, strict=False)
    finite = values.is_finite().fill_null(False).to_numpy()
    missing = missing.to_numpy()
    number = finite & ~missing  # -9 is a missing code, not a number
    return np.where(number, values.fill_null(np.nan).to_numpy(), np.nan), ~missing & ~finite


def is_missing_code(text: pl.Series) -> pl.Series:
    """Whether each stripped field is a missing code (nulls are missing too)."""
    return text.str.to_lowercase().is_in(list(MISSING_VALUES)).fill_null(True)


#: Names of the ID columns accepted in an in-memory table (compared without case and ``#``).
_ID_COLUMNS = {"FID": "fid", "IID": "iid"}


def frame_table(frame: Any, *, name: str = "phenotypes table") -> SampleTable:
    """An in-memory sample table (polars, or pandas converted) as a :class:`SampleTable`.

    The table has an ``IID`` column (and optionally ``FID``; names compared without case or a
    leading ``#``) and one column per phenotype or covariate, numbers or text (text makes a
    categorical covariate); nulls and NaN are missing. ``name`` names the table in error
    messages, whose line numbers are then 1-based row numbers.
    """
    frame = as_polars(frame, name)
    canonical = {c: _ID_COLUMNS.get(c.lstrip("#").upper()) for c in frame.columns}
    if "iid" not in canonical.values():
        raise InputError(
            name, f"needs an IID column (and optionally FID), found {', '.join(frame.columns)}."
        )
    id_columns = [c for c in frame.columns if canonical[c]]
    if len(id_columns) != len(set(canonical[c] for c in id_columns)):
        raise InputError(name, f"has more than one FID or IID column: {', '.join(id_columns)}.")
    ids = frame.select(
        pl.col(c).cast(pl.String).fill_null("").str.strip_chars().alias(canonical[c])
        for c in sorted(id_columns, key=lambda c: canonical[c])
    )
    lines = np.arange(1, frame.height + 1, dtype=np.int64)
    path = Path(name)
    if frame.height == 0:
        raise InputError(path, "has no rows.")
    _check_ids(path, ids, lines)
    value_columns = [c for c in frame.columns if not canonical[c]]
    values = frame.select(
        (
            pl.col(c).cast(pl.Int8)
            if frame.schema[c] == pl.Boolean
            else pl.col(c).fill_nan(None)
            if frame.schema[c].is_float()
            else pl.col(c)
        )
        .cast(pl.String)  # floats print their shortest round-trip form: parsed back exactly
        .alias(str(c))
        for c in value_columns
    )
    numbers = tuple(frame.columns.index(c) + 1 for c in value_columns)
    return SampleTable(path, ids, values, lines, numbers)


def as_polars(frame: Any, name: str) -> pl.DataFrame:
    """A polars DataFrame from a polars or pandas one (the pandas index is dropped)."""
    if isinstance(frame, pl.DataFrame):
        return frame
    if type(frame).__module__.partition(".")[0] == "pandas" and hasattr(frame, "columns"):
        # object columns (text, or numbers mixed with text) as text: their values are parsed
        # as a file's fields are, so a stray word is reported where it is
        mixed = {c: "string" for c in frame.columns if frame[c].dtype == object}
        return pl.from_pandas(frame.astype(mixed) if mixed else frame, include_index=False)
    raise ParameterError(
        f"{name} must be a polars or pandas DataFrame, got {type(frame).__name__}."
    )
