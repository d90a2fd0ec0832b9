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
and GWAMA do); ``"drop"`` removes them. ``"auto"`` decides per study
(:mod:`gwaskit.meta.strand`): ``"forward"`` for a study that shows no strand flips among its
non-palindromic SNPs, ``"frequency"`` for one that does. Matching on variant ids
(:func:`harmonise` with ``match_on="id"``), ``"auto"`` is ``"frequency"``.

Every dropped row gets a reason code, counted per study:

=========================  ===========================================================
``invalid_alleles``         alleles not made of A/C/G/T, or both alleles the same
``missing_key``             no chromosome/position (or id) to match on
``duplicate``               the same variant (key) more than once in a study: all copies
``palindromic_ambiguous``   A/T or C/G SNP with MAF >= ``maf_threshold``
``palindromic_no_frequency`` A/T or C/G SNP without an allele frequency
``palindromic``             A/T or C/G SNP dropped under ``palindromic="drop"``
``allele_mismatch``         matching on ids: a marker an earlier study reports with other
                            alleles (:mod:`gwaskit.meta.markers`)
=========================  ===========================================================

``strand_flipped`` counts a study's rows on the other strand than the one the variant is
reported on (the first study's); ``allele_swapped`` its rows whose effect allele is the
meta-analysis' other allele (beta negated).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.io.chromosomes import STANDARD
from gwaskit.meta.markers import allele_mismatch
from gwaskit.meta.strand import decide_strand

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
    "allele_mismatch",
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
    if palindromic not in ("auto", "frequency", "forward", "drop"):
        raise ParameterError(
            "harmonise: palindromic must be 'auto', 'frequency', 'forward' or 'drop', got "
            f"{palindromic!r}."
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
    study_modes: Mapping[str, str] | None = None,
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
    study_modes
        Under ``"auto"``: the mode already decided for some studies (``{name: "forward" |
        "frequency"}``, e.g. from a strand check against a reference); the others are checked
        against each other (:func:`gwaskit.meta.strand.decide_strand`).

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
    if match_on == "id" and palindromic == "auto":
        palindromic = "frequency"
    if match_on == "position":
        modes = dict(study_modes or {}) if palindromic == "auto" else {}
        encoded = [
            encode_study(
                name,
                table,
                palindromic=modes.get(name, palindromic),
                maf_threshold=maf_threshold,
            )
            for name, table in items
        ]
        if palindromic == "auto":
            encoded, _ = decide_strand(encoded, maf_threshold=maf_threshold)
        return harmonise_encoded(encoded, palindromic=palindromic)
    return _harmonise_tables(items, match_on, palindromic, maf_threshold)


def _harmonise_tables(
    items: list[tuple[str, pl.DataFrame]], match_on: str, palindromic: str, maf_threshold: float
) -> Harmonised:
    """Harmonisation through string keys and polars expressions: the route for matching on
    variant ids, and the reference the integer-key route is tested against."""
    from gwaskit.qc.sumstats import integer_codes

    names = tuple(name for name, _ in items)
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
        row["strand_flipped"] = 0  # set once the studies are aligned
        reasons = bad["_reason"].value_counts()
        found = dict(zip(reasons["_reason"].to_list(), reasons["count"].to_list(), strict=True))
        row.update({r: int(found.get(r, 0)) for r in REASONS})
        counts.append(row)

    long = pl.concat(frames, how="vertical_relaxed")
    if match_on == "id":  # one name, one variant (by position: other alleles, other variants)
        pair_lo, pair_hi = integer_codes(long["_lo"], long["_hi"])
        n_codes = int(max(pair_lo.max() or 0, pair_hi.max() or 0)) + 1
        pair = pair_lo.to_numpy().astype(np.int64) * n_codes + pair_hi.to_numpy().astype(np.int64)
        mismatch = allele_mismatch(long.select("variant_id"), long["_study"].to_numpy(), pair)
    else:
        mismatch = np.zeros(long.height, dtype=bool)
    if mismatch.any():
        bad = long.filter(pl.Series(mismatch))
        dropped.append(
            bad.select(
                pl.col("_study").replace_strict(dict(enumerate(names))).alias("study"),
                "chromosome",
                "base_pair_location",
                "variant_id",
                "effect_allele",
                "other_allele",
                pl.lit("allele_mismatch").alias("reason"),
            )
        )
        n_bad = np.bincount(bad["_study"].to_numpy(), minlength=len(items))
        for s, row in enumerate(counts):
            row["allele_mismatch"] = int(n_bad[s])
            row["variants_kept"] = int(row["variants_kept"]) - int(n_bad[s])
        long = long.filter(~pl.Series(mismatch))
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
    flipped = (long["_strand"] != back.gather(long["_variant"])) & ~long["_palindromic"]
    n_strand = np.bincount(long["_study"].filter(flipped).to_numpy(), minlength=n_st)
    for s, row in enumerate(counts):
        row["strand_flipped"] = int(n_strand[s])
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


# ------------------------------------------------- integer-key route (matching on positions)


@dataclass(frozen=True)
class EncodedStudy:
    """One study reduced to what harmonisation needs, its strings replaced by integer codes.

    Attributes
    ----------
    name
        Study name.
    parts
        ``{chromosome: kept rows}``; each frame has ``_pair`` (index into ``pairs``),
        ``base_pair_location``, ``variant_id``, ``rsid`` and the :data:`VALUE_COLUMNS`.
    pairs
        One row per distinct (effect, other) allele pair of the study: the canonical pair
        ``_lo``/``_hi``, ``_sign`` (+1 when the effect allele is ``_lo``), ``_strand`` and
        ``_palindromic`` (see :func:`orient`).
    counts
        The study's row of :attr:`Harmonised.counts`, without ``palindromic_flipped``.
    dropped
        The rows dropped, as in :attr:`Harmonised.dropped`.
    palindromic
        How its palindromic SNPs are aligned: ``"frequency"``, ``"forward"``, ``"drop"``, or
        ``"auto"`` (not yet decided: kept, aligned as ``"forward"``; see
        :mod:`gwaskit.meta.strand`).
    """

    name: str
    parts: dict[str, pl.DataFrame]
    pairs: pl.DataFrame
    counts: dict[str, int | str]
    dropped: pl.DataFrame
    palindromic: str = "frequency"


def _first_rows(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Index of the first row carrying each code 0..n_codes-1 (``codes`` non-negative)."""
    first = np.full(n_codes, codes.size, dtype=np.int64)
    rows = np.arange(codes.size, dtype=np.int64)[::-1]
    first[codes[::-1]] = rows  # the last write wins: the first row in file order
    return first


def _dense_codes(columns: list[np.ndarray]) -> tuple[np.ndarray, int]:
    """Dense codes 0..k-1 of the distinct rows of small non-negative integer columns."""
    key = np.zeros(columns[0].size, dtype=np.int64)
    for c in columns:
        key = key * (int(c.max(initial=0)) + 1) + c
    if key.size and int(key.max()) < 1 << 24:
        present = np.zeros(int(key.max()) + 1, dtype=np.int64)
        present[key] = 1
        lut = np.cumsum(present) - 1
        return lut[key], int(present.sum())
    uniq, inverse = np.unique(key, return_inverse=True)
    return inverse.ravel(), uniq.size


def encode_study(
    name: str,
    table: pl.DataFrame,
    *,
    palindromic: str = "frequency",
    maf_threshold: float = 0.4,
    values: Sequence[str] = VALUE_COLUMNS,
) -> EncodedStudy:
    """Check one study's rows for harmonisation (matching on chromosome and position) and
    encode them: see :class:`EncodedStudy`. Allele pairs are oriented once per distinct pair,
    duplicates found through packed integer keys.

    ``values`` are the value columns kept (the others read back as NaN): e.g. without
    ``neg_log_10_p_value`` for inverse-variance methods, to save memory. The ``rsid`` column is
    not stored when it is the variant id wherever that starts with ``rs`` (null elsewhere), as
    the readers derive it."""
    from gwaskit.qc.sumstats import duplicated_int, integer_codes, pack_keys

    _parse_palindromic(palindromic, maf_threshold)
    t = _with_columns(table)
    n = t.height
    a, b = integer_codes(t["effect_allele"], t["other_allele"])
    n_allele = int(max(a.max() or 0, b.max() or 0)) + 2  # null gets the last code
    a_np = a.fill_null(n_allele - 1).to_numpy().astype(np.int64)
    b_np = b.fill_null(n_allele - 1).to_numpy().astype(np.int64)
    pair, n_pair = _dense_codes([a_np, b_np])
    reps = _first_rows(pair, n_pair)
    pairs = orient(
        t[reps].select(
            "effect_allele", "other_allele", pl.lit("1").alias("chromosome"), "variant_id"
        ),
        match_on="id",
    ).select("_lo", "_hi", "_sign", "_strand", "_palindromic", "_valid")
    lo_c, hi_c = integer_codes(pairs["_lo"], pairs["_hi"])
    (chrom_c,) = integer_codes(t["chromosome"])
    valid = pairs["_valid"].fill_null(False).to_numpy()[pair]
    key_ok = (t["chromosome"].is_not_null() & t["base_pair_location"].is_not_null()).to_numpy()
    key_cols = [
        chrom_c.alias("_c"),
        t["base_pair_location"].alias("_p"),
        lo_c.gather(pair).alias("_l"),
        hi_c.gather(pair).alias("_h"),
    ]
    packed = pack_keys(key_cols)
    if packed is not None:
        dup = duplicated_int(packed.to_numpy())
    else:
        dup = pl.DataFrame(key_cols).select(pl.struct(pl.all()).is_duplicated()).to_series()
        dup = dup.to_numpy()
    reason = np.full(n, None, dtype=object)
    code = np.zeros(n, dtype=np.int8)  # 0 kept, else 1 + index into REASONS
    palin = pairs["_palindromic"].fill_null(False).to_numpy()[pair]
    code[dup] = 1 + REASONS.index("duplicate")
    code[~key_ok] = 1 + REASONS.index("missing_key")
    code[~valid] = 1 + REASONS.index("invalid_alleles")
    if palindromic == "drop":
        code[(code == 0) & palin] = 1 + REASONS.index("palindromic")
    elif palindromic == "frequency":
        eaf = t["effect_allele_frequency"].to_numpy().astype(np.float64)
        free = (code == 0) & palin
        with np.errstate(invalid="ignore"):
            maf = np.minimum(eaf, 1.0 - eaf)
            code[free & (maf >= maf_threshold)] = 1 + REASONS.index("palindromic_ambiguous")
        code[free & np.isnan(eaf)] = 1 + REASONS.index("palindromic_no_frequency")
    kept_mask = code == 0
    bad_rows = np.flatnonzero(~kept_mask)
    reason = np.array([None, *REASONS], dtype=object)[code[bad_rows]]
    dropped = t[bad_rows].select(
        pl.lit(name).alias("study"),
        "chromosome",
        "base_pair_location",
        "variant_id",
        "effect_allele",
        "other_allele",
        pl.Series("reason", reason, dtype=pl.String),
    )
    derived = pl.when(pl.col("variant_id").str.starts_with("rs")).then(pl.col("variant_id"))
    rsid_from_id = t.select(pl.col("rsid").eq_missing(derived).all()).item()
    pos = t["base_pair_location"]
    known = pos.drop_nulls()
    small = known.len() == 0 or (known.min() >= -(1 << 31) and known.max() < 1 << 31)
    kept = t.select(
        pl.Series("_pair", pair, dtype=pl.UInt32),
        "chromosome",
        pos.cast(pl.Int32) if small else pos,
        "variant_id",
        *([] if rsid_from_id else ["rsid"]),
        *[v for v in VALUE_COLUMNS if v in values],
    )
    if not kept_mask.all():
        kept = kept.filter(pl.Series(kept_mask))
    kept_pair = pair[kept_mask]
    row: dict[str, int | str] = {"study": name, "variants_read": n, "variants_kept": kept.height}
    row["allele_swapped"] = int((pairs["_sign"].to_numpy()[kept_pair] < 0).sum())
    found = np.bincount(code, minlength=len(REASONS) + 1)
    row.update({r: int(found[i + 1]) for i, r in enumerate(REASONS)})
    empty = [v for v in VALUE_COLUMNS if v in values and kept[v].null_count() == kept.height]
    kept = kept.drop(empty)  # absent values cost no memory; read back as NaN
    return EncodedStudy(
        name=name,
        parts=_by_chromosome(kept, chrom_c.fill_null(0).to_numpy()[kept_mask]),
        pairs=pairs.drop("_valid"),
        counts=row,
        dropped=dropped,
        palindromic=palindromic,
    )


def _by_chromosome(kept: pl.DataFrame, code: np.ndarray) -> dict[str, pl.DataFrame]:
    """Split rows by chromosome (``code``: integer codes of the chromosome column): slices
    without copying when each chromosome is one run of rows (files sorted by chromosome),
    else a stable gather."""
    if code.size == 0:
        return {}
    order = None
    change = np.flatnonzero(code[1:] != code[:-1]) + 1
    if np.unique(code[np.concatenate([[0], change])]).size != change.size + 1:
        order = np.argsort(code, kind="stable")
        sorted_code = code[order]
        change = np.flatnonzero(sorted_code[1:] != sorted_code[:-1]) + 1
    bounds = [0, *change.tolist(), code.size]
    chrom = kept["chromosome"]
    body = kept.drop("chromosome")
    parts = {}
    for lo, hi in itertools.pairwise(bounds):
        if order is None:
            parts[str(chrom[lo])] = body.slice(lo, hi - lo)
        else:
            parts[str(chrom[int(order[lo])])] = body[order[lo:hi]]
    return parts


def harmonise_encoded(
    studies: Sequence[EncodedStudy],
    *,
    palindromic: str = "frequency",
    chromosomes: Sequence[str] | None = None,
) -> Harmonised:
    """Align encoded studies (see :func:`encode_study`) onto one set of variants.

    Rows of all studies are keyed by (chromosome rank, position, canonical allele ranks,
    study) packed into one integer and sorted once (each study's rows are mostly sorted
    already, so the stable sort merges runs); variants are the runs of equal keys. Gives what
    :func:`harmonise` gives. ``chromosomes`` restricts to those chromosomes; the counts are then
    the studies' whole counts, but ``palindromic_flipped`` and ``strand_flipped`` count only
    these chromosomes. Markers are not checked for ``allele_mismatch`` (a matter of variant
    ids: at one position, different allele pairs are different variants).
    """
    from gwaskit.io.chromosomes import chromosome_order

    n_st = len(studies)
    names = tuple(e.name for e in studies)
    present = sorted(
        {c for e in studies for c in e.parts if chromosomes is None or c in chromosomes},
        key=lambda c: (chromosome_order(c), c),
    )
    chrom_rank = {c: i for i, c in enumerate(present)}
    alleles = sorted({x for e in studies for col in ("_lo", "_hi") for x in e.pairs[col].to_list()})
    allele_rank = {x: i for i, x in enumerate(alleles)}
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("c", "p", "lo", "hi", "s", "row", "sign", "strand", "palin")
    }
    values: dict[str, list[np.ndarray]] = {k: [] for k in VALUE_COLUMNS}
    frames: list[list[pl.DataFrame]] = [[] for _ in studies]
    for s, e in enumerate(studies):
        lut_lo = np.array([allele_rank[x] for x in e.pairs["_lo"].to_list()], dtype=np.int64)
        lut_hi = np.array([allele_rank[x] for x in e.pairs["_hi"].to_list()], dtype=np.int64)
        lut_sign = e.pairs["_sign"].to_numpy()
        lut_strand = e.pairs["_strand"].to_numpy()
        lut_palin = e.pairs["_palindromic"].to_numpy()
        offset = 0
        for c in present:
            part = e.parts.get(c)
            if part is None or part.height == 0:
                continue
            frames[s].append(part)
            pair = part["_pair"].to_numpy().astype(np.int64)
            m = pair.size
            cols["c"].append(np.full(m, chrom_rank[c], dtype=np.int64))
            cols["p"].append(part["base_pair_location"].to_numpy().astype(np.int64))
            cols["lo"].append(lut_lo[pair])
            cols["hi"].append(lut_hi[pair])
            cols["s"].append(np.full(m, s, dtype=np.int64))
            cols["row"].append(np.arange(offset, offset + m, dtype=np.int64))
            cols["sign"].append(lut_sign[pair])
            cols["strand"].append(lut_strand[pair])
            cols["palin"].append(lut_palin[pair])
            for v in VALUE_COLUMNS:
                values[v].append(
                    part[v].to_numpy().astype(np.float64)
                    if v in part.columns
                    else np.full(m, np.nan)
                )
            offset += m
    cat = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in cols.items()}
    vals = {v: np.concatenate(x) if x else np.zeros(0) for v, x in values.items()}
    order, new = _group_rows(cat, n_st)
    n_rows = cat["s"].size
    variant = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    n_var = starts.size
    at_starts = order[starts]
    first_s, first_row = cat["s"][at_starts], cat["row"][at_starts]

    # ids and reporting strand from the first study carrying each variant
    ids = pl.DataFrame(
        {"variant_id": pl.Series([], dtype=pl.String), "rsid": pl.Series([], dtype=pl.String)}
    )
    id_parts, where = [], []
    for s in range(n_st):
        sel = np.flatnonzero(first_s == s)
        if sel.size and frames[s]:
            both = pl.concat([f.select("variant_id") for f in frames[s]])[first_row[sel]]
            if "rsid" in frames[s][0].columns:
                rsid = pl.concat([f.select("rsid") for f in frames[s]])[first_row[sel]]
                both = both.with_columns(rsid["rsid"])
            else:
                both = both.with_columns(
                    pl.when(pl.col("variant_id").str.starts_with("rs"))
                    .then(pl.col("variant_id"))
                    .alias("rsid")
                )
            id_parts.append(both)
            where.append(sel)
    if id_parts:
        ids = pl.concat(id_parts)[np.argsort(np.concatenate(where), kind="stable")]
    vc, vp = cat["c"][at_starts], cat["p"][at_starts]
    vlo, vhi = cat["lo"][at_starts], cat["hi"][at_starts]
    same_site = (np.diff(vc) == 0) & (np.diff(vp) == 0) if n_var > 1 else np.zeros(0, bool)
    if same_site.any():  # several variants at one position: ordered by id, then alleles
        rank_of = (
            pl.DataFrame({"c": vc, "p": vp, "variant_id": ids["variant_id"], "lo": vlo, "hi": vhi})
            .with_row_index("_v")
            .sort(["c", "p", "variant_id", "lo", "hi"])["_v"]
            .to_numpy()
        )
        rank = np.empty(n_var, dtype=np.int64)
        rank[rank_of] = np.arange(n_var)
        variant = rank[variant]
        perm = rank_of
        vc, vp, vlo, vhi = vc[perm], vp[perm], vlo[perm], vhi[perm]
        ids = ids[perm]
        at_starts = at_starts[perm]  # first row of each variant, in the new variant order
        first_strand = cat["strand"][at_starts]
    else:
        first_strand = cat["strand"][at_starts]

    # everything below works on the rows in input order; ``cell`` is each row's flat index
    # into the (variant, study) grid
    variant_in = np.empty(n_rows, dtype=np.int64)
    variant_in[order] = variant
    cell = variant_in * n_st + cat["s"]
    sign = cat["sign"].astype(np.float64)
    n_flip = np.zeros(n_st, dtype=np.int64)
    by_frequency = np.array(
        [
            palindromic == "frequency" or (palindromic == "auto" and e.palindromic == "frequency")
            for e in studies
        ],
        dtype=bool,
    )
    if by_frequency.any() and cat["palin"].any():
        eaf_raw = vals["effect_allele_frequency"]
        rows = np.flatnonzero(cat["palin"] & by_frequency[cat["s"]])
        aligned = np.where(sign[rows] > 0, eaf_raw[rows], 1.0 - eaf_raw[rows])
        # the reference: the first study (in study order) carrying the variant
        first_in = at_starts
        ref_aligned = np.where(sign[first_in] > 0, eaf_raw[first_in], 1.0 - eaf_raw[first_in])
        ref = ref_aligned[variant_in[rows]]
        flip = (aligned - 0.5) * (ref - 0.5) < 0
        sign[rows[flip]] *= -1.0
        n_flip = np.bincount(cat["s"][rows[flip]], minlength=n_st)

    dense: dict[str, np.ndarray] = {}
    for v in VALUE_COLUMNS:
        out = np.full(n_var * n_st, np.nan)
        x = vals[v]
        if v == "beta":
            x = x * sign
        elif v == "effect_allele_frequency":
            x = np.where(sign > 0, x, 1.0 - x)
        out[cell] = x
        dense[v] = out.reshape(n_var, n_st)

    allele_s = pl.Series("a", alleles, dtype=pl.String)
    lo_s = allele_s.gather(vlo) if n_var else pl.Series([], dtype=pl.String)
    hi_s = allele_s.gather(vhi) if n_var else pl.Series([], dtype=pl.String)
    variants = pl.DataFrame(
        {
            "chromosome": pl.Series(present, dtype=pl.String).gather(vc)
            if n_var
            else pl.Series([], dtype=pl.String),
            "base_pair_location": pl.Series(vp, dtype=pl.Int64),
            "variant_id": ids["variant_id"],
            "rsid": ids["rsid"],
            "_lo": lo_s,
            "_hi": hi_s,
            "_strand": pl.Series(first_strand, dtype=pl.Boolean),
        }
    ).select(
        "chromosome",
        "base_pair_location",
        "variant_id",
        "rsid",
        pl.when("_strand").then(_complement(pl.col("_lo"))).otherwise("_lo").alias("effect_allele"),
        pl.when("_strand").then(_complement(pl.col("_hi"))).otherwise("_hi").alias("other_allele"),
    )
    # a real strand flip: a row on the other strand than the variant's reporting strand (the
    # canonical strand of the allele encoding is not a flip); A/T and C/G SNPs are counted in
    # palindromic_flipped instead
    flipped = (cat["strand"] != first_strand[variant_in]) & ~cat["palin"]
    n_strand = np.bincount(cat["s"][flipped], minlength=n_st)
    counts = pl.DataFrame(
        [_study_counts(e.counts, n_strand[s], n_flip[s]) for s, e in enumerate(studies)]
    )
    return Harmonised(
        variants=variants,
        studies=names,
        values=dense,
        counts=counts,
        dropped=pl.concat([e.dropped for e in studies], how="vertical_relaxed"),
    )


def _study_counts(
    counts: dict[str, int | str], strand: int, palindromic: int
) -> dict[str, int | str]:
    """A study's counts with the ones known only once studies are aligned (on the chromosomes
    aligned): ``strand_flipped`` and ``palindromic_flipped``."""
    out: dict[str, int | str] = {}
    for k, v in counts.items():
        out[k] = v
        if k == "allele_swapped":
            out["strand_flipped"] = int(strand)
    out["palindromic_flipped"] = int(palindromic)
    return out


def _group_rows(cat: dict[str, np.ndarray], n_st: int) -> tuple[np.ndarray, np.ndarray]:
    """Sort rows by (chromosome, position, canonical alleles, study): the order, and a mask
    (in that order) of the rows that start a new variant."""
    from gwaskit.qc.sumstats import pack_keys

    key_order = ["c", "p", "lo", "hi"]
    n_rows = cat["s"].size
    variant_key = pack_keys([pl.Series(k, cat[k]) for k in key_order]) if n_rows else None
    s_bits = max((n_st - 1).bit_length(), 1)
    new = np.ones(n_rows, dtype=bool)
    if variant_key is not None and int(variant_key.max()) < 1 << (63 - s_bits):
        vk = variant_key.to_numpy()
        order = np.argsort((vk << s_bits) | cat["s"], kind="stable")
        ks = vk[order]
        new[1:] = ks[1:] != ks[:-1]
    else:
        order = np.lexsort([cat[k] for k in ["s", *reversed(key_order)]])
        if n_rows:
            new[1:] = np.zeros(n_rows - 1, dtype=bool)
            for k in key_order:
                new[1:] |= np.diff(cat[k][order]) != 0
    return order, new
