"""Per-variant filters of one study's summary statistics (:class:`QcFilters`), the named
presets (:data:`QC_PRESETS`), and the allele normalisation done before them; used by
:func:`gwaskit.qc.sumstats.qc_sumstats`, where the reasons are listed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.qc.frequency import bundled_reference, compare_with_reference


def _has(table: pl.DataFrame, name: str) -> bool:
    return name in table.columns and table[name].null_count() < table.height


@dataclass(frozen=True)
class QcFilters:
    """Per-variant filters of a study's summary statistics (``None``: off).

    Attributes
    ----------
    info
        Keep rows with imputation quality ``info`` above this.
    maf
        Keep rows with minor allele frequency above this.
    hwe_p
        Keep rows with Hardy-Weinberg p (``hwe_p``) above this.
    min_n
        Keep rows with sample size at least this.
    min_n_fraction
        Keep rows with sample size at least this fraction of the study's largest.
    eaf_diff
        Keep SNPs whose allele frequency is within this of the reference's.
    eaf_diff_indel
        The same for indels (default: ``eaf_diff``).
    """

    info: float | None = None
    maf: float | None = None
    hwe_p: float | None = None
    min_n: float | None = None
    min_n_fraction: float | None = None
    eaf_diff: float | None = None
    eaf_diff_indel: float | None = None

    def __post_init__(self) -> None:
        for name, lo, hi in (
            ("info", 0.0, 1.0),
            ("maf", 0.0, 0.5),
            ("hwe_p", 0.0, 1.0),
            ("min_n_fraction", 0.0, 1.0),
            ("eaf_diff", 0.0, 1.0),
            ("eaf_diff_indel", 0.0, 1.0),
        ):
            value = getattr(self, name)
            if value is not None and not lo <= value <= hi:
                raise ParameterError(f"QcFilters: {name} must be in [{lo}, {hi}], got {value!r}.")
        if self.min_n is not None and not self.min_n >= 0:
            raise ParameterError(f"QcFilters: min_n must be >= 0, got {self.min_n!r}.")


#: Named filter sets. ``ihgc2022``: the International Headache Genetics Consortium's 2022
#: migraine meta-analysis (Hautakangas et al. 2022, doi:10.1038/s41588-021-00990-0).
QC_PRESETS: dict[str, QcFilters] = {
    "ihgc2022": QcFilters(info=0.6, maf=0.01, hwe_p=1e-6, eaf_diff=0.30, eaf_diff_indel=0.20),
}


def qc_filters(preset: str | None = None, **overrides: float | None) -> QcFilters:
    """The filters of ``preset`` (a name in :data:`QC_PRESETS`, or ``None``: none) with the
    ``overrides`` that are not ``None`` replacing its values."""
    if preset is not None and preset not in QC_PRESETS:
        raise ParameterError(f"qc preset must be one of {sorted(QC_PRESETS)}, got {preset!r}.")
    base = QC_PRESETS[preset] if preset else QcFilters()
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def normalised(
    table: pl.DataFrame, reference: pl.DataFrame | None, indels: pl.DataFrame | None
) -> tuple[pl.DataFrame, int, int]:
    """The table with its alleles normalised (:func:`gwaskit.io.alleles.normalise_alleles`)
    and its I/D codings resolved against the indels of the reference and of ``indels``; how
    many rows normalisation changed, and how many rows are I/D coded."""
    from gwaskit.io.alleles import (
        indel_candidates,
        is_id_coded,
        normalise_alleles,
        resolve_id_codings,
    )

    if table.height == 0 or not _has(table, "base_pair_location"):
        return table, 0, 0
    pos, ea, oa = normalise_alleles(
        table["base_pair_location"], table["effect_allele"], table["other_allele"]
    )
    changed = int(
        (ea.ne_missing(table["effect_allele"]) | oa.ne_missing(table["other_allele"])).sum()
    )
    if changed:
        table = table.with_columns(pos, ea, oa)
    n_id = int(
        table.select(is_id_coded(pl.col("effect_allele"), pl.col("other_allele")).sum()).item()
    )
    parts = [] if indels is None else [indels]
    if reference is not None:
        parts.append(
            indel_candidates(
                reference["chromosome"],
                reference["base_pair_location"],
                reference["ref_ea"],
                reference["ref_oa"],
            )
        )
    if n_id and parts and "indel_coding" not in table.columns:
        table = resolve_id_codings(table, pl.concat(parts).unique())
    return table, changed, n_id


def _n_expr(table: pl.DataFrame) -> pl.Expr | None:
    """Each row's sample size: ``n``, else cases + controls."""
    n = pl.col("n") if "n" in table.columns else None
    if "n_cases" in table.columns and "n_controls" in table.columns:
        both = pl.col("n_cases") + pl.col("n_controls")
        n = both if n is None else pl.coalesce(n, both)
    return n


def filter_conditions(
    table: pl.DataFrame,
    filters: QcFilters,
    reference: pl.DataFrame | None,
    population: str | None,
    build: Callable[[], str | None],
) -> tuple[list[tuple[str, pl.Expr | np.ndarray]], Any]:
    """The conditions of the per-variant filters, and the comparison with the reference (when
    the frequency filter asked for it); ``build()`` gives the build for the bundled reference."""

    out: list[tuple[str, pl.Expr | np.ndarray]] = []
    if filters.info is not None and "info" in table.columns:
        out.append(("info_low", pl.col("info") <= filters.info))
    if filters.maf is not None and "effect_allele_frequency" in table.columns:
        f = pl.col("effect_allele_frequency")
        out.append(("maf_low", pl.min_horizontal(f, 1.0 - f) <= filters.maf))
    if filters.hwe_p is not None and "hwe_p" in table.columns:
        out.append(("hwe_low", pl.col("hwe_p") <= filters.hwe_p))
    n = _n_expr(table)
    if n is not None and filters.min_n is not None:
        out.append(("n_low", n < filters.min_n))
    if n is not None and filters.min_n_fraction is not None:
        out.append(("n_fraction_low", n < filters.min_n_fraction * n.max()))
    comparison = None
    if filters.eaf_diff is not None or filters.eaf_diff_indel is not None:
        ref = reference
        if ref is None and population is not None:
            ref = bundled_reference(build(), population)
        if ref is not None and "effect_allele_frequency" in table.columns:
            comparison = compare_with_reference(table, ref)
            diff = comparison.difference(table["effect_allele_frequency"].to_numpy())
            snp_max = filters.eaf_diff if filters.eaf_diff is not None else np.inf
            indel_max = filters.eaf_diff_indel if filters.eaf_diff_indel is not None else snp_max
            limit = np.where(comparison.indel, indel_max, snp_max)
            with np.errstate(invalid="ignore"):
                out.append(("eaf_discrepancy", np.nan_to_num(diff, nan=-1.0) > limit))
    elif reference is not None:
        comparison = compare_with_reference(table, reference)
    return out, comparison


def value_missing(table: pl.DataFrame, filters: QcFilters) -> dict[str, int]:
    """Rows a filter could not judge (its value missing): kept, and counted."""
    out = {}
    for name, column in (
        ("info", "info"),
        ("maf", "effect_allele_frequency"),
        ("hwe_p", "hwe_p"),
    ):
        if getattr(filters, name) is not None:
            out[f"{name}_missing"] = (
                int(table[column].is_null().sum() + table[column].is_nan().sum())
                if column in table.columns
                else table.height
            )
    return out
