"""Chromosome names: ``1``..``22``, ``X``, ``Y``, ``MT``, without a ``chr`` prefix.

PLINK's numeric codes are mapped as PLINK documents them: 23 = X, 24 = Y, 25 = XY (the
pseudo-autosomal region, reported as X), 26 = MT; plink2's ``PAR1``/``PAR2`` are X too, and
zero-padded numbers (``01``) lose their padding. Names outside these (unplaced contigs, ``0``)
are kept as given, without the prefix.
"""

from __future__ import annotations

import numpy as np
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
    stripped = (
        names.str.strip_chars()
        .str.replace(r"^(?i:chr)", "")
        .str.replace(r"^0+([0-9])", "$1")  # "01" (the BGEN examples, Oxford GEN) is 1
        .str.to_uppercase()
    )
    return stripped.replace(_ALIASES).alias(names.name)


def chromosome_order(name: str) -> int:
    """Sort key: 1..22, X, Y, MT, then anything else."""
    try:
        return STANDARD.index(name)
    except ValueError:
        return len(STANDARD)


#: Pseudo-autosomal regions of X (1-based, inclusive), by build: diploid in both sexes.
PAR_X = {
    "GRCh37": ((60_001, 2_699_520), (154_931_044, 155_260_560)),
    "GRCh38": ((10_001, 2_781_479), (155_701_383, 156_030_895)),
}


def haploid_x(chromosome: np.ndarray, position: np.ndarray, build: str | None) -> np.ndarray:
    """Whether each variant lies on X outside the pseudo-autosomal regions (one copy in males).

    PLINK's XY/25 code is read as X (see the module docstring), so the regions are found by
    position in ``build``'s coordinates; with no known build every X variant counts as haploid,
    as plink2 treats an X that was never split with ``--split-par``.
    """
    chromosome = np.asarray(chromosome)
    position = np.asarray(position)
    haploid = chromosome == "X"
    for start, stop in PAR_X.get(build or "", ()):
        haploid &= ~((position >= start) & (position <= stop))
    return haploid
