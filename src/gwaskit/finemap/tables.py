"""Fine-mapping of one region from a SumStats table and an LD matrix, as tables.

Outputs follow GWAS-SSF naming: the variant table keeps the region's identity and effect
columns and adds ``pip``, ``posterior_mean``, ``posterior_sd`` (per copy of the effect allele,
the scale of ``beta`` when ``var_y`` is given, else the standardised scale of
``z / sqrt(n)``), and ``credible_set`` (1-based, null outside any set); the credible-set table
has one row per set. ``ld_mismatch`` marks the variants whose z-score looks allele-flipped
against the LD matrix (null when the check was off).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.finemap.credible import CredibleSet, susie_credible_sets
from gwaskit.finemap.ld_check import (
    MAX_PSD,
    ZLdCheck,
    check_ld_matrix,
    rows_to_check,
    z_ld_consistency,
)
from gwaskit.finemap.susie import SusieFit, rss_sufficient_stats, susie_suff_stat

log = logging.getLogger(__name__)

ID_COLUMNS = (
    "chromosome",
    "base_pair_location",
    "variant_id",
    "rsid",
    "effect_allele",
    "other_allele",
    "effect_allele_frequency",
    "beta",
    "standard_error",
    "neg_log_10_p_value",
)

SETS_SCHEMA = {
    "credible_set": pl.Int64,
    "n_variants": pl.Int64,
    "coverage": pl.Float64,
    "log10_bf": pl.Float64,
    "min_abs_corr": pl.Float64,
    "mean_abs_corr": pl.Float64,
    "median_abs_corr": pl.Float64,
    "lead_variant_id": pl.String,
    "lead_pip": pl.Float64,
    "variant_ids": pl.String,
}


@dataclass(frozen=True)
class FinemapResult:
    """Variant table, credible-set table, the fit and the z-vs-LD check of one region."""

    variants: pl.DataFrame
    sets: pl.DataFrame
    fit: SusieFit
    check: ZLdCheck | None
    effects: tuple[int, ...] = ()  # single effect of each credible set, in set order


def _variant_ids(region: pl.DataFrame) -> np.ndarray:
    if "variant_id" in region.columns:
        return region["variant_id"].cast(pl.String).to_numpy().astype(str)
    return np.array(
        [
            f"{c}:{p}"
            for c, p in zip(region["chromosome"], region["base_pair_location"], strict=True)
        ]
    )


def sets_table(sets: list[CredibleSet], pip: np.ndarray, ids: np.ndarray) -> pl.DataFrame:
    """One row per credible set (``credible_set`` numbers 1.. in the order given)."""
    rows = []
    for k, cs in enumerate(sets, start=1):
        lead = cs.variables[np.argmax(pip[cs.variables])]
        rows.append(
            (
                k,
                cs.size,
                cs.coverage,
                cs.log10_bf,
                cs.min_abs_corr,
                cs.mean_abs_corr,
                cs.median_abs_corr,
                str(ids[lead]),
                float(pip[lead]),
                ",".join(ids[cs.variables]),
            )
        )
    return pl.DataFrame(rows, schema=SETS_SCHEMA, orient="row")


def check_region(
    ids: np.ndarray, z: np.ndarray, r: np.ndarray, *, n: float, z_check: str = "error"
) -> ZLdCheck | None:
    """The LD matrix checks and the z-vs-LD check of one region (None when ``z_check`` is
    ``"off"``); likely allele flips raise a :class:`ParameterError` naming them (``"error"``)
    or are logged (``"warn"``) and marked in the outputs' ``ld_mismatch`` column."""
    if z_check not in ("error", "warn", "off"):
        raise ParameterError(f"z_check must be 'error', 'warn' or 'off', got {z_check!r}.")
    if z_check == "off":
        return None
    check_ld_matrix(r, ids, rows=rows_to_check(z, MAX_PSD))
    check = z_ld_consistency(z, r, n=n)
    if check.flagged.any():
        names = ", ".join(ids[check.flagged][:10])
        msg = (
            f"z-scores of {int(check.flagged.sum())} variants disagree with the LD matrix "
            "as allele flips would (flip log LR > 2, |z| > 2, |z - E[z | others]| beyond "
            f"Bonferroni): {names}. Check that the summary statistics and the LD panel "
            "count the same allele."
        )
        if z_check == "error":
            raise ParameterError(msg)
        log.warning(msg)
    return check


def susie_rss_region(
    region: pl.DataFrame,
    r: np.ndarray,
    *,
    n: float,
    max_effects: int = 10,
    var_y: float | None = None,
    estimate_residual_variance: bool = False,
    residual_variance: float | None = None,
    prior_weights: np.ndarray | None = None,
    coverage: float = 0.95,
    min_abs_corr: float = 0.5,
    z_check: str = "error",
) -> FinemapResult:
    """SuSiE-RSS on one region (susieR ``susie_rss`` defaults, L = ``max_effects``).

    Parameters
    ----------
    region
        SumStats rows (``beta``, ``standard_error``) whose effect alleles are those counted by
        the LD matrix, in its order.
    r
        ``(p, p)`` LD correlation matrix (reference panel or in-sample).
    n
        GWAS sample size.
    var_y
        Trait variance: effects on the original scale (``bhat``, ``shat``); else standardised.
    estimate_residual_variance
        Estimate ``sigma2`` (advisable only with in-sample LD; susieR's default is False).
    residual_variance
        Fixed (or starting) ``sigma2``; default ``var(y)`` (1 on the standardised scale).
    prior_weights
        Per-variant prior probabilities of being causal (e.g. PolyFun's per-SNP
        heritabilities), normalised here.
    z_check
        ``"error"``: raise when z-scores look allele-flipped against the LD (naming them);
        ``"warn"``: log them; ``"off"``: skip the checks. The LD matrix is checked first
        (symmetric, unit diagonal, positive semi-definite on the block of the 1,500 variants
        of largest ``|z|``), then the z-scores (:func:`~gwaskit.finemap.ld_check.z_ld_consistency`).
    """
    ids = _variant_ids(region)
    if region.height == 0:
        raise ParameterError("SuSiE-RSS: the region has no variants shared with the LD panel.")
    bhat = region["beta"].cast(pl.Float64).to_numpy()
    shat = region["standard_error"].cast(pl.Float64).to_numpy()
    bad = ~(np.isfinite(bhat) & np.isfinite(shat) & (shat > 0))
    if bad.any():
        raise ParameterError(
            f"SuSiE-RSS: {int(bad.sum())} variants lack a finite beta or a positive "
            f"standard_error: {', '.join(ids[bad][:5])}."
        )
    r = np.asarray(r, dtype=np.float64)
    check = check_region(ids, bhat / shat, r, n=n, z_check=z_check)
    xtx, xty, yty = rss_sufficient_stats(r, n, bhat=bhat, shat=shat, var_y=var_y)
    fit = susie_suff_stat(
        xtx,
        xty,
        yty,
        n,
        max_effects=max_effects,
        estimate_residual_variance=estimate_residual_variance,
        residual_variance=residual_variance,
        prior_weights=prior_weights,
    )
    if not fit.converged:
        log.warning("SuSiE did not converge in %d iterations", fit.n_iter)
    sets = susie_credible_sets(fit, r, coverage=coverage, min_abs_corr=min_abs_corr)
    pip = fit.pip()
    member = np.zeros(ids.size, dtype=np.int64)
    for k, cs in enumerate(sets, start=1):
        member[cs.variables] = np.where(member[cs.variables] == 0, k, member[cs.variables])
    keep = [c for c in ID_COLUMNS if c in region.columns]
    variants = region.select(keep).with_columns(
        pl.Series("pip", pip, pl.Float64),
        pl.Series("posterior_mean", fit.coef(), pl.Float64),
        pl.Series("posterior_sd", fit.posterior_sd(), pl.Float64),
        pl.Series("credible_set", member, pl.Int64).replace(0, None),
        pl.Series(
            "ld_mismatch", check.flagged if check is not None else [None] * ids.size, pl.Boolean
        ),
    )
    effects = tuple(cs.effect for cs in sets)
    return FinemapResult(variants, sets_table(sets, pip, ids), fit, check, effects)
