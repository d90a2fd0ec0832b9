"""Replication of discovery leads in independent summary statistics.

Each lead is looked up in every replication study by chromosome, position and alleles; a study
that reports the other allele as effect allele has its beta negated (aligned to the discovery
effect allele). Several replication studies are first combined by fixed-effect inverse-variance
meta-analysis. Per locus: direction concordance with the discovery, one-sided p in the discovery
direction, significance after Bonferroni correction for the number of loci looked up, and the
fixed-effect combination of discovery and replication. Across loci: a one-sided binomial sign
test of concordance (in log space). Every p-value is kept as -log10 p.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl
from scipy import special, stats

from gwaskit.errors import ParameterError
from gwaskit.loci.define import conform_loci
from gwaskit.stats import LN10, neg_log10_p_from_z


def align_to_leads(loci: pl.DataFrame, study: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Beta and SE of each lead in ``study``, per copy of the lead's effect allele (NaN when
    absent or when the alleles do not match)."""
    lead = loci.select(
        "chromosome",
        "base_pair_location",
        pl.col("effect_allele").str.to_uppercase().alias("_ea"),
        pl.col("other_allele").str.to_uppercase().alias("_oa"),
    ).with_row_index("_row")
    rep = study.select(
        pl.col("chromosome").cast(pl.String),
        pl.col("base_pair_location").cast(pl.Int64),
        pl.col("effect_allele").str.to_uppercase().alias("_rea"),
        pl.col("other_allele").str.to_uppercase().alias("_roa"),
        pl.col("beta").cast(pl.Float64).alias("_b"),
        pl.col("standard_error").cast(pl.Float64).alias("_s"),
    )
    joined = lead.join(rep, on=["chromosome", "base_pair_location"], how="left").with_columns(
        pl.when((pl.col("_rea") == pl.col("_ea")) & (pl.col("_roa") == pl.col("_oa")))
        .then(1.0)
        .when((pl.col("_rea") == pl.col("_oa")) & (pl.col("_roa") == pl.col("_ea")))
        .then(-1.0)
        .otherwise(None)
        .alias("_sign")
    )
    best = (
        joined.filter(pl.col("_sign").is_not_null() & pl.col("_b").is_finite() & (pl.col("_s") > 0))
        .group_by("_row")
        .agg(
            (pl.col("_b") * pl.col("_sign")).first().alias("beta"), pl.col("_s").first().alias("se")
        )
    )
    out = lead.select("_row").join(best, on="_row", how="left", maintain_order="left")
    return (
        out["beta"].fill_null(np.nan).to_numpy().astype(np.float64),
        out["se"].fill_null(np.nan).to_numpy().astype(np.float64),
    )


def _ivw(betas: np.ndarray, ses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-effect inverse-variance combination over axis 0, ignoring NaN entries."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(np.isfinite(betas) & np.isfinite(ses), 1.0 / ses**2, 0.0)
        total = w.sum(axis=0)
        beta = np.where(
            total > 0, np.nansum(np.where(w > 0, betas, 0.0) * w, axis=0) / total, np.nan
        )
        se = np.where(total > 0, 1.0 / np.sqrt(total), np.nan)
    return beta, se


def sign_test_neg_log10_p(concordant: int, total: int) -> float:
    """-log10 of the one-sided binomial p ``P(X >= concordant)``, ``X ~ Bin(total, 1/2)``,
    summed in log space (no underflow for thousands of loci)."""
    if total == 0:
        return float("nan")
    k = np.arange(concordant, total + 1)
    log_pmf = stats.binom.logpmf(k, total, 0.5)
    return float(-special.logsumexp(log_pmf) / LN10)


def replicate_loci(
    loci: pl.DataFrame,
    studies: pl.DataFrame | Mapping[str, pl.DataFrame],
    *,
    alpha: float = 0.05,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fill the replication columns of a Loci table.

    Parameters
    ----------
    loci
        Loci with the discovery lead's alleles, beta and standard_error.
    studies
        One replication SumStats table, or ``{name: table}``; several are combined by fixed
        effects (per-study ``rep_{name}_beta`` / ``rep_{name}_standard_error`` columns are
        added when there is more than one).
    alpha
        Family-wise level; a locus replicates when concordant with one-sided p below
        ``alpha / n`` (``n`` = loci found in the replication data).

    Returns
    -------
    (loci, summary)
        The Loci table with rep_beta, rep_standard_error, rep_neg_log_10_p_one_sided,
        rep_concordant, replicated, combined_beta, combined_neg_log_10_p (and the extra
        combined_standard_error); a one-row summary: n_loci, n_found, n_concordant,
        sign_test_neg_log_10_p, n_replicated, bonferroni_alpha.
    """
    if not 0.0 < alpha < 1.0:
        raise ParameterError(f"alpha must be in (0, 1), got {alpha!r}.")
    if isinstance(studies, pl.DataFrame):
        studies = {"replication": studies}
    if not studies:
        raise ParameterError("studies: give at least one replication study.")
    aligned = [align_to_leads(loci, table) for table in studies.values()]
    betas = np.array([a[0] for a in aligned])
    ses = np.array([a[1] for a in aligned])
    rep_b, rep_s = _ivw(betas, ses)
    disc_b = loci["beta"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    disc_s = loci["standard_error"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    found = np.isfinite(rep_b)
    with np.errstate(invalid="ignore"):
        concordant = np.where(found, np.sign(rep_b) == np.sign(disc_b), np.nan)
        z_dir = np.sign(disc_b) * rep_b / rep_s
        one_sided = -special.log_ndtr(-z_dir) / LN10
    n_found = int(found.sum())
    threshold = -np.log10(alpha / max(n_found, 1))
    replicated = np.where(found, (concordant == 1) & (one_sided > threshold), np.nan)
    comb_b, comb_s = _ivw(np.array([disc_b, rep_b]), np.array([disc_s, rep_s]))
    comb_b = np.where(found, comb_b, np.nan)
    comb_s = np.where(found, comb_s, np.nan)
    columns = [
        pl.Series("rep_beta", rep_b).fill_nan(None),
        pl.Series("rep_standard_error", rep_s).fill_nan(None),
        pl.Series("rep_neg_log_10_p_one_sided", one_sided).fill_nan(None),
        pl.Series("rep_concordant", concordant).fill_nan(None).cast(pl.Boolean),
        pl.Series("replicated", replicated).fill_nan(None).cast(pl.Boolean),
        pl.Series("combined_beta", comb_b).fill_nan(None),
        pl.Series("combined_standard_error", comb_s).fill_nan(None),
        pl.Series("combined_neg_log_10_p", neg_log10_p_from_z(comb_b / comb_s)).fill_nan(None),
    ]
    if len(studies) > 1:
        for (name, _), b, s in zip(studies.items(), betas, ses, strict=True):
            columns += [
                pl.Series(f"rep_{name}_beta", b).fill_nan(None),
                pl.Series(f"rep_{name}_standard_error", s).fill_nan(None),
            ]
    out = conform_loci(loci.with_columns(columns))
    n_conc = int(np.nansum(concordant == 1))
    summary = pl.DataFrame(
        {
            "n_loci": [loci.height],
            "n_found": [n_found],
            "n_concordant": [n_conc],
            "sign_test_neg_log_10_p": [sign_test_neg_log10_p(n_conc, n_found)],
            "n_replicated": [int(np.nansum(replicated == 1))],
            "bonferroni_alpha": [alpha / max(n_found, 1)],
        }
    )
    return out, summary
