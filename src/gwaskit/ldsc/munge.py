"""Summary statistics made ready for LD score regression, as ``munge_sumstats.py`` does.

From a gwaskit SumStats or MetaStats table (GWAS-SSF columns) to LDSC's ``SNP, A1, A2, Z, N``:

- ``SNP`` is the rsID when the table has one, else ``variant_id``; ``A1`` the effect allele;
- ``Z = sign(beta) * sqrt(chi²(p))`` from ``neg_log_10_p_value`` (log space: no underflow),
  as munge's ``Z = sign * Phi^-1(1 - P/2)``;
- ``N`` per variant from ``n``; from ``n_cases + n_controls`` rescaled by the case fraction at
  the largest N when both are given (munge's ``N_CAS``/``N_CON`` rule); or ``n`` given;
- filters with munge's defaults, each counted: p outside (0, 1], INFO < 0.9, MAF <= 0.01 (the
  folded frequency), alleles other than SNPs that are not strand-ambiguous, N below 90th
  percentile / 1.5, and repeated SNP IDs (first kept).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.stats import chi2_from_neg_log10_p

log = logging.getLogger(__name__)

#: The base on the other strand.
COMPLEMENT = {"A": "T", "T": "A", "C": "G", "G": "C"}
#: Allele pairs munge keeps: SNPs that are not strand-ambiguous (A/T and C/G are dropped).
VALID_SNPS = frozenset(
    a + b for a, b in itertools.product("ACGT", repeat=2) if a != b and COMPLEMENT[a] != b
)


@dataclass(frozen=True)
class Munged:
    """LDSC-ready summary statistics (``table``: ``SNP, A1, A2, Z, N``) and, per reason, how
    many variants were dropped (``dropped``, in the order the filters ran)."""

    table: pl.DataFrame
    dropped: dict[str, int]


def munge_sumstats(
    sumstats: pl.DataFrame,
    *,
    n: float | None = None,
    info_min: float = 0.9,
    maf_min: float = 0.01,
    n_min: float | None = None,
) -> Munged:
    """LDSC ``.sumstats`` rows from a gwaskit table (see the module docstring for the rules).

    Parameters
    ----------
    sumstats
        SumStats/MetaStats table (polars, or pandas converted) with ``effect_allele``,
        ``other_allele``, ``beta`` and ``neg_log_10_p_value`` (or ``p_value``), and ``rsid`` or
        ``variant_id``.
    n
        Sample size for every variant when the table has no ``n`` column.
    info_min, maf_min
        munge's ``--info-min`` and ``--maf-min``; applied where the table has ``info`` /
        ``effect_allele_frequency``.
    n_min
        Drop variants with a smaller N (munge's ``--n-min``); default 90th percentile / 1.5.
    """
    table = sumstats if isinstance(sumstats, pl.DataFrame) else pl.from_pandas(sumstats)
    need = ["effect_allele", "other_allele", "beta"]
    missing = [c for c in need if c not in table.columns]
    if "neg_log_10_p_value" not in table.columns and "p_value" not in table.columns:
        missing.append("neg_log_10_p_value (or p_value)")
    if "rsid" not in table.columns and "variant_id" not in table.columns:
        missing.append("rsid (or variant_id)")
    if missing:
        raise ParameterError(f"munge_sumstats: the table lacks {', '.join(missing)}.")
    if "neg_log_10_p_value" in table.columns:
        nlp = table["neg_log_10_p_value"].cast(pl.Float64)
    else:
        p = table["p_value"].cast(pl.Float64)
        nlp = pl.Series(-np.log10(p.to_numpy()))
    snp = table["rsid"] if "rsid" in table.columns else table["variant_id"]
    if "rsid" in table.columns and "variant_id" in table.columns:
        snp = table["rsid"].fill_null(table["variant_id"])
    frame = pl.DataFrame(
        {
            "SNP": snp.cast(pl.String),
            "A1": table["effect_allele"].cast(pl.String).str.to_uppercase(),
            "A2": table["other_allele"].cast(pl.String).str.to_uppercase(),
            "beta": table["beta"].cast(pl.Float64),
            "nlp": nlp,
            "info": table["info"].cast(pl.Float64) if "info" in table.columns else None,
            "eaf": table["effect_allele_frequency"].cast(pl.Float64)
            if "effect_allele_frequency" in table.columns
            else None,
            "N": _sample_size(table, n),
        }
    )
    dropped: dict[str, int] = {}

    def keep(frame: pl.DataFrame, mask: pl.Expr, reason: str) -> pl.DataFrame:
        out = frame.filter(mask.fill_null(False))
        dropped[reason] = frame.height - out.height
        return out

    frame = keep(frame, pl.col("nlp").is_not_nan() & (pl.col("nlp") >= 0), "p_out_of_range")
    frame = keep(frame, pl.col("beta").is_not_nan() & pl.col("beta").is_not_null(), "no_beta")
    if "info" in table.columns:
        # an unknown INFO or frequency (null) is kept, as munge does without the column
        frame = keep(
            frame, pl.col("info").is_null() | (pl.col("info") >= info_min), "info_below_min"
        )
    if "effect_allele_frequency" in table.columns:
        folded = pl.min_horizontal(pl.col("eaf"), 1 - pl.col("eaf"))
        in_range = (pl.col("eaf") >= 0) & (pl.col("eaf") <= 1)
        known = pl.col("eaf").is_not_null() & pl.col("eaf").is_not_nan()
        frame = keep(frame, known.not_() | (in_range & (folded > maf_min)), "maf_below_min")
    frame = keep(frame, pl.concat_str("A1", "A2").is_in(list(VALID_SNPS)), "not_a_valid_snp")
    if frame.height == 0:
        raise ParameterError(f"munge_sumstats: no variant left after the filters ({dropped}).")
    threshold = n_min if n_min is not None else float(frame["N"].quantile(0.9)) / 1.5
    frame = keep(frame, pl.col("N") >= threshold, "n_below_min")
    before = frame.height
    frame = frame.unique(subset="SNP", keep="first", maintain_order=True)
    dropped["duplicated_snp"] = before - frame.height
    z = np.sign(frame["beta"].to_numpy()) * np.sqrt(chi2_from_neg_log10_p(frame["nlp"].to_numpy()))
    out = frame.select("SNP", "A1", "A2").with_columns(
        pl.Series("Z", z), frame["N"].cast(pl.Float64)
    )
    for reason, count in dropped.items():
        if count:
            log.info("munge: dropped %d variants (%s)", count, reason)
    return Munged(out, dropped)


def _sample_size(table: pl.DataFrame, n: float | None) -> pl.Series:
    if {"n_cases", "n_controls"} <= set(table.columns) and table["n_cases"].null_count() == 0:
        total = (table["n_cases"] + table["n_controls"]).cast(pl.Float64).to_numpy()
        fraction = table["n_cases"].cast(pl.Float64).to_numpy() / total
        scale = fraction[total == np.nanmax(total)].mean()
        return pl.Series(total * fraction / scale)
    if "n" in table.columns and table["n"].null_count() < table.height:
        return table["n"].cast(pl.Float64)
    if n is None:
        raise ParameterError("munge_sumstats: the table has no n column; give n=.")
    if not (np.isfinite(n) and n > 0):
        raise ParameterError(f"munge_sumstats: n must be a positive number, got {n!r}.")
    return pl.Series(np.full(table.height, float(n)))
