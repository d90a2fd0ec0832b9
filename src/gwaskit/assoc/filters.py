"""Variant filters of a scan's SumStats table: ``--maf``, ``--mac``, ``--min-info``,
``--min-mach-r2`` and ``--hwe``, each counted (never a silent drop).

PLINK 2 semantics: a variant is dropped when its minor allele frequency is below ``maf``, its
minor allele count (dosage, over the samples with a call) below ``mac``, or its HWE exact-test
p-value (on hard calls, :mod:`gwaskit.assoc.imputation`) below ``hwe``; and when its IMPUTE2 info
is below ``min_info`` or its MaCH r² below ``min_mach_r2`` (plink2's ``--mach-r2-filter``).
A variant without the value (no estimate, monomorphic, no hard call, haploid X for HWE) is not
dropped by that filter: it stays in the table (a variant without an estimate goes to the
side table of untested variants with its reason). The filters apply in the order above; each
count is of the variants that filter dropped among those the earlier ones left.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Protocol

import polars as pl

from gwaskit.errors import ParameterError

log = logging.getLogger(__name__)

#: What the metadata says of the imputation-quality columns.
_QUALITY_NOTE = {
    "machr2": "MaCH r2 of the dosages of the analysed samples with a call (plink2 --freq machr2)",
    "info": (
        "IMPUTE2 info from the dosages: each sample's genotype probabilities taken on the two "
        "genotypes nearest its dosage (1 for hard calls)"
    ),
    "info_probabilities": "IMPUTE2 info from the file's genotype probabilities",
    "hwe_neg_log_10_p": (
        "-log10 HWE exact test p on hard calls (dosage within 0.1 of 0/1/2, plink2's hard-call "
        "threshold) of the analysed samples; not computed on haploid X"
    ),
}


def quality_note(from_probabilities: bool) -> dict[str, str]:
    """What the metadata says of the imputation-quality columns of a scan whose genotype file
    holds probabilities (``from_probabilities``) or only dosages or hard calls."""
    note = {k: v for k, v in _QUALITY_NOTE.items() if k != "info_probabilities"}
    if from_probabilities:
        note["info"] = _QUALITY_NOTE["info_probabilities"]
    return note


class _Filters(Protocol):
    maf: float | None
    mac: float | None
    min_info: float | None
    min_mach_r2: float | None
    hwe: float | None


def check_filters(options: _Filters) -> None:
    """Raise :class:`ParameterError` for a filter threshold out of its range."""
    ranges = {
        "maf": (options.maf, 0.0, 0.5),
        "mac": (options.mac, 0.0, math.inf),
        "min_info": (options.min_info, -math.inf, 1.0),
        "min_mach_r2": (options.min_mach_r2, 0.0, 2.0),
        "hwe": (options.hwe, 0.0, 1.0),
    }
    for name, (value, low, high) in ranges.items():
        if value is not None and not (low <= value <= high):
            option = "--" + name.replace("_", "-")
            raise ParameterError(
                f"{name} ({option}) must be in [{low:g}, {high:g}], got {value!r}. Give a "
                f"threshold in that range, or leave {option} out."
            )


def _conditions(options: _Filters) -> list[tuple[str, float, pl.Expr, str]]:
    eaf = pl.col("effect_allele_frequency")
    maf = pl.min_horizontal(eaf, 1 - eaf)
    out = []
    if options.maf is not None:
        out.append(("maf", options.maf, maf < options.maf, "MAF below"))
    if options.mac is not None:
        mac = maf * 2 * pl.col("n")
        out.append(("mac", options.mac, mac < options.mac, "minor allele count below"))
    if options.min_info is not None:
        out.append(("min_info", options.min_info, pl.col("info") < options.min_info, "info below"))
    if options.min_mach_r2 is not None:
        below = pl.col("machr2") < options.min_mach_r2
        out.append(("min_mach_r2", options.min_mach_r2, below, "MaCH r2 below"))
    if options.hwe is not None:
        threshold = math.inf if options.hwe == 0 else -math.log10(options.hwe)
        below = pl.col("hwe_neg_log_10_p") > threshold
        out.append(("hwe", options.hwe, below, "HWE exact test p below"))
    return out


def filter_variants(
    table: pl.DataFrame, options: _Filters
) -> tuple[pl.DataFrame, dict[str, dict[str, Any]]]:
    """Apply the filters of ``options`` to a scan's SumStats table (see the module docstring).

    Returns the kept rows and, per filter used, ``{"threshold": value, "dropped": count}``;
    each count is logged.
    """
    counts: dict[str, dict[str, Any]] = {}
    for name, threshold, drop, words in _conditions(options):
        flag = table.select(drop.fill_null(False).alias("drop"))["drop"]
        dropped = int(flag.sum())
        table = table.filter(~flag)
        counts[name] = {"threshold": threshold, "dropped": dropped}
        log.info("%d variant(s) dropped: %s %g", dropped, words, threshold)
    return table, counts
