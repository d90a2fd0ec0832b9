"""plink2's variant selection by position: ``--chr``, ``--from-bp``/``--to-bp``, ``--range``,
``--snp`` with ``--window``.

A :class:`VariantSelection` holds the criteria; :func:`select_variants` turns it into a mask
over a genotype source's ``variants`` table (every criterion given must hold, as plink2
applies its filters one after the other). Positions are 1-based and both ends are included,
as in plink2.

* ``--chr 1-4,22,X``: chromosomes as plink2 writes them, comma- or space-separated, with
  ranges of numbered chromosomes; ``chr`` prefixes and plink's numeric codes (23 = X, 24 = Y,
  25 = XY, 26 = MT) are accepted, as :mod:`gwaskit.io.chromosomes` reads them;
* ``--from-bp``/``--to-bp``: a window on the single chromosome of ``--chr``;
* ``--range FILE``: the variants inside any range of a plink range file, one range per line
  ``CHR START END [LABEL]`` (plink 1.9's ``--extract range``; ``#`` lines skipped);
* ``--snp ID``: that variant alone; with ``--window KB``, every variant on its chromosome
  within half of ``KB`` kilobases of it, on either side (plink's convention: the window is
  ``KB`` wide, centred on the variant).

>>> import polars as pl
>>> variants = pl.DataFrame({"chromosome": ["1", "2", "2", "X"], "variant_id": list("abcd"),
...                          "base_pair_location": [10, 20, 3000, 40]})
>>> select_variants(variants, VariantSelection(chromosomes=parse_chromosomes("2-3,X"))).tolist()
[False, True, True, True]
>>> select_variants(variants, VariantSelection(snp="b", window_kb=2.0)).tolist()
[False, True, False, False]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from gwaskit.errors import InputError, ParameterError
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.compression import read_text

__all__ = [
    "VariantSelection",
    "parse_chromosomes",
    "read_ranges",
    "select_variants",
]

_RANGE_SCHEMA = {"chromosome": pl.String, "start": pl.Int64, "end": pl.Int64}


@dataclass(frozen=True)
class VariantSelection:
    """Variant criteria by position (module docstring); ``None`` means not given."""

    chromosomes: tuple[str, ...] | None = None
    from_bp: int | None = None
    to_bp: int | None = None
    ranges: pl.DataFrame | None = None
    snp: str | None = None
    window_kb: float | None = None

    def __post_init__(self) -> None:
        if self.window_kb is not None and self.snp is None:
            raise ParameterError("--window needs --snp ID: the variant the window is around.")
        if self.window_kb is not None and not self.window_kb >= 0:
            raise ParameterError(f"--window must be at least 0 kb, got {self.window_kb!r}.")
        if self.from_bp is not None or self.to_bp is not None:
            if self.chromosomes is None or len(self.chromosomes) != 1:
                raise ParameterError(
                    "--from-bp/--to-bp need --chr with exactly one chromosome (as in plink2), "
                    f"got --chr {','.join(self.chromosomes or ()) or 'not given'}."
                )
            low = 1 if self.from_bp is None else self.from_bp
            high = np.iinfo(np.int64).max if self.to_bp is None else self.to_bp
            if low < 0 or high < low:
                raise ParameterError(
                    f"--from-bp must be at least 0 and at most --to-bp, got --from-bp "
                    f"{self.from_bp} --to-bp {self.to_bp}."
                )

    @property
    def given(self) -> bool:
        """Whether any criterion is given."""
        return any(
            v is not None for v in (self.chromosomes, self.from_bp, self.to_bp, self.ranges)
        ) or (self.snp is not None)

    def describe(self) -> dict[str, Any]:
        """The criteria given, for a table's metadata."""
        out: dict[str, Any] = {}
        if self.chromosomes is not None:
            out["chromosomes"] = list(self.chromosomes)
        for key in ("from_bp", "to_bp", "snp", "window_kb"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.ranges is not None:
            out["ranges"] = self.ranges.height
        return out


def parse_chromosomes(text: str | Sequence[str], option: str = "--chr") -> tuple[str, ...]:
    """Chromosome names of a plink2 ``--chr`` list (``1-4,22,X``; items may also be given
    separately), normalised as the genotype readers name them, in the order given."""
    items = [text] if isinstance(text, str) else list(text)
    tokens = [t.strip() for item in items for t in item.replace(" ", ",").split(",")]
    if not tokens or not all(tokens):
        raise ParameterError(
            f"{option} must be a list of chromosomes such as 1-4,22,X, got {', '.join(items)!r}."
        )
    names: list[str] = []
    for token in tokens:
        low, dash, high = token.partition("-")
        if dash:
            first, last = (_chromosome_number(t, token, option) for t in (low, high))
            if last < first:
                raise ParameterError(
                    f"{option} range {token!r} must go up (e.g. 1-4), got {first} after {last}."
                )
            names += [str(i) for i in range(first, last + 1)]
        else:
            names.append(token)
    normalised = normalise_chromosomes(pl.Series(names, dtype=pl.String)).to_list()
    return tuple(dict.fromkeys(normalised))


def _chromosome_number(text: str, token: str, option: str) -> int:
    number = text.strip().lower().removeprefix("chr")
    if not number.isdigit():
        raise ParameterError(
            f"{option} range {token!r}: a range joins two numbered chromosomes (e.g. 1-22), "
            f"got {text!r}."
        )
    return int(number)


def read_ranges(path: str | Path) -> pl.DataFrame:
    """A plink range file (``CHR START END [LABEL]`` per line, 1-based, both ends included):
    table ``chromosome, start, end``.

    Raises :class:`InputError` naming the file and line of a malformed range.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "range file not found.")
    chromosomes: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for number, line in enumerate(read_text(path, "ranges CHR START END").splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 3 or not (fields[1].isdigit() and fields[2].isdigit()):
            raise InputError(
                path, f"expected CHR START END [LABEL] with whole numbers, found {line!r}.",
                line=number,
            )  # fmt: skip
        start, end = int(fields[1]), int(fields[2])
        if end < start:
            raise InputError(path, f"range end {end} is before its start {start}.", line=number)
        chromosomes.append(fields[0])
        starts.append(start)
        ends.append(end)
    if not chromosomes:
        raise InputError(path, "holds no range; expected lines CHR START END [LABEL].")
    table = pl.DataFrame({"chromosome": chromosomes, "start": starts, "end": ends}, _RANGE_SCHEMA)
    return table.with_columns(normalise_chromosomes(table["chromosome"]))


def select_variants(variants: pl.DataFrame, selection: VariantSelection) -> np.ndarray:
    """Boolean mask over ``variants`` (``chromosome, base_pair_location, variant_id``) of the
    variants ``selection`` keeps; all True when it gives no criterion.

    Raises
    ------
    ParameterError
        ``--snp`` names a variant that is not in the table.
    """
    chromosome = variants["chromosome"]
    position = variants["base_pair_location"].to_numpy()
    keep = np.ones(variants.height, dtype=bool)
    if selection.chromosomes is not None:
        keep &= chromosome.is_in(list(selection.chromosomes)).to_numpy()
    if selection.from_bp is not None:
        keep &= position >= selection.from_bp
    if selection.to_bp is not None:
        keep &= position <= selection.to_bp
    if selection.ranges is not None:
        keep &= _in_ranges(chromosome, position, selection.ranges)
    if selection.snp is not None:
        hits = (variants["variant_id"] == selection.snp).arg_true().to_numpy()
        if hits.size == 0:
            raise ParameterError(f"--snp {selection.snp!r} is not a variant of the genotypes.")
        if selection.window_kb is None:
            around = np.zeros(variants.height, dtype=bool)
            around[hits] = True
        else:
            center = int(position[hits[0]])
            reach = selection.window_kb * 500  # half the window on each side, as plink
            around = (chromosome == chromosome[int(hits[0])]).to_numpy() & (
                np.abs(position - center) <= reach
            )
        keep &= around
    return keep


def _in_ranges(chromosome: pl.Series, position: np.ndarray, ranges: pl.DataFrame) -> np.ndarray:
    """Whether each variant lies in any range (per chromosome: ranges sorted by start, a
    variant is inside when the furthest end among the ranges starting at or before it reaches
    it)."""
    inside = np.zeros(position.size, dtype=bool)
    for (name,), group in ranges.sort("start").group_by(["chromosome"], maintain_order=True):
        rows = (chromosome == name).arg_true().to_numpy()
        if rows.size == 0:
            continue
        starts = group["start"].to_numpy()
        reach = np.maximum.accumulate(group["end"].to_numpy())
        last = np.searchsorted(starts, position[rows], side="right") - 1
        inside[rows] = (last >= 0) & (reach[np.maximum(last, 0)] >= position[rows])
    return inside
