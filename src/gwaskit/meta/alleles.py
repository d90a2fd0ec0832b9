"""Indels and multi-allelic sites across the studies of a meta-analysis.

Studies are matched on chromosome, position and the normalised allele pair
(:func:`gwaskit.io.alleles.normalise_alleles`): one indel written two ways is one variant; two
indels, or the two ALT alleles of a multi-allelic site, at one position stay two variants. A
study that codes indels as ``I``/``D`` (or ``INS``/``DEL``) has them resolved against the indels
the *other* studies (and the reference table, when given) report at the same chromosome and
position (:func:`gwaskit.io.alleles.resolve_id_codings`): ``I`` is the longer allele. A site
where the others report several indels is ``ambiguous``, one where they report none
``unresolved``; those rows are dropped by QC with that reason, and counted.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from gwaskit.io.alleles import indel_candidates, is_id_coded, normalise_alleles, resolve_id_codings


def normalise_study(table: pl.DataFrame) -> pl.DataFrame:
    """A SumStats table with its alleles (and positions) normalised."""
    if table.height == 0 or "base_pair_location" not in table.columns:
        return table
    pos, ea, oa = normalise_alleles(
        table["base_pair_location"], table["effect_allele"], table["other_allele"]
    )
    return table.with_columns(pos, ea, oa)


def _candidates(table: pl.DataFrame) -> pl.DataFrame:
    return indel_candidates(
        table["chromosome"],
        table["base_pair_location"],
        table["effect_allele"],
        table["other_allele"],
    )


def resolve_study_codings(
    studies: Mapping[str, pl.DataFrame], *, reference: pl.DataFrame | None = None
) -> dict[str, pl.DataFrame]:
    """Normalise every study's alleles and resolve its I/D codings against the indels of the
    other studies and of ``reference`` (columns ``chromosome``, ``base_pair_location``,
    ``ref_ea``, ``ref_oa``). Each returned table has an ``indel_coding`` column (see
    :func:`gwaskit.io.alleles.resolve_id_codings`) when any study had I/D rows."""
    tables = {name: normalise_study(t) for name, t in studies.items()}
    if not any(t.select(is_id_coded(pl.col("effect_allele"), pl.col("other_allele")).any()).item()
               for t in tables.values() if t.height):  # fmt: skip
        return tables
    own = {name: _candidates(t) for name, t in tables.items()}
    ref = (
        indel_candidates(
            reference["chromosome"],
            reference["base_pair_location"],
            reference["ref_ea"],
            reference["ref_oa"],
        )
        if reference is not None
        else None
    )
    out = {}
    for name, table in tables.items():
        parts = [c for other, c in own.items() if other != name]
        if ref is not None:
            parts.append(ref)
        candidates = pl.concat(parts).unique() if parts else own[name].clear()
        out[name] = resolve_id_codings(table, candidates)
    return out
