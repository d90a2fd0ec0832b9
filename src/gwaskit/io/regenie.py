"""Write association results in REGENIE's step-2 layout (``.regenie``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.io.tables import atomic_path
from gwaskit.stats import chi2_from_neg_log10_p

#: REGENIE's columns, in order (``EXTRA`` and ``INFO`` left out).
COLUMNS = (
    "CHROM", "GENPOS", "ID", "ALLELE0", "ALLELE1", "A1FREQ", "N", "TEST", "BETA", "SE",
    "CHISQ", "LOG10P",
)  # fmt: skip


def regenie_table(sumstats: pl.DataFrame) -> pl.DataFrame:
    """A SumStats table in REGENIE's columns: ALLELE1 is the effect (tested) allele, A1FREQ its
    frequency, LOG10P the -log10 p, CHISQ the 1-df chi-square with that p."""
    chisq = chi2_from_neg_log10_p(sumstats["neg_log_10_p_value"].fill_null(np.nan).to_numpy())
    return pl.DataFrame(
        {
            "CHROM": sumstats["chromosome"],
            "GENPOS": sumstats["base_pair_location"],
            "ID": sumstats["variant_id"],
            "ALLELE0": sumstats["other_allele"],
            "ALLELE1": sumstats["effect_allele"],
            "A1FREQ": sumstats["effect_allele_frequency"],
            "N": sumstats["n"],
            "TEST": pl.Series(["ADD"] * sumstats.height, dtype=pl.String),
            "BETA": sumstats["beta"],
            "SE": sumstats["standard_error"],
            "CHISQ": pl.Series(chisq, nan_to_null=True),
            "LOG10P": sumstats["neg_log_10_p_value"],
        }
    )


def write_regenie(sumstats: pl.DataFrame, path: str | Path) -> Path:
    """Write ``path`` space-separated with ``NA`` for missing values, as REGENIE does."""
    path = Path(path)
    with atomic_path(path) as tmp:
        regenie_table(sumstats).write_csv(tmp, separator=" ", null_value="NA")
    return path
