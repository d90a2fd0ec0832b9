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
======================  ===========================================================

Study-level checks are reported, not applied: P-Z consistency (the p-value implied by
beta/se against the reported one), SE-N consistency (EasyQC's ``median(se * sqrt(2 N f(1-f)))``,
which estimates the trait's standard deviation: ~1 for a standardised quantitative trait, ~2 for
log odds ratios with an effective N; a study far from the others has a wrong N or scale),
allele frequencies against the 1000 Genomes HapMap3 reference shipped with gwaskit, the genome
build from HapMap3 positions, and lambda GC.
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
)
POPULATIONS = ("eur", "eas", "amr", "sas", "afr")


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
    """
    if population is not None and population.lower() not in POPULATIONS:
        raise ParameterError(
            f"qc_sumstats: population must be one of {POPULATIONS}, got {population!r}."
        )
    if use_positions is None:
        use_positions = _has(table, "base_pair_location")
    conditions: list[tuple[str, pl.Expr | np.ndarray]] = []
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
    summary.update(_pz_consistency(kept, pz_tolerance))
    summary["lambda_gc"] = (
        lambda_gc(kept["neg_log_10_p_value"].to_numpy()) if kept.height else float("nan")
    )
    summary["se_n_scale"] = se_n_scale(kept)
    detected = detect_build(kept)
    summary["build_detected"] = detected
    if population is not None:
        summary.update(
            eaf_against_reference(
                kept, build=build or detected, population=population, tolerance=eaf_tolerance
            )
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
        return {"pz_inconsistent": None, "pz_median_abs_diff": None}
    with np.errstate(divide="ignore", invalid="ignore"):
        z = table["beta"].to_numpy() / table["standard_error"].to_numpy()
        p = table["p_value"].to_numpy().astype(np.float64)
        reported = np.where(p > 0, -np.log10(p), np.nan)
    implied = neg_log10_p_from_z(z)
    diff = np.abs(implied - reported)
    ok = np.isfinite(diff)
    return {
        "pz_inconsistent": int((diff[ok] > tolerance).sum()),
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


def eaf_against_reference(
    table: pl.DataFrame, *, build: str | None, population: str = "eur", tolerance: float = 0.2
) -> dict[str, Any]:
    """Compare effect-allele frequencies with 1000 Genomes (HapMap3 subset shipped with gwaskit).

    Returns the number of SNPs compared, their frequency correlation, and how many differ by
    more than ``tolerance`` (after aligning alleles, strand included).
    """
    empty = {"eaf_reference_n": 0, "eaf_reference_r": None, "eaf_reference_discordant": None}
    if build not in ("GRCh37", "GRCh38") or not _has(table, "effect_allele_frequency"):
        return empty
    ref = _reference(f"hapmap3_eaf_{build.lower()}.parquet").select(
        "chromosome",
        "base_pair_location",
        pl.col("effect_allele").alias("ref_ea"),
        pl.col("other_allele").alias("ref_oa"),
        pl.col(f"eaf_{population.lower()}").cast(pl.Float64).alias("ref_eaf"),
    )
    joined = table.select(
        "chromosome",
        "base_pair_location",
        "effect_allele",
        "other_allele",
        "effect_allele_frequency",
    ).join(ref, on=["chromosome", "base_pair_location"])
    if joined.height == 0:
        return empty
    comp = {"A": "T", "T": "A", "C": "G", "G": "C"}
    ea, oa = joined["effect_allele"], joined["other_allele"]
    rea, roa = joined["ref_ea"], joined["ref_oa"]
    cea, coa = ea.replace(comp), oa.replace(comp)
    same = ((ea == rea) & (oa == roa)) | ((cea == rea) & (coa == roa))
    swapped = ((ea == roa) & (oa == rea)) | ((cea == roa) & (coa == rea))
    ok = (same | swapped).to_numpy()
    f = joined["effect_allele_frequency"].to_numpy()
    r = joined["ref_eaf"].to_numpy()
    aligned = np.where(same.to_numpy(), r, 1.0 - r)[ok]
    f = f[ok]
    good = np.isfinite(f) & np.isfinite(aligned)
    f, aligned = f[good], aligned[good]
    if f.size < 3:
        return {**empty, "eaf_reference_n": int(f.size)}
    return {
        "eaf_reference_n": int(f.size),
        "eaf_reference_r": float(np.corrcoef(f, aligned)[0, 1]),
        "eaf_reference_discordant": int((np.abs(f - aligned) > tolerance).sum()),
    }
