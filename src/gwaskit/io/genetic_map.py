"""Genetic maps (recombination rates) for the regional plots' recombination track.

Formats, told apart by their header (whitespace-separated; gzip/bgzip/zstd read as plain):

* PLINK ``.map``: no header; ``chromosome``, variant id, position in cM, position in bp.
* HapMap (``genetic_map_GRCh37_chr*.txt``): header ``Chromosome Position(bp) Rate(cM/Mb)
  Map(cM)``; also Eagle's ``chr position COMBINED_rate(cM/Mb) Genetic_Map(cM)``.
* SHAPEIT2 / IMPUTE2 (``genetic_map_chr*_combined_b37.txt``): header ``position
  COMBINED_rate(cM/Mb) Genetic_Map(cM)`` or ``pposition rrate gposition``; one chromosome per
  file, named in the file name (``chr8``) or given as ``chromosome=``.
* SHAPEIT4/5 (``chr*.b38.gmap``): header ``pos chr cM``.

The result is one table, sorted by chromosome and position: ``chromosome`` (no ``chr``
prefix), ``base_pair_location``, ``cm`` and ``rate`` (cM/Mb from this row to the next, computed
from the cM positions when the file has no rate column; 0 at the last row of a chromosome).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.compression import read_bytes

#: Header (lower-cased tokens) -> names of (chromosome, bp, rate, cM) columns by position;
#: None where the file has no such column.
_HEADERS: dict[tuple[str, ...], tuple[int | None, int, int | None, int]] = {
    ("chromosome", "position(bp)", "rate(cm/mb)", "map(cm)"): (0, 1, 2, 3),
    ("chr", "position", "combined_rate(cm/mb)", "genetic_map(cm)"): (0, 1, 2, 3),
    ("position", "combined_rate(cm/mb)", "genetic_map(cm)"): (None, 0, 1, 2),
    ("pposition", "rrate", "gposition"): (None, 0, 1, 2),
    ("pos", "chr", "cm"): (1, 0, None, 2),
}


def read_genetic_map(path: str | Path, *, chromosome: str | None = None) -> pl.DataFrame:
    """Read a genetic map (PLINK ``.map``, HapMap, SHAPEIT2/IMPUTE2 or SHAPEIT4/5 format).

    ``chromosome`` names the chromosome of a one-chromosome format whose file name does not
    (``..._chr8_...``). Raises :class:`InputError` naming the file and line on a malformed row,
    a non-numeric or decreasing position, or an unknown header.
    """
    path = Path(path)
    text = read_bytes(path, "a genetic map").decode("utf-8", errors="replace")
    lines = [(i + 1, line.split()) for i, line in enumerate(text.splitlines())]
    lines = [(i, f) for i, f in lines if f and not f[0].startswith("#")]
    if not lines:
        raise InputError(path, "the genetic map is empty; expected a header and positions.")
    first = tuple(token.lower() for token in lines[0][1])
    if first in _HEADERS:
        chrom_at, bp_at, rate_at, cm_at = _HEADERS[first]
        rows = lines[1:]
        width = len(first)
    elif len(first) == 4 and _is_number(lines[0][1][2]) and _is_number(lines[0][1][3]):
        chrom_at, bp_at, rate_at, cm_at = 0, 3, None, 2  # PLINK .map: chr, id, cM, bp
        rows, width = lines, 4
    else:
        raise InputError(
            path,
            f"unknown genetic map header {' '.join(lines[0][1])!r}; expected a PLINK .map "
            "(chromosome, id, cM, bp), HapMap (Chromosome Position(bp) Rate(cM/Mb) Map(cM)), "
            "SHAPEIT2 (position COMBINED_rate(cM/Mb) Genetic_Map(cM)) or SHAPEIT4 (pos chr cM).",
            line=lines[0][0],
        )
    for number, fields in rows:
        if len(fields) != width:
            raise InputError(path, f"expected {width} fields, found {len(fields)}.", line=number)
    if chrom_at is None:
        chromosome = chromosome or _chromosome_from_name(path)
        chroms = [chromosome] * len(rows)
    else:
        chroms = [f[chrom_at] for _, f in rows]
    table = pl.DataFrame(
        {
            "line": [n for n, _ in rows],
            "chromosome": chroms,
            "bp": [f[bp_at] for _, f in rows],
            "cm": [f[cm_at] for _, f in rows],
            "rate": [f[rate_at] for _, f in rows] if rate_at is not None else None,
        },
        schema={"line": pl.Int64, "chromosome": pl.String, "bp": pl.String, "cm": pl.String,
                "rate": pl.String},
    )  # fmt: skip
    numbers = table.select(
        "line",
        pl.col("chromosome").str.replace(r"^(?i:chr)", ""),
        pl.col("bp").cast(pl.Float64, strict=False).alias("base_pair_location"),
        pl.col("cm").cast(pl.Float64, strict=False),
        pl.col("rate").cast(pl.Float64, strict=False),
    )
    for column, raw in (("base_pair_location", "bp"), ("cm", "cm")):
        bad = numbers.filter(pl.col(column).is_null() | pl.col(column).is_nan())
        if bad.height:
            line = int(bad["line"][0])
            value = table.filter(pl.col("line") == line)[raw][0]
            raise InputError(path, f"{column} must be a number, got {value!r}.", line=line)
    _check_sorted(path, numbers)
    return _rates(numbers, computed=rate_at is None)


def _rates(t: pl.DataFrame, *, computed: bool) -> pl.DataFrame:
    """cM/Mb from each position to the next on its chromosome (when the file has none)."""
    if computed:
        d_cm = pl.col("cm").shift(-1).over("chromosome") - pl.col("cm")
        d_mb = (
            pl.col("base_pair_location").shift(-1).over("chromosome") - pl.col("base_pair_location")
        ) / 1e6
        t = t.with_columns(rate=pl.when(d_mb > 0).then(d_cm / d_mb).otherwise(0.0).fill_null(0.0))
    return t.select(
        "chromosome",
        pl.col("base_pair_location").cast(pl.Int64),
        "cm",
        pl.col("rate").fill_null(0.0).clip(lower_bound=0.0),
    )


def _check_sorted(path: Path, t: pl.DataFrame) -> None:
    for (chrom,), part in t.group_by("chromosome", maintain_order=True):
        bp = part["base_pair_location"].to_numpy()
        drop = np.flatnonzero(np.diff(bp) < 0)
        if drop.size:
            line = int(part["line"][int(drop[0]) + 1])
            raise InputError(
                path,
                f"positions on chromosome {chrom} must increase; {int(bp[drop[0] + 1])} "
                f"follows {int(bp[drop[0]])}.",
                line=line,
            )


def _chromosome_from_name(path: Path) -> str:
    match = re.search(r"chr(?:om(?:osome)?)?[_-]?([0-9]{1,2}|X|Y|MT)(?![0-9])", path.name, re.I)
    if match is None:
        raise InputError(
            path,
            "this one-chromosome genetic map format has no chromosome column and the file name "
            "does not name one (e.g. genetic_map_chr8_combined_b37.txt); rename the file.",
        )
    return match.group(1).upper() if match.group(1).isalpha() else match.group(1)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def rate_in_window(
    genetic_map: pl.DataFrame, chromosome: str, start: float, end: float
) -> tuple[np.ndarray, np.ndarray]:
    """Positions and recombination rates (cM/Mb) of a map within ``[start, end]`` on
    ``chromosome`` (with the rows just outside, so the step line spans the window)."""
    c = str(chromosome).removeprefix("chr")
    part = genetic_map.filter(pl.col("chromosome") == c)
    bp = part["base_pair_location"].to_numpy()
    lo = max(int(np.searchsorted(bp, start)) - 1, 0)
    hi = int(np.searchsorted(bp, end, side="right")) + 1
    return bp[lo:hi].astype(np.float64), part["rate"].to_numpy()[lo:hi]
