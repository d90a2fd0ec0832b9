"""Conditional and joint analysis of summary statistics (GCTA-COJO).

Yang J et al. (2012) Conditional and joint multiple-SNP analysis of GWAS summary statistics
identifies additional variants influencing complex traits. Nat Genet 44:369-375,
doi:10.1038/ng.2213.

With marginal effects ``b_j`` (per copy of the effect allele), their standard errors ``s_j``,
sample sizes ``N_j`` and genotype variances ``v_j``, the normal-equation pieces of the joint
regression are rebuilt from summary data and an LD reference (correlations ``r_jk``)::

    D_j    = N_j v_j                                  (x_j'x_j)
    B_jk   = min(N_j, N_k) sqrt(v_j v_k) r_jk         (x_j'x_k), B_jj = D_j
    X'y_j  = D_j b_j
    y'y    = median_j [ D_j s_j^2 (N_j - 2) + D_j b_j^2 ]

and the joint model of a set S is ``b_S = B_SS^{-1} (X'y)_S`` with residual variance
``(y'y - b_S' (X'y)_S) / (N - |S| - 1)`` and ``var(b_S) = sigma^2 diag(B_SS^{-1})``. When the
reference is the study sample itself and ``v_j`` its dosage variance, these are exactly the
ordinary least-squares quantities of ``y ~ 1 + X_S`` (``N - 2`` and ``N - |S| - 1`` are the OLS
residual degrees of freedom of a model with an intercept; GCTA writes ``N - 1`` and ``N - |S|``,
a difference of order 1/N).

Stepwise selection (GCTA ``--cojo-slct``): start from the most significant variant; repeatedly
add the variant with the smallest conditional p (given the selected set) if it is below the
threshold and not collinear with the set (R² of its regression on the set below
``collinear``); after each addition refit the joint model and drop selected variants whose joint
p rose above the threshold (a dropped variant is not offered again, which guarantees the
procedure ends). p-values are normal (``z = b/se``), kept as -log10 p in log space.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.engine import Engine, get_engine
from gwaskit.errors import ParameterError
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.loci.ld import LdPanel, load_panel
from gwaskit.stats import neg_log10_p_from_z

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JointFit:
    """A joint model of ``selected`` variants (indices into the locus arrays).

    ``beta``, ``standard_error``, ``neg_log_10_p_value`` follow ``selected``.
    """

    selected: np.ndarray
    beta: np.ndarray
    standard_error: np.ndarray
    neg_log_10_p_value: np.ndarray
    residual_variance: float


@dataclass(frozen=True)
class CojoLocus:
    """Summary data of the variants of one locus, with their LD reference panel."""

    beta: np.ndarray
    standard_error: np.ndarray
    n: np.ndarray
    variance: np.ndarray  # genotype variance v_j
    panel: LdPanel

    def __post_init__(self) -> None:
        d = self.n * self.variance
        yy = d * self.standard_error**2 * (self.n - 2.0) + d * self.beta**2
        ok = np.isfinite(yy) & (d > 0)
        object.__setattr__(self, "_d", d)
        object.__setattr__(self, "_xty", d * self.beta)
        object.__setattr__(self, "_yy", float(np.median(yy[ok])) if ok.any() else np.nan)
        object.__setattr__(self, "_n", float(np.median(self.n)))

    @property
    def m(self) -> int:
        return self.beta.size

    def cross(self, rows: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
        """``B[rows, cols]`` (cols: all when None), shape ``(len(rows), len(cols))``."""
        cols_ = np.arange(self.m) if cols is None else cols
        r = self.panel.r(rows, cols_)
        n = np.minimum(self.n[rows][:, None], self.n[cols_][None, :])
        b = n * np.sqrt(self.variance[rows][:, None] * self.variance[cols_][None, :]) * r
        # the diagonal is D exactly (r_jj may be 0 for a monomorphic reference column)
        same = rows[:, None] == cols_[None, :]
        return np.where(same, self._d[rows][:, None], b)

    def joint(self, selected: np.ndarray) -> JointFit:
        """Joint estimates of ``selected`` (``B_SS^{-1} X'y``), SE and -log10 p."""
        selected = np.asarray(selected, dtype=np.int64)
        bss = self.cross(selected, selected)
        inv = np.linalg.inv(bss)
        b = inv @ self._xty[selected]
        rss = self._yy - b @ self._xty[selected]
        sigma2 = rss / (self._n - selected.size - 1.0)
        se = np.sqrt(sigma2 * np.diag(inv))
        return JointFit(selected, b, se, neg_log10_p_from_z(b / se), float(sigma2))

    def conditional(
        self, selected: np.ndarray, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Effect of each variant in ``rows`` (default all) given ``selected``.

        Returns beta, standard error, -log10 p and the R² of each variant on the selected set
        (in the reference); entries of selected variants are NaN.
        """
        rows_ = np.arange(self.m) if rows is None else rows
        selected = np.asarray(selected, dtype=np.int64)
        if selected.size == 0:
            se = self.standard_error[rows_]
            beta = self.beta[rows_]
            return beta, se, neg_log10_p_from_z(beta / se), np.zeros(rows_.size)
        inv = np.linalg.inv(self.cross(selected, selected))
        bj = inv @ self._xty[selected]
        rss = self._yy - bj @ self._xty[selected]
        c = self.cross(selected, rows_)  # (k, m)
        mc = inv @ c
        num = self._xty[rows_] - c.T @ bj
        denom = self._d[rows_] - np.einsum("km,km->m", c, mc)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = 1.0 - denom / self._d[rows_]
            beta = num / denom
            rss_j = rss - num * num / denom
            se = np.sqrt(rss_j / (self._n - selected.size - 2.0) / denom)
            nlp = neg_log10_p_from_z(beta / se)
        chosen = np.isin(rows_, selected)
        for a in (beta, se, nlp, r2):
            a[chosen] = np.nan
        return beta, se, nlp, r2


def stepwise_select(
    locus: CojoLocus, *, p: float = 5e-8, collinear: float = 0.9, max_signals: int = 50
) -> JointFit:
    """GCTA-COJO forward-backward selection (see the module docstring).

    Returns the final joint fit; ``selected`` is empty when nothing reaches ``p``.
    """
    if not 0.0 < p < 1.0:
        raise ParameterError(f"p must be in (0, 1), got {p!r}.")
    if not 0.0 < collinear < 1.0:
        raise ParameterError(f"collinear must be in (0, 1), got {collinear!r}.")
    t = -np.log10(p)
    marginal = neg_log10_p_from_z(locus.beta / locus.standard_error)
    marginal = np.where(np.isfinite(marginal), marginal, -np.inf)
    if locus.m == 0 or marginal.max() < t:
        return JointFit(np.zeros(0, np.int64), *(np.zeros(0),) * 3, float("nan"))
    selected = [int(np.argmax(marginal))]
    banned = np.zeros(locus.m, dtype=bool)
    while len(selected) < max_signals:
        _, _, nlp, r2 = locus.conditional(np.array(selected))
        nlp = np.where(np.isfinite(nlp) & (r2 < collinear) & ~banned, nlp, -np.inf)
        best = int(np.argmax(nlp))
        if nlp[best] < t:
            break
        selected.append(best)
        fit = locus.joint(np.array(selected))
        while fit.selected.size > 1 and fit.neg_log_10_p_value.min() < t:
            worst = int(np.argmin(fit.neg_log_10_p_value))
            banned[selected[worst]] = True
            del selected[worst]
            fit = locus.joint(np.array(selected))
    return locus.joint(np.array(selected))


def _genotype_variance(table: pl.DataFrame, panel: LdPanel, genotype_variance: str) -> np.ndarray:
    if genotype_variance == "reference":
        return panel.variance
    if genotype_variance == "hwe":
        f = table["effect_allele_frequency"].cast(pl.Float64).to_numpy()
        return np.where(np.isfinite(f), 2.0 * f * (1.0 - f), panel.variance)
    raise ParameterError(
        f"genotype_variance must be 'hwe' or 'reference', got {genotype_variance!r}."
    )


def cojo_table(
    table: pl.DataFrame,
    reference: GenotypeSource,
    *,
    p: float = 5e-8,
    collinear: float = 0.9,
    genotype_variance: str = "hwe",
    n: float | None = None,
    diff_freq: float | None = 0.2,
) -> pl.DataFrame:
    """Stepwise selection on the variants of one locus; one row per independent signal.

    Parameters
    ----------
    table
        SumStats rows of one region (beta per copy of effect_allele, standard_error,
        effect_allele_frequency, n).
    reference
        LD reference panel; variants it lacks are left out (logged).
    genotype_variance
        ``"hwe"`` (GCTA: ``2 f (1 - f)`` from ``effect_allele_frequency``) or ``"reference"``
        (the dosage variance in the panel; exact when the panel is the study sample).
    n
        Sample size where the table's ``n`` is missing.
    diff_freq
        Drop variants whose effect-allele frequency differs from the reference's by more
        than this (GCTA ``--diff-freq``, default 0.2: usually a strand or allele error);
        None keeps all.

    Returns
    -------
    polars.DataFrame
        The selected variants' identity and marginal columns plus ``joint_beta``,
        ``joint_standard_error``, ``joint_neg_log_10_p_value``.
    """
    panel, found = load_panel(reference, table)
    if not found.all():
        log.info("COJO: %d of %d variants not in the LD reference", int((~found).sum()), found.size)
    sub = table.filter(pl.Series(found))
    if diff_freq is not None and "effect_allele_frequency" in sub.columns:
        f = sub["effect_allele_frequency"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        agree = ~(np.abs(f - panel.frequency) > diff_freq)  # NaN frequencies are kept
        if not agree.all():
            log.info(
                "COJO: %d variants dropped, allele frequency differs from the reference by > %g",
                int((~agree).sum()),
                diff_freq,
            )
            keep = np.flatnonzero(agree)
            panel = LdPanel(
                x=panel.x[:, keep],
                variance=panel.variance[keep],
                sign=panel.sign[keep],
                frequency=panel.frequency[keep],
            )
            sub = sub.filter(pl.Series(agree))
    sizes = (
        sub["n"].cast(pl.Float64).to_numpy() if "n" in sub.columns else np.full(sub.height, np.nan)
    )
    if n is not None:
        sizes = np.where(np.isfinite(sizes), sizes, n)
    if sub.height and not np.isfinite(sizes).all():
        raise ParameterError("n: COJO needs the sample size of every variant; pass n=.")
    locus = CojoLocus(
        beta=sub["beta"].cast(pl.Float64).to_numpy(),
        standard_error=sub["standard_error"].cast(pl.Float64).to_numpy(),
        n=sizes,
        variance=_genotype_variance(sub, panel, genotype_variance),
        panel=panel,
    )
    fit = stepwise_select(locus, p=p, collinear=collinear)
    keep = [
        c
        for c in (
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
        if c in sub.columns
    ]
    return (
        sub[fit.selected]
        .select(keep)
        .with_columns(
            pl.Series("joint_beta", fit.beta, pl.Float64),
            pl.Series("joint_standard_error", fit.standard_error, pl.Float64),
            pl.Series("joint_neg_log_10_p_value", fit.neg_log_10_p_value, pl.Float64),
        )
        .sort("base_pair_location")
    )


def cojo_loci(
    sumstats: pl.DataFrame,
    loci: pl.DataFrame,
    reference: GenotypeSource,
    *,
    p: float = 5e-8,
    collinear: float = 0.9,
    genotype_variance: str = "hwe",
    engine: str | Engine | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Independent signals of every locus of a Loci table.

    Returns the Loci table with ``n_signals`` set (at least 1: a locus whose lead is not in the
    reference keeps 1) and the signals table (``locus_id`` first, then :func:`cojo_table`
    columns).
    """
    regions = loci.select("locus_id", "chromosome", "start", "end").rows()

    def one(region: tuple[str, str, int, int]) -> pl.DataFrame:
        locus_id, chrom, start, end = region
        part = sumstats.filter(
            (pl.col("chromosome") == chrom)
            & pl.col("base_pair_location").is_between(start, end)
            & pl.col("beta").is_finite()
            & pl.col("standard_error").is_finite()
            & (pl.col("standard_error") > 0)
        )
        out = cojo_table(
            part, reference, p=p, collinear=collinear, genotype_variance=genotype_variance
        )
        return out.select(pl.lit(locus_id).alias("locus_id"), pl.all())

    engine_ = get_engine(engine, threads=1) if engine is None else get_engine(engine)
    parts = engine_.map(one, regions, description="conditional analysis")
    signals = (
        pl.concat(parts, how="diagonal_relaxed")
        if parts
        else pl.DataFrame(schema={"locus_id": pl.String})
    )
    counts = signals.group_by("locus_id").agg(pl.len().cast(pl.Int64).alias("_k"))
    loci = (
        loci.join(counts, on="locus_id", how="left", maintain_order="left")
        .with_columns(pl.max_horizontal(pl.col("_k").fill_null(0), pl.lit(1)).alias("n_signals"))
        .drop("_k")
    )
    return loci, signals
