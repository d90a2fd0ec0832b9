"""Known or new: compare loci with a user's table of previously reported associations.

A locus is *known* when a known variant lies within ``window_kb`` of its lead, or is in LD with
the lead (r² above ``r2`` on a reference panel, within ``ld_window_kb``). Known variants are
given by position (chromosome, base_pair_location, on a declared build) and/or by rsID; rsIDs
without positions are placed through the summary statistics and the reference panel. Positions
on a different build than the loci are refused, never compared.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from gwaskit.build.check import normalise_build, resolve_build
from gwaskit.errors import BuildMismatchError, ParameterError
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.loci.define import conform_loci
from gwaskit.loci.ld import match_to_reference, standardised_dosages


def _known_positions(
    known: pl.DataFrame,
    *,
    build: str | None,
    known_build: str | None,
    sumstats: pl.DataFrame | None,
    reference: GenotypeSource | None,
) -> pl.DataFrame:
    """Known entries as (label, chromosome, base_pair_location), positions on ``build``."""
    has_pos = {"chromosome", "base_pair_location"} <= set(known.columns)
    rs_col = next((c for c in ("rsid", "variant_id", "snp", "SNP") if c in known.columns), None)
    if not has_pos and rs_col is None:
        raise ParameterError(
            "known must have columns chromosome and base_pair_location, or rsid (or variant_id)."
        )
    build = normalise_build(build)
    declared = {normalise_build(known_build)} if known_build else set()
    for col in ("build", "genome_assembly"):
        if col in known.columns:
            declared |= {normalise_build(b) for b in known[col].drop_nulls().unique().to_list()}
    if has_pos:
        if len(declared) > 1:
            raise BuildMismatchError(f"known loci: positions on several builds {sorted(declared)}.")
        if not declared:
            raise ParameterError(
                "known_build: the known loci have positions, so their genome build must be "
                "declared (known_build='GRCh37' or 'GRCh38', or a build column).",
                parameter="known_build",
            )
        if build is None:
            raise ParameterError("build: the build of the loci must be given to compare positions.")
        resolve_build(
            build,
            declared.pop(),
            "known loci",
            message="{source} are on {found} but the loci are on {declared}; lift the known "
            "loci over (`gwaskit liftover`, or give them by rsID) before comparing.",
        )
    label = (
        pl.col(rs_col).cast(pl.String)
        if rs_col
        else pl.format("{}:{}", "chromosome", "base_pair_location")
    )
    if has_pos:
        placed = known.select(
            label.alias("label"),
            normalise_chromosomes(known["chromosome"]).alias("chromosome"),
            pl.col("base_pair_location").cast(pl.Int64),
        )
    else:
        placed = known.select(
            label.alias("label"),
            pl.lit(None, pl.String).alias("chromosome"),
            pl.lit(None, pl.Int64).alias("base_pair_location"),
        )
    missing = placed.filter(pl.col("base_pair_location").is_null())
    if missing.height:
        lookups = []
        if sumstats is not None:
            for col in ("rsid", "variant_id"):
                if col in sumstats.columns:
                    lookups.append(
                        sumstats.select(
                            pl.col(col).alias("label"), "chromosome", "base_pair_location"
                        )
                    )
        if reference is not None:
            lookups.append(
                reference.variants.select(
                    pl.col("variant_id").alias("label"), "chromosome", "base_pair_location"
                )
            )
        if lookups:
            where = pl.concat(lookups).drop_nulls().unique(subset="label", keep="first")
            found = missing.select("label").join(where, on="label", how="inner")
            placed = pl.concat([placed.filter(pl.col("base_pair_location").is_not_null()), found])
    return placed


def annotate_novelty(
    loci: pl.DataFrame,
    known: pl.DataFrame,
    *,
    build: str | None = None,
    known_build: str | None = None,
    window_kb: float = 500,
    r2: float = 0.1,
    ld_window_kb: float = 1000,
    reference: GenotypeSource | None = None,
    sumstats: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Fill ``known`` and ``known_variant`` of a Loci table.

    Parameters
    ----------
    known
        Known associations: ``chromosome``, ``base_pair_location`` (on ``known_build``, or a
        ``build`` column) and/or ``rsid``.
    build
        Genome build of the loci; positions of another build raise
        :class:`~gwaskit.errors.BuildMismatchError`.
    window_kb
        A known variant this close to the lead makes the locus known.
    r2, ld_window_kb, reference
        With a reference panel, a known variant within ``ld_window_kb`` with r² > ``r2`` with
        the lead also makes it known.
    sumstats
        Used to place rsID-only known entries (with the reference's variant IDs).

    The ``known_variant`` is the nearest known entry in the window, else the one in strongest
    LD; an extra column ``known_by`` says ``"rsid"``, ``"window"`` or ``"ld"``.
    """
    placed = _known_positions(
        known, build=build, known_build=known_build, sumstats=sumstats, reference=reference
    )
    w = round(window_kb * 1000)
    wl = round(ld_window_kb * 1000)
    rs_col = next((c for c in ("rsid", "variant_id", "snp", "SNP") if c in known.columns), None)
    label_set = set(known[rs_col].cast(pl.String).drop_nulls().to_list()) if rs_col else set()
    results = []
    for row in loci.iter_rows(named=True):
        lead_ids = {row.get("rsid"), row.get("variant_id")} - {None}
        hit = lead_ids & label_set
        if hit:
            results.append((True, sorted(hit)[0], "rsid"))
            continue
        on = placed.filter(pl.col("chromosome") == row["chromosome"])
        dist = np.abs(on["base_pair_location"].to_numpy() - row["base_pair_location"])
        if on.height and dist.min() <= w:
            results.append((True, on["label"][int(np.argmin(dist))], "window"))
            continue
        near = on.filter(pl.Series(dist <= wl))
        if reference is not None and near.height and {"effect_allele", "other_allele"} <= set(row):
            lead = pl.DataFrame(
                {
                    k: [row[k]]
                    for k in ("chromosome", "base_pair_location", "effect_allele", "other_allele")
                }
            )
            li, _ = match_to_reference(lead, reference.variants)
            if li[0] >= 0:
                v = reference.variants
                cand = v.with_row_index("_i").join(
                    near.select("chromosome", "base_pair_location", "label"),
                    on=["chromosome", "base_pair_location"],
                )
                if cand.height:
                    x, _ = standardised_dosages(
                        reference, np.concatenate([[li[0]], cand["_i"].to_numpy()])
                    )
                    r = x[:, 1:].T @ x[:, 0] / max(x.shape[0], 1)
                    best = int(np.argmax(r * r))
                    if r[best] ** 2 > r2:
                        results.append((True, cand["label"][best], "ld"))
                        continue
        results.append((False, None, None))
    out = loci.with_columns(
        pl.Series("known", [r[0] for r in results], pl.Boolean),
        pl.Series("known_variant", [r[1] for r in results], pl.String),
        pl.Series("known_by", [r[2] for r in results], pl.String),
    )
    return conform_loci(out)
