"""Allele harmonisation of several studies' summary statistics onto one set of variants.

Variants are matched by chromosome, position and the unordered pair of alleles (or, for files
without positions, by variant id and alleles), never by position alone: two indels, or the two
ALT alleles of a multi-allelic site, at one position are different variants.

Orientation follows METAL's rule (Willer, Li & Abecasis 2010, doi:10.1093/bioinformatics/btq340),
which depends on neither the allele order nor the strand of any input: a SNP's allele pair is
read on the strand where the alphabetically first allele is ``A``, or where the pair is ``C/G``;
the effect allele of the meta-analysis is the alphabetically first allele of that pair. Alleles
are reported on the strand of the first study carrying the variant. Indels and other non-SNP
alleles are matched as given (no strand complement); the effect allele is the alphabetically
first.

Palindromic SNPs (A/T, C/G) cannot be told apart from their strand flip by alleles; with
``palindromic="frequency"`` (default) each study's copy is aligned to the first study's by its
effect-allele frequency when the minor allele frequency is below ``maf_threshold`` (0.4) in both,
and dropped otherwise. ``"forward"`` assumes every study reports them on one strand (what METAL
and GWAMA do); ``"drop"`` removes them.

Every dropped row gets a reason code, counted per study:

=========================  ===========================================================
``invalid_alleles``         alleles not made of A/C/G/T, or both alleles the same
``missing_key``             no chromosome/position (or id) to match on
``duplicate``               the same variant (key) more than once in a study: all copies
``palindromic_ambiguous``   A/T or C/G SNP with MAF >= ``maf_threshold``
``palindromic_no_frequency`` A/T or C/G SNP without an allele frequency
``palindromic``             A/T or C/G SNP dropped under ``palindromic="drop"``
=========================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.io.chromosomes import STANDARD

#: Per-study value columns carried into the harmonised arrays.
VALUE_COLUMNS = (
    "beta",
    "standard_error",
    "effect_allele_frequency",
    "neg_log_10_p_value",
    "n",
    "n_cases",
    "n_controls",
)
REASONS = (
    "invalid_alleles",
    "missing_key",
    "duplicate",
    "palindromic_ambiguous",
    "palindromic_no_frequency",
    "palindromic",
)


@dataclass(frozen=True)
class Harmonised:
    """Studies aligned onto one variant set.

    Attributes
    ----------
    variants
        One row per variant: chromosome, base_pair_location, variant_id, rsid, effect_allele,
        other_allele (the meta-analysis effect allele; see the module docstring).
    studies
        Study names, in input order (the column order of every array).
    values
        ``{column: float64 array (n_variants, n_studies)}`` for the columns of
        :data:`VALUE_COLUMNS`, aligned to ``variants.effect_allele`` (beta negated and
        frequency complemented where a study's alleles were swapped); NaN where a study lacks
        the variant or the value.
    counts
        One row per study: variants read, kept, swapped, strand-flipped, palindromic flipped,
        and one column per reason in :data:`REASONS`.
    dropped
        One row per dropped input row: study, chromosome, base_pair_location, variant_id,
        effect_allele, other_allele, reason.
    """

    variants: pl.DataFrame
    studies: tuple[str, ...]
    values: dict[str, np.ndarray]
    counts: pl.DataFrame
    dropped: pl.DataFrame


def _parse_palindromic(palindromic: str, maf_threshold: float) -> None:
    if palindromic not in ("frequency", "forward", "drop"):
        raise ParameterError(
            f"harmonise: palindromic must be 'frequency', 'forward' or 'drop', got {palindromic!r}."
        )
    if not 0.0 < maf_threshold <= 0.5:
        raise ParameterError(
            f"harmonise: maf_threshold must be in (0, 0.5], got {maf_threshold!r}."
        )


def _complement(expr: pl.Expr) -> pl.Expr:
    """Complement single-letter alleles (A<->T, C<->G); used on SNPs only."""
    return expr.replace({"A": "T", "T": "A", "C": "G", "G": "C"})


def orient(table: pl.DataFrame, *, match_on: str) -> pl.DataFrame:
    """Add the canonical key columns ``_lo``, ``_hi`` (allele pair), ``_sign`` (+1 when the
    row's effect allele is ``_lo``), ``_strand`` (True when the row is on the complement
    strand), ``_palindromic``, ``_valid`` and ``_key_ok`` to a SumStats table."""
    ea, oa = pl.col("effect_allele"), pl.col("other_allele")
    snp = (ea.str.len_bytes() == 1) & (oa.str.len_bytes() == 1)
    lo0 = pl.min_horizontal(ea, oa)
    hi0 = pl.max_horizontal(ea, oa)
    keep_strand = (lo0 == "A") | ((lo0 == "C") & (hi0 == "G"))
    strand = snp & ~keep_strand
    ea_c = pl.when(strand).then(_complement(ea)).otherwise(ea)
    oa_c = pl.when(strand).then(_complement(oa)).otherwise(oa)
    if match_on == "position":
        key_ok = pl.col("chromosome").is_not_null() & pl.col("base_pair_location").is_not_null()
    else:
        key_ok = pl.col("variant_id").is_not_null()
    return table.with_columns(
        _lo=pl.min_horizontal(ea_c, oa_c),
        _hi=pl.max_horizontal(ea_c, oa_c),
        _sign=pl.when(ea_c <= oa_c).then(1.0).otherwise(-1.0),
        _strand=strand,
        _palindromic=snp & (((lo0 == "A") & (hi0 == "T")) | ((lo0 == "C") & (hi0 == "G"))),
        _valid=ea.str.contains(r"^[ACGT]+$")
        & oa.str.contains(r"^[ACGT]+$")
        & (ea != oa)
        & ea.is_not_null()
        & oa.is_not_null(),
        _key_ok=key_ok,
    )


def harmonise(
    studies: Mapping[str, pl.DataFrame] | Sequence[tuple[str, pl.DataFrame]],
    *,
    match_on: str = "auto",
    palindromic: str = "frequency",
    maf_threshold: float = 0.4,
) -> Harmonised:
    """Align several SumStats tables onto one set of variants and one effect allele.

    Parameters
    ----------
    studies
        ``{name: SumStats table}`` (or pairs), in study order.
    match_on
        ``"position"`` (chromosome, position, alleles), ``"id"`` (variant_id, alleles), or
        ``"auto"``: position when every study has positions, else id.
    palindromic
        ``"frequency"``, ``"forward"`` or ``"drop"``; see the module docstring.
    maf_threshold
        Palindromic SNPs with a minor allele frequency at or above this are dropped under
        ``"frequency"``.

    Returns
    -------
    Harmonised
    """
    _parse_palindromic(palindromic, maf_threshold)
    items = list(studies.items()) if isinstance(studies, Mapping) else list(studies)
    names = tuple(name for name, _ in items)
    if len(set(names)) != len(names):
        raise ParameterError(f"harmonise: study names must be unique, got {list(names)!r}.")
    if match_on == "auto":
        has_pos = all(
            t["base_pair_location"].null_count() < t.height
            for _, t in items
            if "base_pair_location" in t.columns
        ) and all("base_pair_location" in t.columns for _, t in items)
        match_on = "position" if has_pos else "id"
    if match_on not in ("position", "id"):
        raise ParameterError(f"harmonise: match_on must be 'position' or 'id', got {match_on!r}.")
    key = ["chromosome", "base_pair_location"] if match_on == "position" else ["variant_id"]

    frames = []
    dropped = []
    counts = []
    for s, (name, table) in enumerate(items):
        t = _with_columns(table)
        t = orient(t, match_on=match_on).with_columns(_study=pl.lit(s, pl.Int32))
        reason = (
            pl.when(~pl.col("_valid"))
            .then(pl.lit("invalid_alleles"))
            .when(~pl.col("_key_ok"))
            .then(pl.lit("missing_key"))
            .when(pl.struct(*key, "_lo", "_hi").is_duplicated())
            .then(pl.lit("duplicate"))
            .otherwise(None)
        )
        t = t.with_columns(_reason=reason)
        if palindromic == "drop":
            t = t.with_columns(
                _reason=pl.when(pl.col("_reason").is_null() & pl.col("_palindromic"))
                .then(pl.lit("palindromic"))
                .otherwise(pl.col("_reason"))
            )
        elif palindromic == "frequency":
            eaf = pl.col("effect_allele_frequency")
            maf = pl.min_horizontal(eaf, 1.0 - eaf)
            t = t.with_columns(
                _reason=pl.when(pl.col("_reason").is_null() & pl.col("_palindromic"))
                .then(
                    pl.when(eaf.is_null() | eaf.is_nan())
                    .then(pl.lit("palindromic_no_frequency"))
                    .when(maf >= maf_threshold)
                    .then(pl.lit("palindromic_ambiguous"))
                    .otherwise(None)
                )
                .otherwise(pl.col("_reason"))
            )
        bad = t.filter(pl.col("_reason").is_not_null())
        dropped.append(
            bad.select(
                pl.lit(name).alias("study"),
                "chromosome",
                "base_pair_location",
                "variant_id",
                "effect_allele",
                "other_allele",
                pl.col("_reason").alias("reason"),
            )
        )
        kept = t.filter(pl.col("_reason").is_null())
        frames.append(kept)
        row = {"study": name, "variants_read": table.height, "variants_kept": kept.height}
        row["allele_swapped"] = int((kept["_sign"] < 0).sum())
        row["strand_flipped"] = int(kept["_strand"].sum())
        reasons = bad["_reason"].value_counts()
        found = dict(zip(reasons["_reason"].to_list(), reasons["count"].to_list(), strict=True))
        row.update({r: int(found.get(r, 0)) for r in REASONS})
        counts.append(row)

    long = pl.concat(frames, how="vertical_relaxed")
    # Variant table: sorted key, first study's row gives ids and the reporting strand.
    first, variant_of_row = _index_variants(long, [*key, "_lo", "_hi"])
    long = long.with_columns(_variant=pl.Series(variant_of_row))

    n_var, n_st = first.height, len(items)
    sign = long["_sign"].to_numpy().copy()
    row_idx = long["_variant"].to_numpy().astype(np.int64)
    col_idx = long["_study"].to_numpy().astype(np.int64)
    eaf_raw = long["effect_allele_frequency"].to_numpy().astype(np.float64)
    palin = long["_palindromic"].to_numpy()

    if palindromic == "frequency" and palin.any():
        n_flip = _resolve_palindromic(sign, eaf_raw, palin, row_idx, col_idx, n_var, n_st)
        for s, row in enumerate(counts):
            row["palindromic_flipped"] = int(n_flip[s])
    else:
        for row in counts:
            row["palindromic_flipped"] = 0

    values: dict[str, np.ndarray] = {}
    for name in VALUE_COLUMNS:
        out = np.full((n_var, n_st), np.nan)
        v = long[name].to_numpy().astype(np.float64)
        if name == "beta":
            v = v * sign
        elif name == "effect_allele_frequency":
            v = np.where(sign > 0, v, 1.0 - v)
        out[row_idx, col_idx] = v
        values[name] = out

    back = first["_strand"]
    variants = first.select(
        "chromosome",
        "base_pair_location",
        "variant_id",
        "rsid",
        pl.when(back)
        .then(_complement(pl.col("_lo")))
        .otherwise(pl.col("_lo"))
        .alias("effect_allele"),
        pl.when(back)
        .then(_complement(pl.col("_hi")))
        .otherwise(pl.col("_hi"))
        .alias("other_allele"),
    )
    return Harmonised(
        variants=variants,
        studies=names,
        values=values,
        counts=pl.DataFrame(counts),
        dropped=pl.concat(dropped, how="vertical_relaxed"),
    )


def _index_variants(long: pl.DataFrame, key: list[str]) -> tuple[pl.DataFrame, np.ndarray]:
    """Distinct keys of ``long`` (rows in study order) as a sorted variant table, and each
    row's variant index.

    Rows are grouped by a 64-bit hash of the key; the grouping is then checked against the
    keys themselves, and an exact group-by is used in the (astronomically rare) case of a
    hash collision.
    """
    hashes = long.select(pl.struct(key).hash(seed=20260101)).to_series().to_numpy()
    _, first_row, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    firsts = long[first_row]
    same = (
        long.select(key)
        .with_columns(pl.all().fill_null(pl.lit(None)))
        .equals(firsts.select(key)[inverse])
    )
    if not same:  # collision: exact grouping
        firsts = long.group_by(key, maintain_order=True).agg(pl.all().first())
        codes = long.join(
            firsts.select(key).with_row_index("_u"), on=key, how="left", nulls_equal=True
        )["_u"].to_numpy()
        inverse = codes.astype(np.int64)
    first = _sort_variants(firsts.with_columns(_u=np.arange(firsts.height)))
    rank = np.empty(first.height, dtype=np.int64)
    rank[first["_u"].to_numpy()] = np.arange(first.height)
    return first.drop("_u"), rank[inverse]


def _with_columns(table: pl.DataFrame) -> pl.DataFrame:
    """Select the columns harmonisation needs, adding absent ones as nulls."""
    need = {
        "chromosome": pl.String,
        "base_pair_location": pl.Int64,
        "variant_id": pl.String,
        "rsid": pl.String,
        "effect_allele": pl.String,
        "other_allele": pl.String,
        **dict.fromkeys(VALUE_COLUMNS, pl.Float64),
    }
    return table.select(
        [
            pl.col(c).cast(dtype) if c in table.columns else pl.lit(None, dtype).alias(c)
            for c, dtype in need.items()
        ]
    )


def _sort_variants(first: pl.DataFrame) -> pl.DataFrame:
    order = {c: i for i, c in enumerate(STANDARD)}
    return (
        first.with_columns(
            _chrom_order=pl.col("chromosome").replace_strict(
                order, default=len(STANDARD), return_dtype=pl.Int32
            )
        )
        .sort(["_chrom_order", "chromosome", "base_pair_location", "variant_id", "_lo", "_hi"])
        .drop("_chrom_order")
    )


def _resolve_palindromic(
    sign: np.ndarray,
    eaf: np.ndarray,
    palin: np.ndarray,
    row_idx: np.ndarray,
    col_idx: np.ndarray,
    n_var: int,
    n_st: int,
) -> np.ndarray:
    """Flip (in place, in ``sign``) palindromic rows whose frequency says the other strand.

    The reference is the first study (in study order) carrying the variant; a study whose
    aligned frequency lies on the other side of 0.5 is read as strand-flipped. Returns the
    number of flipped rows per study.
    """
    rows = np.flatnonzero(palin)
    aligned = np.where(sign[rows] > 0, eaf[rows], 1.0 - eaf[rows])
    grid = np.full((n_var, n_st), np.nan)
    grid[row_idx[rows], col_idx[rows]] = aligned
    has = ~np.isnan(grid)
    first_col = np.argmax(has, axis=1)
    ref = grid[np.arange(n_var), first_col]
    ref_side = ref[row_idx[rows]] - 0.5
    flip = (aligned - 0.5) * ref_side < 0
    sign[rows[flip]] *= -1.0
    return np.bincount(col_idx[rows[flip]], minlength=n_st)
