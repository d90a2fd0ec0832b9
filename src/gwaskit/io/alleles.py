"""Normalised allele representation (without a reference genome).

An indel or a padded SNP can be written several ways: ``AT``/``A`` at 100 and ``ATT``/``AT``
at 100 (a shared last base), or ``GAT``/``GA`` at 99 (a shared first base) are one deletion.
:func:`normalise_alleles` gives them one form, as ``vt normalize`` and ``bcftools norm`` do
short of left-alignment (which needs the reference sequence): the common last bases are trimmed
while both alleles keep at least one base, then the common first bases, each moving the
position one base to the right. SNPs and alleles already in that form are unchanged. Matching
studies on the normalised (chromosome, position, allele pair) matches one indel written two
ways, and never two different variants at one position.

Vectorised over rows: each pass trims one base from every allele pair that can lose one, so the
number of passes is the length of the longest allele, not the number of variants.
"""

from __future__ import annotations

import polars as pl


def normalise_alleles(
    position: pl.Series, a: pl.Series, b: pl.Series
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """The normalised ``(position, a, b)`` of allele pairs (see the module docstring).

    Alleles of different lengths or longer than one base are trimmed; nulls, equal alleles and
    single-base pairs pass through. The names and types of the inputs are kept (position as
    Int64 when it was an integer type).
    """
    df = pl.DataFrame(
        {
            "p": position.cast(pl.Int64, strict=False),
            "a": a.cast(pl.String),
            "b": b.cast(pl.String),
        }
    )
    la, lb = pl.col("a").str.len_bytes(), pl.col("b").str.len_bytes()
    long = (la > 1) | (lb > 1)
    mask = df.select(long.fill_null(False)).to_series()
    if not mask.any():
        return position, a, b
    rows = mask.arg_true()
    sub = df[rows].filter((pl.col("a") != pl.col("b")).fill_null(False))
    rows = rows.filter(df[rows].select((pl.col("a") != pl.col("b")).fill_null(False)).to_series())
    if rows.len() == 0:
        return position, a, b
    both = (la > 1) & (lb > 1)
    while True:  # common last bases
        can = both & (pl.col("a").str.slice(-1) == pl.col("b").str.slice(-1))
        hit = sub.select(can.fill_null(False)).to_series()
        if not hit.any():
            break
        sub = sub.with_columns(
            a=pl.when(hit).then(pl.col("a").str.slice(0, la - 1)).otherwise("a"),
            b=pl.when(hit).then(pl.col("b").str.slice(0, lb - 1)).otherwise("b"),
        )
    while True:  # common first bases
        can = both & (pl.col("a").str.slice(0, 1) == pl.col("b").str.slice(0, 1))
        hit = sub.select(can.fill_null(False)).to_series()
        if not hit.any():
            break
        sub = sub.with_columns(
            a=pl.when(hit).then(pl.col("a").str.slice(1)).otherwise("a"),
            b=pl.when(hit).then(pl.col("b").str.slice(1)).otherwise("b"),
            p=pl.when(hit).then(pl.col("p") + 1).otherwise("p"),
        )
    idx = rows.to_numpy()
    pos_out = df["p"].clone().scatter(idx, sub["p"])
    if position.dtype.is_integer():
        pos_out = pos_out.cast(position.dtype)
    return (
        pos_out.alias(position.name),
        df["a"].clone().scatter(idx, sub["a"]).alias(a.name),
        df["b"].clone().scatter(idx, sub["b"]).alias(b.name),
    )


#: Allele codings that name an insertion/deletion without its bases.
_INSERTION = ("I", "INS", "i", "ins", "Ins")
_DELETION = ("D", "DEL", "d", "del", "Del")


def is_id_coded(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Rows whose alleles are an I/D coding (``I``/``D`` or ``INS``/``DEL``, any order)."""
    ua, ub = a, b
    return (
        (ua.is_in(_INSERTION) & ub.is_in(_DELETION)) | (ua.is_in(_DELETION) & ub.is_in(_INSERTION))
    ).fill_null(False)


def indel_candidates(
    chromosome: pl.Series, position: pl.Series, a: pl.Series, b: pl.Series
) -> pl.DataFrame:
    """The distinct indels (alleles of different lengths, bases only) among rows, as
    ``chromosome``, ``base_pair_location``, ``_long``, ``_short`` (the longer and shorter
    allele, normalised), for :func:`resolve_id_codings`."""
    pos, a, b = normalise_alleles(position, a, b)
    df = pl.DataFrame(
        {
            "chromosome": chromosome.cast(pl.String),
            "base_pair_location": pos.cast(pl.Int64, strict=False),
            "a": a.cast(pl.String),
            "b": b.cast(pl.String),
        }
    )
    la, lb = pl.col("a").str.len_chars(), pl.col("b").str.len_chars()
    return (
        df.filter(
            (la != lb)
            & pl.col("a").str.contains(r"^[ACGT]+$")
            & pl.col("b").str.contains(r"^[ACGT]+$")
        )
        .select(
            "chromosome",
            "base_pair_location",
            pl.when(la > lb).then("a").otherwise("b").alias("_long"),
            pl.when(la > lb).then("b").otherwise("a").alias("_short"),
        )
        .unique()
    )


def resolve_id_codings(table: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    """Replace I/D allele codings by the bases of the one indel the ``candidates`` (see
    :func:`indel_candidates`: the other studies' or the reference's indels) hold at the row's
    chromosome and position: ``I`` is the longer allele, ``D`` the shorter.

    Adds a column ``indel_coding``: null for rows not I/D coded, else ``"resolved"``,
    ``"ambiguous"`` (several indels at the position: left coded) or ``"unresolved"`` (none).
    """
    coded = is_id_coded(pl.col("effect_allele"), pl.col("other_allele"))
    mask = table.select(coded).to_series()
    if not mask.any():
        return table.with_columns(pl.lit(None, pl.String).alias("indel_coding"))
    cand = candidates.with_columns(
        pl.col("chromosome").cast(pl.String), pl.col("base_pair_location").cast(pl.Int64)
    )
    per_site = cand.group_by("chromosome", "base_pair_location").agg(
        pl.col("_long").first(), pl.col("_short").first(), pl.len().alias("_k")
    )
    rows = (
        table.with_row_index("_r")
        .filter(mask)
        .select(
            "_r",
            pl.col("chromosome").cast(pl.String),
            pl.col("base_pair_location").cast(pl.Int64),
            pl.col("effect_allele").is_in(_INSERTION).alias("_ins"),
        )
    )
    hit = rows.join(per_site, on=["chromosome", "base_pair_location"], how="left")
    status = (
        pl.when(pl.col("_k").is_null())
        .then(pl.lit("unresolved"))
        .when(pl.col("_k") > 1)
        .then(pl.lit("ambiguous"))
        .otherwise(pl.lit("resolved"))
    )
    hit = hit.with_columns(status.alias("indel_coding"))
    ok = pl.col("indel_coding") == "resolved"
    upd = hit.select(
        "_r",
        pl.when(ok).then(pl.when("_ins").then("_long").otherwise("_short")).alias("effect_allele"),
        pl.when(ok).then(pl.when("_ins").then("_short").otherwise("_long")).alias("other_allele"),
        "indel_coding",
    )
    out = table.with_row_index("_r").with_columns(pl.lit(None, pl.String).alias("indel_coding"))
    out = out.update(upd.with_columns(pl.col("_r").cast(pl.UInt32)), on="_r")
    return out.drop("_r")
