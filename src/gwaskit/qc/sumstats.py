"""Quality control of one study's summary statistics, in the spirit of EasyQC
(Winkler et al. 2014, doi:10.1038/nprot.2014.071).

Rows that cannot enter a meta-analysis are dropped, each with a reason code:

======================  ===========================================================
``invalid_alleles``      an allele not made of A/C/G/T, or both alleles the same
``missing_position``     no chromosome or position (only when positions are used)
``non_finite_beta``      beta missing, NaN or infinite
``se_not_positive``      standard error missing, zero, negative or infinite
``p_out_of_range``       reported p outside (0, 1]
``eaf_out_of_range``     allele frequency outside [0, 1]
``n_not_positive``       sample size zero or negative
``n_missing``            no sample size (only when ``require_n``, for sample-size weighting)
``duplicate``            the same chromosome, position and allele pair (or id and allele pair)
                         more than once with different values: all copies, none picked
``duplicate_identical``  an exact copy of an earlier row (every column the same): the copies
                         after the first
``info_low``             imputation quality (``info``: IMPUTE2 info, MACH r², ...) at or below
                         ``filters.info``
``maf_low``              minor allele frequency at or below ``filters.maf``
``hwe_low``              Hardy-Weinberg p (``hwe_p``) at or below ``filters.hwe_p``
``n_low``                sample size below ``filters.min_n``
``n_fraction_low``       sample size below ``filters.min_n_fraction`` of the study's largest
``eaf_discrepancy``      allele frequency further than ``filters.eaf_diff`` (SNPs) or
                         ``filters.eaf_diff_indel`` (indels) from the reference
``indel_ambiguous``      an I/D-coded indel where the other studies or the reference hold
                         several indels (:mod:`gwaskit.meta.alleles`)
``indel_unresolved``     an I/D-coded indel where they hold none
======================  ===========================================================

The filters (:class:`QcFilters`) are off unless asked for; :data:`QC_PRESETS` holds the 2022
migraine consortium's (``"ihgc2022"``: Hautakangas et al. 2022, Nat Genet,
doi:10.1038/s41588-021-00990-0): MAF > 0.01, info > 0.6, HWE p > 1e-6, allele frequency within
0.30 of the reference for SNPs and 0.20 for indels. A row without the filtered value (no
``info`` column, say) is kept; the rows filtered and those without a value are counted.

Study-level checks are reported, not applied: P-Z consistency (the p-value implied by
beta/se against the reported one), SE-N consistency (EasyQC's ``median(se * sqrt(2 N f(1-f)))``,
which estimates the trait's standard deviation: ~1 for a standardised quantitative trait, ~2 for
log odds ratios with an effective N; a study far from the others has a wrong N or scale),
allele frequencies against a reference (the 1000 Genomes HapMap3 SNPs shipped with gwaskit, or
a user's table: :mod:`gwaskit.qc.frequency`), strand flips against it, the genome build from
HapMap3 positions, and lambda GC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import polars as pl

from gwaskit.build.check import detect_build
from gwaskit.errors import ParameterError
from gwaskit.io.sumstats_checks import split_duplicates
from gwaskit.qc.filters import (
    QC_PRESETS,
    QcFilters,
    filter_conditions,
    normalised,
    qc_filters,
    value_missing,
)
from gwaskit.stats import lambda_gc, neg_log10_p_from_z

QC_REASONS = (
    "invalid_alleles",
    "missing_position",
    "non_finite_beta",
    "se_not_positive",
    "p_out_of_range",
    "eaf_out_of_range",
    "n_not_positive",
    "n_missing",
    "duplicate",
    "duplicate_identical",
    "info_low",
    "maf_low",
    "hwe_low",
    "n_low",
    "n_fraction_low",
    "eaf_discrepancy",
    "indel_ambiguous",
    "indel_unresolved",
)
POPULATIONS = ("eur", "eas", "amr", "sas", "afr")
__all__ = ["QC_PRESETS", "QC_REASONS", "QcFilters", "SumstatsQC", "qc_filters", "qc_sumstats"]


@dataclass(frozen=True)
class SumstatsQC:
    """Result of :func:`qc_sumstats`.

    Attributes
    ----------
    table
        The rows kept.
    dropped
        The rows dropped, with a ``reason`` column.
    counts
        ``{reason: number of rows dropped}`` for every reason of :data:`QC_REASONS`.
    summary
        Study-level checks: ``variants_read``, ``variants_kept``, ``lambda_gc``,
        ``pz_inconsistent`` (rows whose -log10 p from beta/se differs from the reported one by
        more than ``pz_tolerance``), ``pz_median_abs_diff``, ``se_n_scale``,
        ``eaf_reference_*`` and ``build_detected``.
    """

    table: pl.DataFrame
    dropped: pl.DataFrame
    counts: dict[str, int]
    summary: dict[str, Any] = field(default_factory=dict)


def _has(table: pl.DataFrame, name: str) -> bool:
    return name in table.columns and table[name].null_count() < table.height


def qc_sumstats(
    table: pl.DataFrame,
    *,
    require_beta: bool = True,
    require_n: bool = False,
    use_positions: bool | None = None,
    population: str | None = "eur",
    build: str | None = None,
    pz_tolerance: float = 0.5,
    eaf_tolerance: float = 0.2,
    filters: QcFilters | None = None,
    reference: pl.DataFrame | None = None,
    indels: pl.DataFrame | None = None,
) -> SumstatsQC:
    """Check one study's SumStats table; drop unusable rows with a reason, report the rest.

    Parameters
    ----------
    table
        A SumStats table (see :mod:`gwaskit.io.sumstats`).
    require_beta
        Drop rows without a finite beta and a positive standard error (inverse-variance
        methods); ``False`` for sample-size weighting, which needs only p and N.
    require_n
        Drop rows without a sample size (N, or both case and control counts).
    use_positions
        Require chromosome and position (default: when the table has them).
    population
        1000 Genomes super-population for the allele-frequency check (``None``: skip).
    build
        ``"GRCh37"`` or ``"GRCh38"`` for the frequency check; default: detected.
    pz_tolerance
        Absolute difference in -log10 p beyond which a row counts as P-Z inconsistent.
    eaf_tolerance
        Absolute frequency difference beyond which a row counts as discordant.
    filters
        Per-variant filters (:class:`QcFilters`; default none).
    reference
        Reference frequencies (columns of :data:`gwaskit.qc.frequency.REFERENCE_COLUMNS`),
        e.g. a biobank's; default: the HapMap3 SNPs shipped with gwaskit, for ``population``.
    indels
        The indels other studies report (:func:`gwaskit.io.alleles.indel_candidates`): rows
        coded ``I``/``D`` are resolved against them and the reference's
        (:mod:`gwaskit.meta.alleles`); without either they are ``invalid_alleles``.
    """
    from gwaskit.qc.frequency import bundled_reference, compare_with_reference, reference_summary

    filters = filters or QcFilters()
    table, n_normalised, n_id = normalised(table, reference, indels)
    if population is not None and population.lower() not in POPULATIONS:
        raise ParameterError(
            f"qc_sumstats: population must be one of {POPULATIONS}, got {population!r}."
        )
    if use_positions is None:
        use_positions = _has(table, "base_pair_location")
    conditions: list[tuple[str, pl.Expr | np.ndarray]] = []
    if "indel_coding" in table.columns:
        coding = pl.col("indel_coding")
        conditions.append(("indel_ambiguous", coding == "ambiguous"))
        conditions.append(("indel_unresolved", coding == "unresolved"))
    ea, oa = table["effect_allele"], table["other_allele"]
    a, b = integer_codes(ea, oa)
    # the pattern is matched on the distinct alleles only
    distinct = pl.concat([ea.unique(), oa.unique()]).unique().drop_nulls().cast(pl.String)
    acgt = distinct.filter(distinct.str.contains(r"^[ACGT]+$"))
    valid = (
        ea.is_in(acgt).fill_null(False)
        & oa.is_in(acgt).fill_null(False)
        & (a != b).fill_null(False)
    )
    conditions.append(("invalid_alleles", ~valid.to_numpy()))
    if use_positions:
        conditions.append(
            (
                "missing_position",
                pl.col("chromosome").is_null() | pl.col("base_pair_location").is_null(),
            )
        )
    if require_beta:
        beta, se = pl.col("beta"), pl.col("standard_error")
        conditions.append(("non_finite_beta", beta.is_null() | ~beta.is_finite()))
        conditions.append(("se_not_positive", se.is_null() | ~se.is_finite() | (se <= 0)))
    else:
        nlp = pl.col("neg_log_10_p_value")
        conditions.append(("p_out_of_range", nlp.is_null() | nlp.is_nan() | (nlp < 0)))
    if "p_value" in table.columns:
        p = pl.col("p_value")
        conditions.append(("p_out_of_range", p.is_not_null() & ((p <= 0) | (p > 1) | p.is_nan())))
    if "effect_allele_frequency" in table.columns:
        f = pl.col("effect_allele_frequency")
        conditions.append(("eaf_out_of_range", f.is_not_null() & ((f < 0) | (f > 1))))
    if "n" in table.columns:
        conditions.append(("n_not_positive", pl.col("n").is_not_null() & (pl.col("n") <= 0)))
    if require_n:
        has_n = pl.col("n").is_not_null() if "n" in table.columns else pl.lit(False)
        if "n_cases" in table.columns and "n_controls" in table.columns:
            has_n = has_n | (pl.col("n_cases").is_not_null() & pl.col("n_controls").is_not_null())
        conditions.append(("n_missing", ~has_n))
    extra, comparison = filter_conditions(
        table, filters, reference, population, lambda: build or detect_build(table)
    )
    conditions.extend(extra)
    dup, keys = _duplicated(table, use_positions, a, b)
    identical, conflicting = split_duplicates(table, dup, keys)
    conditions.append(("duplicate", conflicting))
    conditions.append(("duplicate_identical", identical))

    exprs = [
        cond.fill_null(False).alias(f"_{i}")
        for i, (_, cond) in enumerate(conditions)
        if isinstance(cond, pl.Expr)
    ]
    evaluated = table.select(exprs) if exprs else None
    code = np.zeros(table.height, dtype=np.int8)  # 0 kept, else 1 + index into QC_REASONS
    for i in reversed(range(len(conditions))):  # the first condition met gives the reason
        name, cond = conditions[i]
        mask = evaluated[f"_{i}"].to_numpy() if isinstance(cond, pl.Expr) else cond
        code[mask] = 1 + QC_REASONS.index(name)
    keep = code == 0
    kept = table.filter(pl.Series(keep)) if not keep.all() else table
    bad = np.flatnonzero(~keep)
    names = np.array([None, *QC_REASONS], dtype=object)
    dropped = table[bad].with_columns(pl.Series("reason", names[code[bad]], dtype=pl.String))
    found = np.bincount(code, minlength=len(QC_REASONS) + 1)
    counts = {r: int(found[i + 1]) for i, r in enumerate(QC_REASONS)}

    summary: dict[str, Any] = {"variants_read": table.height, "variants_kept": kept.height}
    summary.update(value_missing(table, filters))
    summary["alleles_normalised"] = n_normalised
    summary["indel_id_coded"] = n_id
    if "indel_coding" in table.columns:
        summary["indel_coding_resolved"] = int((table["indel_coding"] == "resolved").sum())
    summary.update(_pz_consistency(kept, pz_tolerance))
    summary["lambda_gc"] = (
        lambda_gc(kept["neg_log_10_p_value"].to_numpy()) if kept.height else float("nan")
    )
    summary["se_n_scale"] = se_n_scale(kept)
    detected = detect_build(kept)
    summary["build_detected"] = detected
    if comparison is None and reference is None and population is not None:
        ref = bundled_reference(build or detected, population)
        if ref is not None:
            comparison = compare_with_reference(table, ref)
    summary["eaf_tolerance"] = eaf_tolerance
    if filters.eaf_diff is not None or filters.eaf_diff_indel is not None:
        applied = any(name == "eaf_discrepancy" for name, _ in extra)
        summary["eaf_filter"] = (
            "applied"
            if applied
            else "no reference"
            if "effect_allele_frequency" in table.columns
            else "no frequencies"
        )
    if comparison is not None:
        # over the rows kept and those dropped for their frequency only
        usable = keep | (code == 1 + QC_REASONS.index("eaf_discrepancy"))
        eaf = (
            table["effect_allele_frequency"].to_numpy().astype(np.float64)
            if "effect_allele_frequency" in table.columns
            else np.full(table.height, np.nan)
        )
        summary.update(reference_summary(comparison, eaf, usable, tolerance=eaf_tolerance))
    elif population is not None or reference is not None:
        summary.update(
            {
                "eaf_reference_n": 0,
                "eaf_reference_r": None,
                "eaf_reference_discordant": None,
                "strand_checked": 0,
                "strand_flips_reference": 0,
            }
        )
    return SumstatsQC(table=kept, dropped=dropped, counts=counts, summary=summary)


def integer_codes(*columns: pl.Series) -> list[pl.Series]:
    """UInt32 codes of string columns in one code space shared by all (null stays null)."""
    n = [c.len() for c in columns]
    both = pl.concat([c.cast(pl.String) for c in columns]).cast(pl.Categorical).to_physical()
    starts = np.cumsum([0, *n])
    return [both.slice(int(starts[i]), n[i]) for i in range(len(columns))]


def pack_keys(columns: list[pl.Series]) -> pl.Series | None:
    """One Int64 per row holding several non-negative integer columns without loss (so that
    equal rows have equal keys and the order is that of the columns, first most significant),
    or ``None`` when they need more than 63 bits or hold nulls or negative values."""
    bits = []
    for c in columns:
        if c.null_count() or c.len() == 0:
            return None
        lo, hi = c.min(), c.max()
        if lo < 0:
            return None
        bits.append(max(int(hi).bit_length(), 1))
    if sum(bits) > 63:
        return None
    key = np.zeros(columns[0].len(), dtype=np.int64)
    for c, b in zip(columns, bits, strict=True):
        key = (key << b) | c.to_numpy().astype(np.int64)
    return pl.Series("_key", key)


def duplicated_int(key: np.ndarray) -> np.ndarray:
    """Boolean mask of the entries of an integer array that occur more than once (all copies);
    by a stable sort, which is nearly free on the position-sorted files GWAS tools write."""
    if key.size < 2:
        return np.zeros(key.size, dtype=bool)
    order = np.argsort(key, kind="stable")
    sk = key[order]
    same = sk[1:] == sk[:-1]
    dup_sorted = np.zeros(key.size, dtype=bool)
    dup_sorted[1:] |= same
    dup_sorted[:-1] |= same
    out = np.empty(key.size, dtype=bool)
    out[order] = dup_sorted
    return out


def _duplicated(
    table: pl.DataFrame, use_positions: bool, a: pl.Series, b: pl.Series
) -> tuple[np.ndarray, pl.DataFrame]:
    """Rows whose key (chromosome and position, or variant id) and unordered allele pair occur
    more than once (all copies), and the keys; strings are compared through integer codes
    (``a``, ``b``: the codes of the effect and other alleles)."""
    pair = pl.DataFrame([a.alias("_a"), b.alias("_b")]).select(
        pl.min_horizontal("_a", "_b").alias("_lo"), pl.max_horizontal("_a", "_b").alias("_hi")
    )
    if use_positions:
        (chrom,) = integer_codes(table["chromosome"])
        key = [chrom.alias("_c"), table["base_pair_location"].alias("_p")]
        packed = pack_keys([*key, *pair.get_columns()])
        if packed is not None:
            return duplicated_int(packed.to_numpy()), pl.DataFrame([packed.alias("_k")])
    else:
        key = [table["variant_id"].alias("_v")]
    keys = pl.DataFrame([*key, *pair.get_columns()])
    return keys.select(pl.struct(pl.all()).is_duplicated()).to_series().to_numpy(), keys


def _pz_consistency(table: pl.DataFrame, tolerance: float) -> dict[str, Any]:
    if not (_has(table, "beta") and _has(table, "standard_error") and _has(table, "p_value")):
        return {"pz_inconsistent": None, "pz_median_abs_diff": None, "pz_checked": 0}
    with np.errstate(divide="ignore", invalid="ignore"):
        z = table["beta"].to_numpy() / table["standard_error"].to_numpy()
        p = table["p_value"].to_numpy().astype(np.float64)
        reported = np.where(p > 0, -np.log10(p), np.nan)
    implied = neg_log10_p_from_z(z)
    diff = np.abs(implied - reported)
    ok = np.isfinite(diff)
    return {
        "pz_inconsistent": int((diff[ok] > tolerance).sum()),
        "pz_checked": int(ok.sum()),
        "pz_median_abs_diff": float(np.median(diff[ok])) if ok.any() else float("nan"),
    }


def se_n_scale(table: pl.DataFrame) -> float:
    """EasyQC's SE-N check: ``median(se * sqrt(2 N_eff f (1 - f)))`` over variants with
    0.05 < f < 0.95; NaN when N, frequency or SE is unknown.

    For a quantitative trait this estimates the trait SD (1 when standardised); for log odds
    ratios with the effective N = 4 / (1/cases + 1/controls) it is about 2.
    """
    if not (
        _has(table, "standard_error")
        and _has(table, "effect_allele_frequency")
        and _has(table, "n")
    ):
        return float("nan")
    f = table["effect_allele_frequency"].to_numpy().astype(np.float64)
    se = table["standard_error"].to_numpy().astype(np.float64)
    n = table["n"].to_numpy().astype(np.float64)
    if _has(table, "n_cases") and _has(table, "n_controls"):
        ca = table["n_cases"].to_numpy().astype(np.float64)
        co = table["n_controls"].to_numpy().astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            n = np.where((ca > 0) & (co > 0), 4.0 / (1.0 / ca + 1.0 / co), n)
    ok = (f > 0.05) & (f < 0.95) & np.isfinite(se) & (se > 0) & (n > 0)
    if not ok.any():
        return float("nan")
    return float(np.median(se[ok] * np.sqrt(2.0 * n[ok] * f[ok] * (1.0 - f[ok]))))


@cache
def _reference(name: str) -> pl.DataFrame:
    with resources.files("gwaskit.data").joinpath(name).open("rb") as fh:
        return pl.read_parquet(fh)
