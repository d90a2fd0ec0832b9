"""Fine-mapping and colocalisation of every locus of a Loci table.

For each locus the summary statistics inside ``[start, end]`` are matched to the LD reference
panel (position and alleles; the panel's correlations are turned to the table's effect
alleles, so allele order never flips a sign silently); variants the panel lacks are counted
and logged; a locus with none in the panel is an error naming it.
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl

from gwaskit.choices import FINEMAP_METHODS
from gwaskit.errors import ParameterError
from gwaskit.finemap.abf import PRIOR_SD, estimate_sdy
from gwaskit.finemap.signals import conditional_abf_sets
from gwaskit.finemap.tables import ID_COLUMNS, SETS_SCHEMA, check_region, susie_rss_region
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.loci.cojo import CojoLocus, stepwise_select
from gwaskit.loci.ld import LdPanel, load_panel

log = logging.getLogger(__name__)

METHODS = FINEMAP_METHODS


def region_rows(sumstats: pl.DataFrame, chrom: str, start: int, end: int) -> pl.DataFrame:
    """Rows of one region with a finite beta and a positive standard error."""
    return sumstats.filter(
        (pl.col("chromosome") == chrom)
        & pl.col("base_pair_location").is_between(start, end)
        & pl.col("beta").is_finite()
        & pl.col("standard_error").is_finite()
        & (pl.col("standard_error") > 0)
    )


def sample_size(part: pl.DataFrame, n: float | None, what: str) -> float:
    """``n`` when given, else the median of the table's ``n`` column."""
    if n is not None:
        return float(n)
    if "n" in part.columns:
        sizes = part["n"].cast(pl.Float64).drop_nulls().drop_nans()
        if sizes.len():
            return float(sizes.median())
    raise ParameterError(f"{what}: the summary statistics have no sample size; pass n.")


def prior_sd_for(part: pl.DataFrame, trait: str, n: float) -> float:
    """coloc's prior effect SD: 0.2 for a binary trait; ``0.15 sdY`` for a quantitative one,
    sdY estimated from the standard errors, allele frequencies and n (coloc ``sdY.est``)."""
    if trait == "binary":
        return PRIOR_SD["binary"]
    if trait != "quantitative":
        raise ParameterError(f"trait must be 'quantitative' or 'binary', got {trait!r}.")
    if "effect_allele_frequency" not in part.columns:
        raise ParameterError(
            "ABF for a quantitative trait needs effect_allele_frequency to estimate sdY; "
            "give the prior SD instead."
        )
    f = part["effect_allele_frequency"].cast(pl.Float64).to_numpy()
    maf = np.minimum(f, 1.0 - f)
    se = part["standard_error"].cast(pl.Float64).to_numpy()
    return PRIOR_SD["quantitative"] * estimate_sdy(se * se, maf, n)


def match_region(
    part: pl.DataFrame, reference: GenotypeSource, locus_id: str
) -> tuple[pl.DataFrame, LdPanel]:
    """The rows of ``part`` the reference holds (polymorphic there) and their LD panel, whose
    correlations are in ``part``'s effect-allele coding. Drops are counted in the log; none
    found is an error naming the locus."""
    panel, found = load_panel(reference, part)
    if found.any():
        poly = panel.variance > 0
        if not poly.all():
            log.info("%d variants monomorphic in the LD reference, left out", int((~poly).sum()))
            index = np.flatnonzero(found)
            found[index[~poly]] = False
            panel = LdPanel(
                x=panel.x[:, poly],
                variance=panel.variance[poly],
                sign=panel.sign[poly],
                frequency=panel.frequency[poly],
            )
    if not found.any():
        raise ParameterError(
            f"locus {locus_id}: none of its {part.height} variants is in the LD reference "
            "(matched on chromosome, position and alleles); check the build and chromosome names."
        )
    if not found.all():
        log.info(
            "locus %s: %d of %d variants not in the LD reference, left out",
            locus_id,
            int((~found).sum()),
            found.size,
        )
    return part.filter(pl.Series(found)), panel


def finemap_loci(
    sumstats: pl.DataFrame,
    loci: pl.DataFrame,
    reference: GenotypeSource,
    *,
    method: str = "susie",
    n: float | None = None,
    max_effects: int = 10,
    coverage: float = 0.95,
    min_abs_corr: float = 0.5,
    estimate_residual_variance: bool = False,
    prior_weights: str | None = None,
    z_check: str = "error",
    trait: str = "quantitative",
    prior_sd: float | None = None,
    p: float = 5e-8,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Credible sets of every locus.

    Parameters
    ----------
    method
        ``"susie"`` (SuSiE-RSS, :func:`~gwaskit.finemap.tables.susie_rss_region`) or
        ``"abf"`` (single-signal Wakefield ABF per COJO signal, each conditioned on the
        others; 95 % and 99 % sets, or ``coverage`` and 0.99).
    prior_weights
        Column of ``sumstats`` holding per-variant prior weights (e.g. PolyFun's ``SNPVAR``).
    z_check
        LD and z-vs-LD checks of each locus before fitting (both methods):
        :func:`~gwaskit.finemap.tables.check_region`.
    trait, prior_sd
        ABF prior effect SD: given, or coloc's default for the trait type.
    p
        COJO significance threshold for the signals (ABF).

    Returns
    -------
    (variants, sets)
        Variant table (``locus_id`` first, GWAS-SSF identity columns, ``pip``, ...) and
        credible-set table (``locus_id``, ``credible_set``, ``n_variants``, ...).
    """
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}, got {method!r}.")
    if prior_weights is not None and prior_weights not in sumstats.columns:
        raise ParameterError(
            f"prior_weights: no column {prior_weights!r} in the summary statistics."
        )
    variants, sets = [], []
    for locus_id, chrom, start, end in loci.select("locus_id", "chromosome", "start", "end").rows():
        part = region_rows(sumstats, chrom, start, end)
        if part.height == 0:
            log.warning("locus %s: no variants with beta and standard error", locus_id)
            continue
        part, panel = match_region(part, reference, locus_id)
        size = sample_size(part, n, f"locus {locus_id}")
        if method == "susie":
            r = panel.r(slice(None))
            weights = part[prior_weights].cast(pl.Float64).to_numpy() if prior_weights else None
            res = susie_rss_region(
                part,
                r,
                n=size,
                max_effects=max_effects,
                estimate_residual_variance=estimate_residual_variance,
                prior_weights=weights,
                coverage=coverage,
                min_abs_corr=min_abs_corr,
                z_check=z_check,
            )
            v, s = res.variants, res.sets
        else:
            z = (part["beta"] / part["standard_error"]).cast(pl.Float64).to_numpy()
            ids = part["variant_id"].cast(pl.String).to_numpy().astype(str)
            check = check_region(ids, z, panel.r(slice(None)), n=size, z_check=z_check)
            v, s = _abf_locus(part, panel, size, coverage, trait, prior_sd, p)
            v = v.with_columns(
                pl.Series(
                    "ld_mismatch",
                    np.tile(check.flagged, v.height // ids.size)
                    if check is not None
                    else [None] * v.height,
                    pl.Boolean,
                )
            )
        variants.append(v.select(pl.lit(locus_id).alias("locus_id"), pl.all()))
        sets.append(s.select(pl.lit(locus_id).alias("locus_id"), pl.all()))
    if not variants:  # no locus (or none with variants): empty tables with their columns
        return _empty_tables(sumstats, method)
    return pl.concat(variants, how="diagonal_relaxed"), pl.concat(sets, how="diagonal_relaxed")


def _empty_tables(sumstats: pl.DataFrame, method: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    ids = {"locus_id": pl.String} | {
        c: sumstats.schema[c] for c in ID_COLUMNS if c in sumstats.columns
    }
    if method == "susie":
        extra = {
            "pip": pl.Float64,
            "posterior_mean": pl.Float64,
            "posterior_sd": pl.Float64,
            "credible_set": pl.Int64,
            "ld_mismatch": pl.Boolean,
        }
        return pl.DataFrame(schema=ids | extra), pl.DataFrame(
            schema={"locus_id": pl.String} | SETS_SCHEMA
        )
    extra = {
        "signal": pl.Int32,
        "signal_variant_id": pl.String,
        "log_bf": pl.Float64,
        "pip": pl.Float64,
        "in_credible_set": pl.Boolean,
        "ld_mismatch": pl.Boolean,
    }
    sets = {
        "locus_id": pl.String,
        "signal": pl.Int64,
        "signal_variant_id": pl.String,
        "requested_coverage": pl.Float64,
        "n_variants": pl.Int64,
        "coverage": pl.Float64,
        "lead_variant_id": pl.String,
        "lead_pip": pl.Float64,
        "variant_ids": pl.String,
    }
    return pl.DataFrame(schema=ids | extra), pl.DataFrame(schema=sets)


def _abf_locus(
    part: pl.DataFrame,
    panel: LdPanel,
    n: float,
    coverage: float,
    trait: str,
    prior_sd: float | None,
    p: float,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    locus = CojoLocus(
        beta=part["beta"].cast(pl.Float64).to_numpy(),
        standard_error=part["standard_error"].cast(pl.Float64).to_numpy(),
        n=np.full(part.height, n),
        variance=panel.variance,
        panel=panel,
    )
    signals = stepwise_select(locus, p=p).selected
    if signals.size == 0:  # below the threshold: fine-map the lead alone
        signals = np.array([int(np.argmax(np.abs(locus.beta / locus.standard_error)))])
    sd = prior_sd if prior_sd is not None else prior_sd_for(part, trait, n)
    coverages = tuple(sorted({coverage, 0.99}))
    posts = conditional_abf_sets(locus, signals, prior_sd=sd, coverages=coverages)
    ids = part["variant_id"].cast(pl.String).to_numpy().astype(str)
    keep = [c for c in ID_COLUMNS if c in part.columns]
    v_rows, s_rows = [], []
    for k, post in enumerate(posts, start=1):
        main = post.sets[coverage]
        member = np.zeros(ids.size, dtype=bool)
        member[main] = True
        v_rows.append(
            part.select(keep).with_columns(
                pl.lit(k).alias("signal"),
                pl.lit(ids[post.signal]).alias("signal_variant_id"),
                pl.Series("log_bf", post.lbf, pl.Float64),
                pl.Series("pip", post.posterior, pl.Float64),
                pl.Series("in_credible_set", member, pl.Boolean),
            )
        )
        for c in coverages:
            members = post.sets[c]
            s_rows.append(
                {
                    "signal": k,
                    "signal_variant_id": ids[post.signal],
                    "requested_coverage": c,
                    "n_variants": int(members.size),
                    "coverage": float(post.posterior[members].sum()),
                    "lead_variant_id": ids[members[0]],
                    "lead_pip": float(post.posterior[members[0]]),
                    "variant_ids": ",".join(ids[members]),
                }
            )
    return pl.concat(v_rows), pl.DataFrame(s_rows)
