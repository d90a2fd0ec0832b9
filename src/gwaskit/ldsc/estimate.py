"""LD score regression on tables: h², genetic correlation and the matrix over studies.

These functions take summary statistics as tables (``SNP, Z, N`` and, for rg, ``A1, A2``; see
:func:`gwaskit.ldsc.munge.munge_sumstats` for gwaskit's own tables), join them to LD scores the way
``ldsc.py`` does (inner join in LD-score order, which sets the jackknife blocks), apply LDSC's
defaults and call the kernels of :mod:`gwaskit.ldsc.regression`.

Defaults as ``ldsc.py --h2/--rg``: with one LD-score annotation and a free intercept, the two-step
estimator with cut-off 30; with several annotations, no re-weighting ("old weights") and variants
with ``chi² > max(0.001 max N, 80)`` removed; ``M`` from ``.l2.M_5_50``; 200 jackknife blocks.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from gwaskit.errors import ParameterError
from gwaskit.ldsc.munge import COMPLEMENT, VALID_SNPS, munge_sumstats
from gwaskit.ldsc.regression import (
    LDSC_CHI2_MEDIAN,
    Correlation,
    Regression,
    h2_liability,
    h2_regression,
    rg_regression,
)
from gwaskit.ldsc.scores import LdScores

log = logging.getLogger(__name__)

#: Allele quadruples (A1 A2 of study 1, A1 A2 of study 2) LDSC accepts, and whether to flip.
FLIP_ALLELES = {
    x + y: (x[0] == y[1] and x[1] == y[0])
    or (x[0] == COMPLEMENT[y[1]] and x[1] == COMPLEMENT[y[0]])
    for x, y in itertools.product(VALID_SNPS, VALID_SNPS)
    if (x[0] == y[0] and x[1] == y[1])
    or (x[0] == COMPLEMENT[y[0]] and x[1] == COMPLEMENT[y[1]])
    or (x[0] == y[1] and x[1] == y[0])
    or (x[0] == COMPLEMENT[y[1]] and x[1] == COMPLEMENT[y[0]])
}

#: Fewer variants than this after the join make LDSC warn (its ``_warn_length``).
FEW_VARIANTS = 200_000


@dataclass(frozen=True)
class Heritability:
    """SNP heritability of one study by LD score regression.

    Attributes
    ----------
    fit
        The regression (total and per-annotation h², intercept, jackknife).
    mean_chisq, lambda_gc
        Of the variants in the regression (``lambda_gc = median chi² / 0.4549``, as LDSC).
    ratio, ratio_se
        ``(intercept - 1) / (mean chi² - 1)``: the share of the inflation not due to polygenic
        signal; NaN when ``mean chi² <= 1`` or the intercept was constrained.
    h2_liability, h2_liability_se
        On the liability scale when both prevalences were given, else NaN.
    n_snps, n_removed
        Variants in the regression; removed by ``chisq_max``.
    """

    fit: Regression
    mean_chisq: float
    lambda_gc: float
    ratio: float
    ratio_se: float
    h2_liability: float
    h2_liability_se: float
    n_snps: int
    n_removed: int

    @property
    def h2(self) -> float:
        return self.fit.total

    @property
    def h2_se(self) -> float:
        return self.fit.total_se

    @property
    def intercept(self) -> float:
        return self.fit.intercept

    @property
    def intercept_se(self) -> float:
        return self.fit.intercept_se

    def as_row(self) -> dict[str, float | int]:
        """One row of a results table (GWAS-SSF-style lower-case names)."""
        return {
            "h2": self.h2,
            "h2_se": self.h2_se,
            "h2_liability": self.h2_liability,
            "h2_liability_se": self.h2_liability_se,
            "intercept": self.intercept,
            "intercept_se": self.intercept_se,
            "ratio": self.ratio,
            "ratio_se": self.ratio_se,
            "mean_chisq": self.mean_chisq,
            "lambda_gc": self.lambda_gc,
            "n_snps": self.n_snps,
        }


def _check_sumstats(table: pl.DataFrame, name: str, alleles: bool) -> pl.DataFrame:
    if not isinstance(table, pl.DataFrame):
        try:
            table = pl.from_pandas(table)
        except Exception:
            raise ParameterError(f"{name} must be a polars or pandas table.") from None
    need = ["SNP", "Z", "N"] + (["A1", "A2"] if alleles else [])
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ParameterError(f"{name} lacks column(s) {', '.join(missing)} (munge it first).")
    out = table.select(need).unique(subset="SNP", keep="first", maintain_order=True)
    dropped = table.height - out.height
    if dropped:
        log.info("%s: dropped %d rows with a repeated SNP ID (first kept, as LDSC)", name, dropped)
    return out.with_columns(pl.col("Z").cast(pl.Float64), pl.col("N").cast(pl.Float64))


def _join_ld(
    sumstats: pl.DataFrame, ref_ld: LdScores, w_ld: pl.DataFrame, name: str
) -> pl.DataFrame:
    scores = ref_ld.table.select(["SNP", *ref_ld.score_columns])
    weight = w_ld.select("SNP", pl.col(w_ld.columns[-1]).alias("_w_ld"))
    joined = scores.join(sumstats, on="SNP", how="inner", maintain_order="left")
    if joined.height == 0:
        raise ParameterError(f"{name}: no variant has an LD score (0 of {sumstats.height}).")
    joined = joined.join(weight, on="SNP", how="inner", maintain_order="left")
    if joined.height == 0:
        raise ParameterError(f"{name}: no variant has a regression-weight LD score.")
    if joined.height < FEW_VARIANTS:
        log.warning(
            "%s: %d variants in the LD score regression (fewer than %d is almost always bad)",
            name,
            joined.height,
            FEW_VARIANTS,
        )
    return joined


def _usable_m(ref_ld: LdScores) -> tuple[list[str], np.ndarray]:
    """Drop annotations whose LD score has zero variance (LDSC ``_check_variance``)."""
    columns = ref_ld.score_columns
    if len(columns) == 1:
        return columns, ref_ld.m_5_50
    variance = ref_ld.table.select(pl.col(columns).var()).row(0)
    keep = [i for i, v in enumerate(variance) if v and v > 0]
    if not keep:
        raise ParameterError("all LD-score annotations have zero variance.")
    return [columns[i] for i in keep], ref_ld.m_5_50[keep]


def estimate_h2(
    sumstats: pl.DataFrame,
    ref_ld: LdScores,
    w_ld: pl.DataFrame,
    *,
    intercept: float | None = None,
    two_step: float | None = None,
    chisq_max: float | None = None,
    n_blocks: int = 200,
    sample_prevalence: float | None = None,
    population_prevalence: float | None = None,
    name: str = "summary statistics",
) -> Heritability:
    """SNP heritability, intercept and ratio of one study (``ldsc.py --h2``).

    Parameters
    ----------
    sumstats
        ``SNP, Z, N`` (further columns ignored); repeated SNP IDs keep the first row.
    ref_ld, w_ld
        Reference LD scores (one or more annotations) and regression-weight LD scores
        (``SNP`` and the score as the last column).
    intercept
        Constrain the intercept (``--intercept-h2``); ``None`` estimates it.
    two_step
        Two-step cut-off; ``None`` means LDSC's default (30 with one annotation and a free
        intercept, otherwise none).
    chisq_max
        Remove variants with larger chi²; ``None`` means LDSC's default (none with one
        annotation, ``max(0.001 max N, 80)`` with several).
    sample_prevalence, population_prevalence
        For a case/control study, to report h² on the liability scale.
    """
    if (sample_prevalence is None) != (population_prevalence is None):
        raise ParameterError("give both sample and population prevalence, or neither.")
    table = _join_ld(_check_sumstats(sumstats, name, alleles=False), ref_ld, w_ld, name)
    table = table.drop_nulls(["Z", "N"]).filter(pl.col("Z").is_not_nan())
    columns, m = _usable_m(ref_ld)
    partitioned = len(columns) > 1
    if two_step is None and not partitioned and intercept is None:
        two_step = 30.0
    if partitioned and two_step is not None:
        raise ParameterError("the two-step estimator needs a single LD-score annotation.")
    if chisq_max is None and partitioned:
        chisq_max = max(0.001 * float(table["N"].max()), 80.0)
    chisq = table["Z"].to_numpy() ** 2
    n_before = table.height
    if chisq_max is not None:
        keep = chisq < chisq_max
        table, chisq = table.filter(pl.Series(keep)), chisq[keep]
    fit = h2_regression(
        chisq,
        table.select(columns).to_numpy(),
        table["_w_ld"].to_numpy(),
        table["N"].to_numpy(),
        m,
        n_blocks=n_blocks,
        intercept=intercept,
        two_step=two_step,
        old_weights=partitioned,
    )
    return _heritability(
        fit, chisq, n_before - table.height, sample_prevalence, population_prevalence
    )


def _heritability(
    fit: Regression, chisq: np.ndarray, removed: int, p: float | None, k: float | None
) -> Heritability:
    mean_chisq = float(np.mean(chisq))
    ratio = ratio_se = float("nan")
    if not fit.intercept_constrained and mean_chisq > 1:
        ratio = (fit.intercept - 1) / (mean_chisq - 1)
        ratio_se = fit.intercept_se / (mean_chisq - 1)
    liab = liab_se = float("nan")
    if p is not None and k is not None:
        factor = h2_liability(1.0, p, k)
        liab, liab_se = fit.total * factor, fit.total_se * factor
    return Heritability(
        fit=fit,
        mean_chisq=mean_chisq,
        lambda_gc=float(np.median(chisq) / LDSC_CHI2_MEDIAN),
        ratio=ratio,
        ratio_se=ratio_se,
        h2_liability=liab,
        h2_liability_se=liab_se,
        n_snps=fit.n_snps,
        n_removed=removed,
    )


@dataclass(frozen=True)
class GeneticCorrelation:
    """Genetic correlation of two studies (``ldsc.py --rg``): ``rg``, its SE, the genetic
    covariance regression (its intercept is the sample-overlap term) and both h²."""

    correlation: Correlation
    h2_1: Heritability
    h2_2: Heritability
    n_snps: int

    @property
    def rg(self) -> float:
        return self.correlation.rg

    @property
    def rg_se(self) -> float:
        return self.correlation.rg_se

    @property
    def gencov(self) -> Regression:
        return self.correlation.gencov

    def as_row(self) -> dict[str, float | int]:
        g = self.gencov
        return {
            "rg": self.rg,
            "rg_se": self.rg_se,
            "gencov": g.total,
            "gencov_se": g.total_se,
            "gencov_intercept": g.intercept,
            "gencov_intercept_se": g.intercept_se,
            "h2_1": self.h2_1.h2,
            "h2_1_se": self.h2_1.h2_se,
            "h2_2": self.h2_2.h2,
            "h2_2_se": self.h2_2.h2_se,
            "h2_intercept_2": self.h2_2.intercept,
            "h2_intercept_2_se": self.h2_2.intercept_se,
            "n_snps": self.n_snps,
        }


def estimate_rg(
    sumstats1: pl.DataFrame,
    sumstats2: pl.DataFrame,
    ref_ld: LdScores,
    w_ld: pl.DataFrame,
    *,
    intercept_h2: tuple[float | None, float | None] = (None, None),
    intercept_gencov: float | None = None,
    two_step: float | None = None,
    chisq_max: float | None = None,
    n_blocks: int = 200,
    check_alleles: bool = True,
    names: tuple[str, str] = ("study 1", "study 2"),
) -> GeneticCorrelation:
    """Genetic correlation and cross-trait intercept of two studies (``ldsc.py --rg``).

    Both tables need ``SNP, A1, A2, Z, N``. Variants are kept when both studies have them with
    alleles LDSC accepts (SNPs, not strand-ambiguous, matching up to strand and order), and the
    second study's z is flipped where its alleles are swapped. ``two_step=None`` applies no
    two-step estimator: ``ldsc.py --rg`` means to default to 30 but its test of that default is
    never true (its ``--intercept-h2`` list is never ``None``), so it runs without; gwaskit
    keeps the numbers users know.
    """
    first = _join_ld(_check_sumstats(sumstats1, names[0], alleles=True), ref_ld, w_ld, names[0])
    first = first.drop_nulls(["Z", "N"])
    second = _check_sumstats(sumstats2, names[1], alleles=True).rename(
        {"A1": "A1x", "A2": "A2x", "Z": "Z2", "N": "N2"}
    )
    table = first.join(second, on="SNP", how="inner", maintain_order="left").drop_nulls()
    if table.height == 0:
        raise ParameterError(f"{names[0]} and {names[1]} share no variant with LD scores.")
    if check_alleles:
        alleles = table.select(pl.concat_str("A1", "A2", "A1x", "A2x").str.to_uppercase())
        alleles = alleles.to_series()
        valid = alleles.is_in(list(FLIP_ALLELES))
        table = table.filter(valid)
        flip = alleles.filter(valid).replace_strict(FLIP_ALLELES, return_dtype=pl.Boolean)
        table = table.with_columns(
            pl.when(flip).then(-pl.col("Z2")).otherwise(pl.col("Z2")).alias("Z2")
        )
        if table.height == 0:
            raise ParameterError(f"{names[0]} and {names[1]}: no variant with matching alleles.")
    if chisq_max is not None:
        table = table.filter(pl.col("Z") ** 2 * pl.col("Z2") ** 2 < chisq_max**2)
    columns, m = _usable_m(ref_ld)
    z1, z2 = table["Z"].to_numpy(), table["Z2"].to_numpy()
    corr = rg_regression(
        z1,
        z2,
        table.select(columns).to_numpy(),
        table["_w_ld"].to_numpy(),
        table["N"].to_numpy(),
        table["N2"].to_numpy(),
        m,
        n_blocks=n_blocks,
        intercept_h2=intercept_h2,
        intercept_gencov=intercept_gencov,
        two_step=two_step,
    )
    return GeneticCorrelation(
        corr,
        _heritability(corr.h2_1, z1**2, 0, None, None),
        _heritability(corr.h2_2, z2**2, 0, None, None),
        table.height,
    )


def intercept_correction(
    sumstats: pl.DataFrame, ref_ld: LdScores, w_ld: pl.DataFrame, *, name: str = "study"
) -> Heritability:
    """LD score regression of one study for genomic control by its intercept (``gwaskit meta
    --gc ldsc``): unlike lambda GC, the intercept does not mistake polygenic signal for
    confounding (Bulik-Sullivan et al. 2015, doi:10.1038/ng.3211). ``sumstats`` is a gwaskit
    SumStats table (munged here with munge's defaults); the caller divides chi² by
    ``max(intercept, 1)``."""
    return estimate_h2(munge_sumstats(sumstats).table, ref_ld, w_ld, name=name)


def rg_matrix(
    studies: dict[str, pl.DataFrame], ref_ld: LdScores, w_ld: pl.DataFrame, **options: object
) -> pl.DataFrame:
    """Genetic correlation and cross-trait intercept for every pair of studies, as a long table
    (``study1, study2`` and :meth:`GeneticCorrelation.as_row`): the sample-overlap check of a
    meta-analysis (cross-trait intercepts near 0 mean no shared samples)."""
    if len(studies) < 2:
        raise ParameterError("rg_matrix needs at least two studies.")
    rows = []
    for a, b in itertools.combinations(studies, 2):
        result = estimate_rg(studies[a], studies[b], ref_ld, w_ld, names=(a, b), **options)
        rows.append({"study1": a, "study2": b, **result.as_row()})
    return pl.DataFrame(rows)
