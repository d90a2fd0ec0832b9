"""Subtype analysis of tables: align the subtypes' summary statistics, estimate their
correlations, and run the per-locus model comparison (:mod:`gwaskit.subtypes.model`).

The verb ``gwaskit subtypes`` and the pipeline's ``subtypes`` stage call these functions; the
maths is in :mod:`gwaskit.subtypes.model` and :mod:`gwaskit.subtypes.correlation`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.meta.harmonise import harmonise
from gwaskit.subtypes.correlation import DEFAULT_NULL_P, null_correlation
from gwaskit.subtypes.model import (
    DEFAULT_MODEL_WEIGHTS,
    DEFAULT_PRIOR_SD,
    DEFAULT_THRESHOLD,
    call_subtypes,
    equal_effect_test,
    subtype_posteriors,
)

log = logging.getLogger(__name__)

#: The call of a locus whose lead variant one of the subtypes lacks.
MISSING_CALL = "missing"


@dataclass(frozen=True)
class AlignedSubtypes:
    """Several subtypes' summary statistics on one variant set and one effect allele.

    ``variants`` one row per variant (chromosome, base_pair_location, variant_id, rsid,
    effect_allele, other_allele); ``beta`` and ``se`` ``(n_variants, n_subtypes)`` in the order
    of ``names``, NaN where a subtype lacks the variant; ``counts`` the harmonisation counts per
    subtype (variants read, kept, swapped, dropped by reason).
    """

    names: tuple[str, ...]
    variants: pl.DataFrame
    beta: np.ndarray
    se: np.ndarray
    counts: pl.DataFrame


def align_subtypes(
    tables: Mapping[str, pl.DataFrame], *, palindromic: str = "forward"
) -> AlignedSubtypes:
    """Align the subtypes' SumStats tables (``{name: table}``, at least two) by chromosome,
    position and alleles (:func:`gwaskit.meta.harmonise.harmonise`).

    ``palindromic="forward"`` (default) takes A/T and C/G SNPs as given: subtypes analysed in
    one consortium share their strand. ``"frequency"`` or ``"drop"`` as in the meta-analysis.
    """
    if len(tables) < 2:
        raise ParameterError(f"subtypes: need at least two subtypes, got {len(tables)}.")
    aligned = harmonise(tables, palindromic=palindromic)
    return AlignedSubtypes(
        names=aligned.studies,
        variants=aligned.variants,
        beta=aligned.values["beta"],
        se=aligned.values["standard_error"],
        counts=aligned.counts,
    )


def in_loci(variants: pl.DataFrame, loci: pl.DataFrame | None) -> np.ndarray:
    """Booleans over ``variants``: inside a locus window (``chromosome``, ``start``..``end``);
    all False when ``loci`` is None or has no windows. A loop over loci, not variants."""
    inside = np.zeros(variants.height, dtype=bool)
    if loci is None or not {"chromosome", "start", "end"} <= set(loci.columns):
        return inside
    chrom = variants["chromosome"].to_numpy()
    pos = variants["base_pair_location"].to_numpy()
    for c, start, end in loci.select("chromosome", "start", "end").iter_rows():
        if start is not None and end is not None:
            inside |= (chrom == str(c)) & (pos >= start) & (pos <= end)
    return inside


def estimate_correlations(
    aligned: AlignedSubtypes,
    *,
    null_p: float = DEFAULT_NULL_P,
    exclude: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The correlation of every pair of subtypes from their null variants' z-scores
    (:func:`gwaskit.subtypes.correlation.null_correlation`), leaving out the variants inside
    the windows of ``exclude`` (loci: their variants tag real effects, often on both subtypes):
    one row per pair with ``subtype_a``, ``subtype_b``, ``r``, ``r_truncated``, ``n_variants``,
    ``null_p`` and ``n_in_loci`` (variants left out as inside a locus)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = aligned.beta / aligned.se
    inside = in_loci(aligned.variants, exclude)
    z[inside] = np.nan
    rows = []
    for i, j in itertools.combinations(range(len(aligned.names)), 2):
        est = null_correlation(z[:, i], z[:, j], null_p=null_p)
        rows.append(
            {
                "subtype_a": aligned.names[i],
                "subtype_b": aligned.names[j],
                "r": est.r,
                "r_truncated": est.r_truncated,
                "n_variants": est.n_variants,
                "null_p": null_p,
                "n_in_loci": int(inside.sum()),
            }
        )
    return pl.DataFrame(rows)


def _locate(variants: pl.DataFrame, loci: pl.DataFrame) -> np.ndarray:
    """Row of ``variants`` holding each locus's lead (chromosome, position; the lead's
    variant_id or rsid first where a position holds several variants), -1 where none."""
    index = variants.select("chromosome", "base_pair_location", "variant_id", "rsid")
    index = index.with_row_index("_row")
    lead = loci.select(
        pl.col("chromosome").cast(pl.String),
        pl.col("base_pair_location").cast(pl.Int64),
        (pl.col("variant_id") if "variant_id" in loci.columns else pl.lit(None, pl.String))
        .cast(pl.String)
        .alias("_lead_id"),
    ).with_row_index("_locus")
    joined = lead.join(index, on=["chromosome", "base_pair_location"], how="left")
    joined = joined.with_columns(
        _named=(pl.col("_lead_id") == pl.col("variant_id")) | (pl.col("_lead_id") == pl.col("rsid"))
    ).sort(["_locus", "_named", "_row"], descending=[False, True, False], nulls_last=True)
    first = joined.group_by("_locus", maintain_order=True).first().sort("_locus")
    return first["_row"].fill_null(-1).cast(pl.Int64).to_numpy()


def analyse_subtypes(
    aligned: AlignedSubtypes,
    loci: pl.DataFrame,
    *,
    r: float,
    subtypes: tuple[str, str] | None = None,
    prior_sd: float = DEFAULT_PRIOR_SD,
    model_weights: tuple[float, ...] = DEFAULT_MODEL_WEIGHTS,
    threshold: float = DEFAULT_THRESHOLD,
) -> pl.DataFrame:
    """Per locus: the two subtypes' effects, the equal-effect test and the model posteriors.

    Parameters
    ----------
    aligned
        The subtypes' summary statistics, aligned (:func:`align_subtypes`).
    loci
        One row per locus with ``chromosome`` and ``base_pair_location`` of its lead variant
        (and ``locus_id``, ``variant_id``, ``name`` where known), e.g. a Loci table.
    r
        Correlation of the two subtypes' estimates.
    subtypes
        The two subtypes compared, A and B (default: the first two of ``aligned.names``).
    prior_sd, model_weights, threshold
        As in :func:`gwaskit.subtypes.model.subtype_posteriors` and
        :func:`gwaskit.subtypes.model.call_subtypes`.

    Returns
    -------
    polars.DataFrame
        One row per locus, in the order of ``loci``: locus_id (and name), chromosome,
        base_pair_location, variant_id, rsid, effect_allele, other_allele (oriented so that
        the inverse-variance combined effect of A and B is not negative: the risk allele),
        subtype_a, subtype_b, beta_a, standard_error_a, beta_b, standard_error_b, r,
        posterior_null, posterior_fixed, posterior_independent, posterior_both,
        posterior_a_only, posterior_b_only, equal_effects_chi2, equal_effects_neg_log_10_p and
        call (``a_only``, ``b_only``, ``both``, ``null``, ``unresolved``, or ``missing`` where a
        subtype lacks the lead variant; such loci are counted in the log, never dropped).
    """
    names = subtypes or aligned.names[:2]
    unknown = [n for n in names if n not in aligned.names]
    if len(names) != 2 or names[0] == names[1] or unknown:
        raise ParameterError(
            f"subtypes: subtypes must be two distinct names of {list(aligned.names)}, got "
            f"{list(names)!r}."
        )
    missing = [c for c in ("chromosome", "base_pair_location") if c not in loci.columns]
    if missing:
        raise ParameterError(f"subtypes: loci lack column(s) {', '.join(missing)}.")
    if aligned.variants.height == 0 and loci.height:
        raise ParameterError("subtypes: the subtypes share no variant; nothing to analyse.")
    ia, ib = aligned.names.index(names[0]), aligned.names.index(names[1])
    row = _locate(aligned.variants, loci)
    found = row >= 0
    take = np.where(found, row, 0)
    beta_a = np.where(found, aligned.beta[take, ia], np.nan)
    se_a = np.where(found, aligned.se[take, ia], np.nan)
    beta_b = np.where(found, aligned.beta[take, ib], np.nan)
    se_b = np.where(found, aligned.se[take, ib], np.nan)
    # the risk allele of the two together (posteriors and test are unchanged by the flip)
    with np.errstate(divide="ignore", invalid="ignore"):
        flip = beta_a / se_a**2 + beta_b / se_b**2 < 0
    beta_a, beta_b = np.where(flip, -beta_a, beta_a), np.where(flip, -beta_b, beta_b)
    post = subtype_posteriors(
        beta_a, se_a, beta_b, se_b, r=r, prior_sd=prior_sd, model_weights=model_weights
    )
    test = equal_effect_test(beta_a, se_a, beta_b, se_b, r=r)
    calls = call_subtypes(post, threshold=threshold)
    complete = np.isfinite(post.null)
    calls = np.where(complete, calls, MISSING_CALL)
    n_missing = int((~complete).sum())
    if n_missing:
        log.warning(
            "%d of %d loci lack their lead variant (or its estimate) in %s or %s: call %r",
            n_missing, loci.height, names[0], names[1], MISSING_CALL,
        )  # fmt: skip
    lead = aligned.variants[take.tolist()].select(
        "variant_id", "rsid", "effect_allele", "other_allele"
    )
    flipped = pl.Series(flip)
    lead = lead.with_columns(
        effect_allele=pl.when(flipped).then("other_allele").otherwise("effect_allele"),
        other_allele=pl.when(flipped).then("effect_allele").otherwise("other_allele"),
    ).with_columns(pl.when(pl.Series(found)).then(pl.all()))
    ids = [c for c in ("locus_id", "name") if c in loci.columns]
    if "locus_id" not in ids:
        ids = [
            pl.format("{}:{}", "chromosome", "base_pair_location").alias("locus_id"),
            *ids,
        ]
    table = pl.concat(
        [
            loci.select(
                *ids,
                pl.col("chromosome").cast(pl.String),
                pl.col("base_pair_location").cast(pl.Int64),
            ),
            lead,
        ],
        how="horizontal",
    )
    table = table.with_columns(
        subtype_a=pl.lit(names[0]),
        subtype_b=pl.lit(names[1]),
        beta_a=beta_a,
        standard_error_a=se_a,
        beta_b=beta_b,
        standard_error_b=se_b,
        r=pl.lit(float(r)),
        posterior_null=post.null,
        posterior_fixed=post.fixed,
        posterior_independent=post.independent,
        posterior_both=post.both,
        posterior_a_only=post.a_only,
        posterior_b_only=post.b_only,
        equal_effects_chi2=test.chi2,
        equal_effects_neg_log_10_p=test.neg_log10_p,
        call=pl.Series(calls, dtype=pl.String),
    )
    return table.with_columns(pl.selectors.float().fill_nan(None))
