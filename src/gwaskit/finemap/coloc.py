"""Colocalisation of two summary statistics over the loci of a Loci table.

The two tables are matched on chromosome, position and the unordered allele pair; trait 2's
``beta`` is negated where its effect allele is trait 1's other allele. Variants present in one
table only are counted and logged. coloc.abf per locus (:func:`~gwaskit.finemap.abf.coloc_abf`);
with an LD reference also SuSiE-coloc (``coloc.susie``: SuSiE-RSS on each trait, then
:func:`~gwaskit.finemap.abf.coloc_bf_bf` over every pair of credible sets).
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.finemap.abf import coloc_abf, coloc_bf_bf
from gwaskit.finemap.loci import match_region, prior_sd_for, region_rows, sample_size
from gwaskit.finemap.tables import susie_rss_region
from gwaskit.io.genotypes import GenotypeSource

log = logging.getLogger(__name__)

_PP = [f"pp_h{k}" for k in range(5)]


def match_traits(first: pl.DataFrame, second: pl.DataFrame) -> pl.DataFrame:
    """Variants of both tables: ``first``'s columns plus ``beta_2``, ``standard_error_2``,
    ``effect_allele_frequency_2`` and ``n_2`` in ``first``'s allele coding."""

    def keyed(t: pl.DataFrame) -> pl.DataFrame:
        ea, oa = (
            pl.col("effect_allele").str.to_uppercase(),
            pl.col("other_allele").str.to_uppercase(),
        )
        return t.with_columns(
            pl.min_horizontal(ea, oa).alias("_a1"), pl.max_horizontal(ea, oa).alias("_a2")
        )

    key = ["chromosome", "base_pair_location", "_a1", "_a2"]
    cols = [c for c in ("effect_allele_frequency", "n") if c in second.columns]
    right = (
        keyed(second)
        .select(
            *key,
            pl.col("effect_allele").str.to_uppercase().alias("_ea2"),
            pl.col("beta").alias("beta_2"),
            pl.col("standard_error").alias("standard_error_2"),
            *[pl.col(c).alias(f"{c}_2") for c in cols],
        )
        .unique(subset=key, keep="first")
    )
    joined = keyed(first).join(right, on=key, how="inner", maintain_order="left")
    same = joined["effect_allele"].str.to_uppercase() == joined["_ea2"]
    out = joined.with_columns(
        pl.when(same).then(pl.col("beta_2")).otherwise(-pl.col("beta_2")).alias("beta_2")
    )
    if "effect_allele_frequency_2" in out.columns:
        out = out.with_columns(
            pl.when(same)
            .then(pl.col("effect_allele_frequency_2"))
            .otherwise(1.0 - pl.col("effect_allele_frequency_2"))
            .alias("effect_allele_frequency_2")
        )
    return out.drop("_a1", "_a2", "_ea2")


def _second(part: pl.DataFrame) -> pl.DataFrame:
    """The trait-2 columns of a matched region under the standard names."""
    cols = {"beta_2": "beta", "standard_error_2": "standard_error"}
    for c in ("effect_allele_frequency", "n"):
        if f"{c}_2" in part.columns:
            cols[f"{c}_2"] = c
    keep = [c for c in ("chromosome", "base_pair_location", "variant_id") if c in part.columns]
    keep += ["effect_allele", "other_allele"]
    return part.select(*keep, *[pl.col(a).alias(b) for a, b in cols.items()])


def coloc_loci(
    first: pl.DataFrame,
    second: pl.DataFrame,
    loci: pl.DataFrame,
    *,
    p1: float = 1e-4,
    p2: float = 1e-4,
    p12: float = 1e-5,
    trait1: str = "quantitative",
    trait2: str = "quantitative",
    prior_sd1: float | None = None,
    prior_sd2: float | None = None,
    n1: float | None = None,
    n2: float | None = None,
    reference: GenotypeSource | None = None,
    p12_susie: float = 5e-6,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """coloc.abf (and SuSiE-coloc with ``reference``) on every locus.

    Returns
    -------
    (summary, variants, pairs)
        ``summary``: one row per locus (``n_variants``, ``pp_h0`` .. ``pp_h4``); ``variants``:
        per variant ``snp_pp_h4`` with both traits' effects; ``pairs``: SuSiE-coloc, one row
        per pair of credible sets (``hit1``, ``hit2``, ``pp_h0`` .. ``pp_h4``), empty without
        a reference.
    """
    both = match_traits(first, second)
    log.info(
        "coloc: %d variants in both tables (%d only in the first, %d only in the second)",
        both.height,
        first.height - both.height,
        second.height - both.height,
    )
    summaries, variants, pairs = [], [], []
    for locus_id, chrom, start, end in loci.select("locus_id", "chromosome", "start", "end").rows():
        part = region_rows(both, chrom, start, end).filter(
            pl.col("beta_2").is_finite() & (pl.col("standard_error_2") > 0)
        )
        if part.height == 0:
            raise ParameterError(
                f"coloc: locus {locus_id} has no variant present in both summary statistics."
            )
        other = _second(part)
        size1 = sample_size(part, n1, f"coloc, trait 1, locus {locus_id}")
        size2 = sample_size(other, n2, f"coloc, trait 2, locus {locus_id}")
        sd1 = prior_sd1 if prior_sd1 is not None else prior_sd_for(part, trait1, size1)
        sd2 = prior_sd2 if prior_sd2 is not None else prior_sd_for(other, trait2, size2)
        b1, s1 = part["beta"].to_numpy(), part["standard_error"].to_numpy()
        b2, s2 = part["beta_2"].to_numpy(), part["standard_error_2"].to_numpy()
        res = coloc_abf(
            b1, s1 * s1, b2, s2 * s2, prior_sd1=sd1, prior_sd2=sd2, p1=p1, p2=p2, p12=p12
        )
        summaries.append(
            {"locus_id": locus_id, "n_variants": part.height}
            | dict(zip(_PP, res.posterior.tolist(), strict=True))
        )
        keep = [c for c in ("chromosome", "base_pair_location", "variant_id") if c in part.columns]
        variants.append(
            part.select(
                pl.lit(locus_id).alias("locus_id"),
                *keep,
                "effect_allele",
                "other_allele",
                "beta",
                "standard_error",
                "beta_2",
                "standard_error_2",
            ).with_columns(pl.Series("snp_pp_h4", res.snp_pp_h4, pl.Float64))
        )
        if reference is not None:
            pairs.extend(
                _susie_pairs(locus_id, part, other, reference, size1, size2, p1, p2, p12_susie)
            )
    summary = pl.DataFrame(
        summaries,
        schema={"locus_id": pl.String, "n_variants": pl.Int64} | dict.fromkeys(_PP, pl.Float64),
    )
    var = pl.concat(variants) if variants else pl.DataFrame(schema={"locus_id": pl.String})
    pair_schema = {"locus_id": pl.String, "hit1": pl.String, "hit2": pl.String}
    pair_table = pl.DataFrame(pairs, schema=pair_schema | dict.fromkeys(_PP, pl.Float64))
    return summary, var, pair_table


def _susie_pairs(locus_id, part, other, reference, size1, size2, p1, p2, p12) -> list[dict]:
    part, panel = match_region(part, reference, locus_id)
    other = _second(part)
    r = panel.r(slice(None))
    fits = [
        susie_rss_region(t, r, n=size, z_check="error")
        for t, size in ((part, size1), (other, size2))
    ]
    sets = [f.sets for f in fits]
    if sets[0].height == 0 or sets[1].height == 0:
        log.info("coloc: locus %s: no credible set for %s trait", locus_id, "one")
        return []
    ids = part["variant_id"].cast(pl.String).to_numpy().astype(str)
    rows = []
    lbf = [f.fit.lbf_variable[list(f.effects)] for f in fits]
    for pair in coloc_bf_bf(lbf[0], lbf[1], p1=p1, p2=p2, p12=p12):
        hit1 = ids[int(np.argmax(lbf[0][pair.i]))]
        hit2 = ids[int(np.argmax(lbf[1][pair.j]))]
        rows.append(
            {"locus_id": locus_id, "hit1": hit1, "hit2": hit2}
            | dict(zip(_PP, pair.result.posterior.tolist(), strict=True))
        )
    return rows
