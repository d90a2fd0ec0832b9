"""Chromosome names: ``1``..``22``, ``X``, ``Y``, ``MT``, without a ``chr`` prefix.

PLINK's numeric codes are mapped as PLINK documents them: 23 = X, 24 = Y, 25 = XY (the
pseudo-autosomal region, reported as X), 26 = MT. Names outside these (unplaced contigs, ``0``)
are kept as given, without the prefix.
"""

from __future__ import annotations

import polars as pl

from gwaskit.io.text import map_distinct

AUTOSOMES = tuple(str(i) for i in range(1, 23))
STANDARD = (*AUTOSOMES, "X", "Y", "MT")
_ALIASES = {
    "23": "X",
    "24": "Y",
    "25": "X",
    "XY": "X",
    "26": "MT",
    "M": "MT",
    "PAR1": "X",
    "PAR2": "X",
}


def normalise_chromosomes(names: pl.Series) -> pl.Series:
    """Map chromosome names to gwaskit's convention (see module docstring)."""
    return map_distinct(names.cast(pl.String), _normalise)


def _normalise(names: pl.Series) -> pl.Series:
    stripped = names.str.strip_chars().str.replace(r"^(?i:chr)", "").str.to_uppercase()
    return stripped.replace(_ALIASES).alias(names.name)


def chromosome_order(name: str) -> int:
    """Sort key: 1..22, X, Y, MT, then anything else."""
    try:
        return STANDARD.index(name)
    except ValueError:
        return len(STANDARD)
