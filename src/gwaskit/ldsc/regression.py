"""LD score regression: the array kernels for h², genetic covariance and genetic correlation.

Model (Bulik-Sullivan et al. 2015, doi:10.1038/ng.3211): for a variant j with LD score
``l_j = sum_k r²_jk`` over the reference panel,

    E[chi²_j] = N_j h² l_j / M + N a + 1            (h²; intercept ``1 + N a``)
    E[z1_j z2_j] = sqrt(N1_j N2_j) rho_g l_j / M + rho N_s / sqrt(N1 N2)   (genetic covariance)

and ``rg = rho_g / sqrt(h²_1 h²_2)`` (Bulik-Sullivan et al. 2015, doi:10.1038/ng.3406). With
several LD-score annotations, ``l_j`` is a row of per-category scores and ``h²/M`` a vector of
per-category coefficients (partitioned h², Finucane et al. 2015, doi:10.1038/ng.3404).

The estimator is LDSC's, step for step, so that results equal the ``ldsc`` package's:
- regression weights ``1 / (l_j^w * 2 (intercept + N h² l_j / M)²)`` (h²; ``l^w`` the
  regression-weight LD score, both scores floored at 1, h² clipped to [0, 1]) or
  ``1 / (l^w * ((N1 h1 l/M + i1)(N2 h2 l/M + i2) + (sqrt(N1 N2) rho_g l/M + i_g)²))``;
- the initial weights from the aggregate estimate ``M (mean(y) - i0) / mean(N l)``, then two
  rounds of iteratively re-weighted least squares, and a block jackknife (200 blocks) with the
  final weights;
- the two-step estimator (default for one annotation with a free intercept, cut-off 30): the
  intercept from the variants with ``chi² < 30``, the slope from all variants with the intercept
  fixed, and jackknife delete values corrected for the step-1 intercept;
- with several annotations, the initial weights only ("old weights"), no re-weighting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from gwaskit.errors import ParameterError
from gwaskit.ldsc.jackknife import (
    JackknifeFit,
    block_separators,
    lstsq_jackknife,
    pseudovalue_cov,
    ratio_jackknife,
)

#: Median of the chi-square distribution on 1 df, as LDSC rounds it for lambda GC.
LDSC_CHI2_MEDIAN = 0.4549


@dataclass(frozen=True)
class Regression:
    """One LD score regression (h² or genetic covariance).

    Attributes
    ----------
    coef, coef_cov
        Per-annotation slopes ``h²_c / M_c`` (per-variant heritability) and their covariance.
    category, category_cov
        Per-annotation ``h²_c = M_c coef_c`` (or genetic covariance) and covariance.
    total, total_se
        Sum over annotations and its jackknife SE.
    proportion, proportion_se
        ``category / total`` with ratio-jackknife SEs.
    intercept, intercept_se
        Intercept; ``intercept_se`` is NaN when the intercept was constrained.
    intercept_constrained
        Whether the intercept was fixed at ``intercept``.
    total_delete_values, category_delete_values
        Jackknife delete values of ``total`` (``(n_blocks,)``) and ``category``.
    n_snps, n_blocks
        Variants in the regression and jackknife blocks.
    """

    coef: np.ndarray
    coef_cov: np.ndarray
    category: np.ndarray
    category_cov: np.ndarray
    total: float
    total_se: float
    proportion: np.ndarray
    proportion_se: np.ndarray
    intercept: float
    intercept_se: float
    intercept_constrained: bool
    total_delete_values: np.ndarray
    category_delete_values: np.ndarray
    n_snps: int
    n_blocks: int

    @property
    def category_se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.category_cov))


def enrichment(fit: Regression, m: np.ndarray) -> np.ndarray:
    """``(h²_c / M_c) / (h² / M)`` per annotation (LDSC's ``Enrichment``)."""
    m = np.asarray(m, dtype=np.float64)
    return (fit.category / m) / (fit.total / m.sum())


# ---------------------------------------------------------------------------------------------
# weights


def h2_weights(
    ld: np.ndarray, w_ld: np.ndarray, n: np.ndarray, m: float, h2: float, intercept: float
) -> np.ndarray:
    """Inverse-variance regression weights for h² (LDSC ``Hsq.weights``)."""
    h2 = min(max(float(h2), 0.0), 1.0)
    ld = np.fmax(ld, 1.0)
    w_ld = np.fmax(w_ld, 1.0)
    c = h2 * n / m
    return 1.0 / (2.0 * np.square(intercept + c * ld)) / w_ld


def gencov_weights(
    ld: np.ndarray,
    w_ld: np.ndarray,
    n1: np.ndarray,
    n2: np.ndarray,
    m: float,
    h1: float,
    h2: float,
    rho_g: float,
    intercept_gencov: float,
    intercept_h1: float,
    intercept_h2: float,
) -> np.ndarray:
    """Inverse-variance regression weights for genetic covariance (LDSC ``Gencov.weights``)."""
    h1, h2 = min(max(float(h1), 0.0), 1.0), min(max(float(h2), 0.0), 1.0)
    rho_g = min(max(float(rho_g), -1.0), 1.0)
    ld = np.fmax(ld, 1.0)
    w_ld = np.fmax(w_ld, 1.0)
    a = n1 * h1 * ld / m + intercept_h1
    b = n2 * h2 * ld / m + intercept_h2
    c = np.sqrt(n1 * n2) * rho_g * ld / m + intercept_gencov
    return 1.0 / (a * b + np.square(c)) / w_ld


# ---------------------------------------------------------------------------------------------
# the regression


def _wls(x: np.ndarray, y: np.ndarray, sqrt_w: np.ndarray) -> np.ndarray:
    w = sqrt_w / sqrt_w.sum()
    return np.linalg.lstsq(x * w[:, None], y * w, rcond=None)[0]


def _irwls(
    x: np.ndarray,
    y: np.ndarray,
    update: Callable[[np.ndarray], np.ndarray],
    w: np.ndarray,
    separators: np.ndarray,
) -> JackknifeFit:
    """Two rounds of re-weighting, then the jackknife with the final weights (LDSC ``IRWLS``)."""
    sqrt_w = np.sqrt(w)
    for _ in range(2):
        sqrt_w = np.sqrt(update(_wls(x, y, sqrt_w)))
    if np.any(sqrt_w <= 0) or not np.all(np.isfinite(sqrt_w)):
        raise ParameterError("LD score regression: the regression weights are not positive.")
    weight = sqrt_w / sqrt_w.sum()
    return lstsq_jackknife(x * weight[:, None], y * weight, separators)


def _map_separators(separators: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Block boundaries of a subset mapped back to the full rows (LDSC ``update_separators``)."""
    index = np.flatnonzero(kept)
    return np.concatenate([[0], index[separators[1:-1]], [kept.size]]).astype(np.int64)


@dataclass(frozen=True)
class _Kind:
    """What differs between h² and genetic covariance: the null intercept and the weights."""

    null_intercept: float
    weights: Callable[..., np.ndarray]  # (ld, w_ld, rows, m, slope_total, intercept)


def _regress(
    y: np.ndarray,
    ld: np.ndarray,
    w_ld: np.ndarray,
    n: np.ndarray,
    m: np.ndarray,
    kind: _Kind,
    *,
    n_blocks: int,
    intercept: float | None,
    step1: np.ndarray | None,
    old_weights: bool,
) -> Regression:
    n_snp, n_annot = ld.shape
    m = np.asarray(m, dtype=np.float64).reshape(n_annot)
    m_tot = float(m.sum())
    ld_tot = ld.sum(axis=1)
    null = kind.null_intercept if intercept is None else intercept
    aggregate = m_tot * (y.mean() - null) / np.mean(ld_tot * n)
    initial_w = kind.weights(ld_tot, w_ld, None, m_tot, aggregate, null)
    n_bar = n.mean()
    x = n[:, None] * ld / n_bar
    constrained = intercept is not None
    if constrained:
        yp = y - intercept
    else:
        x = np.column_stack([x, np.ones(n_snp)])
        yp = y
    separators = block_separators(n_snp, n_blocks)

    if step1 is not None:
        if constrained:
            raise ParameterError("the two-step estimator needs a free intercept.")
        if n_annot > 1:
            raise ParameterError("the two-step estimator needs a single LD-score annotation.")
        n1 = int(step1.sum())
        if n1 < n_blocks:
            raise ParameterError(
                f"two-step estimator: only {n1} variants below the cut-off, fewer than the "
                f"{n_blocks} jackknife blocks; raise the cut-off."
            )
        x1 = x[step1]
        # LDSC passes the scaled design (not the raw LD score) to step 1's weights
        fit1 = _irwls(
            x1,
            yp[step1],
            lambda c: kind.weights(x1[:, 0], w_ld[step1], step1, m_tot, m_tot * c[0] / n_bar, c[1]),
            initial_w[step1],
            block_separators(n1, n_blocks),
        )
        step1_intercept = float(fit1.est[n_annot])
        yp = yp - step1_intercept
        x = x[:, :n_annot]
        fit2 = _irwls(
            x,
            yp,
            lambda c: kind.weights(
                ld_tot, w_ld, None, m_tot, m_tot * c[0] / n_bar, step1_intercept
            ),
            initial_w,
            _map_separators(fit1.separators, step1),
        )
        c = np.sum(initial_w * x[:, 0]) / np.sum(initial_w * np.square(x[:, 0]))
        est = np.append(fit2.est, step1_intercept)
        delete = np.empty((fit2.delete_values.shape[0], n_annot + 1))
        delete[:, n_annot] = fit1.delete_values[:, n_annot]
        delete[:, :n_annot] = fit2.delete_values - c * (
            fit1.delete_values[:, n_annot] - step1_intercept
        ).reshape(-1, n_annot)
        jk = JackknifeFit(est, delete, pseudovalue_cov(est, delete), fit2.separators)
    elif old_weights:
        sqrt_w = np.sqrt(initial_w)
        weight = sqrt_w / sqrt_w.sum()
        jk = lstsq_jackknife(x * weight[:, None], yp * weight, separators)
    else:

        def update(c: np.ndarray) -> np.ndarray:
            slope = m_tot * c[0] / n_bar
            icpt = intercept if constrained else c[n_annot]
            return kind.weights(ld_tot, w_ld, None, m_tot, slope, icpt)

        jk = _irwls(x, yp, update, initial_w, separators)

    coef = jk.est[:n_annot] / n_bar
    coef_cov = jk.cov[:n_annot, :n_annot] / n_bar**2
    category = m * coef
    category_cov = np.outer(m, m) * coef_cov
    total = float(category.sum())
    part_delete = jk.delete_values[:, :n_annot] / n_bar
    numer = m[None, :] * part_delete
    denom = numer.sum(axis=1, keepdims=True) * np.ones((1, n_annot))
    prop = ratio_jackknife(category / total, numer, denom)
    if constrained:
        icpt, icpt_se = float(intercept), float("nan")
    else:
        icpt, icpt_se = float(jk.est[n_annot]), float(np.sqrt(jk.cov[n_annot, n_annot]))
    return Regression(
        coef=coef,
        coef_cov=coef_cov,
        category=category,
        category_cov=category_cov,
        total=total,
        total_se=float(np.sqrt(category_cov.sum())),
        proportion=prop.est,
        proportion_se=prop.se,
        intercept=icpt,
        intercept_se=icpt_se,
        intercept_constrained=constrained,
        total_delete_values=part_delete @ m,
        category_delete_values=m[None, :] * part_delete,
        n_snps=n_snp,
        n_blocks=int(jk.delete_values.shape[0]),
    )


def _as_column(values: np.ndarray, n: int, name: str) -> np.ndarray:
    out = np.asarray(values, dtype=np.float64).reshape(-1)
    if out.size == 1:
        out = np.full(n, float(out[0]))
    if out.size != n:
        raise ParameterError(f"{name} must have one value per variant ({n}), got {out.size}.")
    return out


def _check_finite(values: np.ndarray, name: str, *, positive: bool = False) -> None:
    bad = ~np.isfinite(values) | ((values <= 0) if positive else False)
    if bad.any():
        what = "positive and finite" if positive else "finite"
        raise ParameterError(
            f"{name} must be {what} for every variant; {int(bad.sum())} of {values.size} "
            f"are not (e.g. {values[bad][0]!r})."
        )


def _check_inputs(ld: np.ndarray, w_ld: np.ndarray, n_blocks: int) -> tuple[np.ndarray, int]:
    ld = np.asarray(ld, dtype=np.float64)
    if ld.ndim == 1:
        ld = ld[:, None]
    n_snp = ld.shape[0]
    if n_snp < 2:
        raise ParameterError(f"LD score regression needs at least 2 variants, got {n_snp}.")
    if np.asarray(w_ld).shape[0] != n_snp:
        raise ParameterError("w_ld must have one value per variant.")
    return ld, min(n_blocks, n_snp)


def h2_regression(
    chisq: np.ndarray,
    ld: np.ndarray,
    w_ld: np.ndarray,
    n: np.ndarray,
    m: np.ndarray,
    *,
    n_blocks: int = 200,
    intercept: float | None = None,
    two_step: float | None = None,
    old_weights: bool = False,
) -> Regression:
    """SNP heritability by LD score regression (LDSC ``Hsq``).

    Parameters
    ----------
    chisq
        ``z²`` per variant, shape ``(n_snps,)``, in genome order (the jackknife blocks are
        contiguous runs).
    ld
        Reference LD scores, shape ``(n_snps,)`` or ``(n_snps, n_annotations)``.
    w_ld
        Regression-weight LD scores, shape ``(n_snps,)``.
    n
        Sample size per variant (or one value).
    m
        Number of variants behind each annotation's LD score (LDSC's ``.l2.M_5_50``).
    intercept
        Fix the intercept at this value (e.g. 1); ``None`` estimates it.
    two_step
        Cut-off on chi² for the two-step estimator (LDSC's ``--two-step``), or ``None``.
    old_weights
        Initial weights only, without re-weighting (LDSC's choice with several annotations).
    """
    ld, n_blocks = _check_inputs(ld, w_ld, n_blocks)
    y = np.asarray(chisq, dtype=np.float64).reshape(-1)
    n = _as_column(n, y.size, "n")
    _check_finite(y, "chisq")
    _check_finite(n, "n", positive=True)
    w_ld = np.asarray(w_ld, dtype=np.float64).reshape(-1)

    def weights(ld_tot, w, rows, m_tot, slope, icpt):
        nn = n if rows is None else n[rows]
        return h2_weights(ld_tot, w, nn, m_tot, slope, icpt)

    step1 = (y < two_step) if two_step is not None else None
    return _regress(
        y,
        ld,
        w_ld,
        n,
        m,
        _Kind(1.0, weights),
        n_blocks=n_blocks,
        intercept=intercept,
        step1=step1,
        old_weights=old_weights,
    )


def gencov_regression(
    z1: np.ndarray,
    z2: np.ndarray,
    ld: np.ndarray,
    w_ld: np.ndarray,
    n1: np.ndarray,
    n2: np.ndarray,
    m: np.ndarray,
    *,
    h2_1: float,
    h2_2: float,
    intercept_h2_1: float,
    intercept_h2_2: float,
    n_blocks: int = 200,
    intercept: float | None = None,
    two_step: float | None = None,
) -> Regression:
    """Genetic covariance by cross-trait LD score regression (LDSC ``Gencov``); the h²s and
    their intercepts (from :func:`h2_regression`) set the weights."""
    ld, n_blocks = _check_inputs(ld, w_ld, n_blocks)
    z1 = np.asarray(z1, dtype=np.float64).reshape(-1)
    z2 = np.asarray(z2, dtype=np.float64).reshape(-1)
    n1 = _as_column(n1, z1.size, "n1")
    n2 = _as_column(n2, z1.size, "n2")
    for values, name in ((z1, "z1"), (z2, "z2")):
        _check_finite(values, name)
    for values, name in ((n1, "n1"), (n2, "n2")):
        _check_finite(values, name, positive=True)
    w_ld = np.asarray(w_ld, dtype=np.float64).reshape(-1)

    def weights(ld_tot, w, rows, m_tot, slope, icpt):
        a, b = (n1, n2) if rows is None else (n1[rows], n2[rows])
        return gencov_weights(
            ld_tot, w, a, b, m_tot, h2_1, h2_2, slope, icpt, intercept_h2_1, intercept_h2_2
        )

    step1 = None
    if two_step is not None:
        step1 = (z1**2 < two_step) & (z2**2 < two_step)
    return _regress(
        z1 * z2,
        ld,
        w_ld,
        np.sqrt(n1 * n2),
        m,
        _Kind(0.0, weights),
        n_blocks=n_blocks,
        intercept=intercept,
        step1=step1,
        old_weights=False,
    )


@dataclass(frozen=True)
class Correlation:
    """Genetic correlation of two traits (LDSC ``RG``).

    ``rg`` and ``rg_se`` are NaN when either h² is not positive (LDSC prints ``NA``).
    """

    h2_1: Regression
    h2_2: Regression
    gencov: Regression
    rg: float
    rg_se: float


def rg_regression(
    z1: np.ndarray,
    z2: np.ndarray,
    ld: np.ndarray,
    w_ld: np.ndarray,
    n1: np.ndarray,
    n2: np.ndarray,
    m: np.ndarray,
    *,
    n_blocks: int = 200,
    intercept_h2: tuple[float | None, float | None] = (None, None),
    intercept_gencov: float | None = None,
    two_step: float | None = None,
) -> Correlation:
    """h² of both traits, their genetic covariance and ``rg = rho_g / sqrt(h²_1 h²_2)`` with a
    ratio-jackknife SE (LDSC ``RG``); ``z2`` must already be aligned to ``z1``'s alleles."""
    z1 = np.asarray(z1, dtype=np.float64).reshape(-1)
    z2 = np.asarray(z2, dtype=np.float64).reshape(-1)
    fits = [
        h2_regression(z**2, ld, w_ld, n, m, n_blocks=n_blocks, intercept=icpt, two_step=two_step)
        for z, n, icpt in ((z1, n1, intercept_h2[0]), (z2, n2, intercept_h2[1]))
    ]
    gencov = gencov_regression(
        z1,
        z2,
        ld,
        w_ld,
        n1,
        n2,
        m,
        h2_1=fits[0].total,
        h2_2=fits[1].total,
        intercept_h2_1=fits[0].intercept,
        intercept_h2_2=fits[1].intercept,
        n_blocks=n_blocks,
        intercept=intercept_gencov,
        two_step=two_step,
    )
    rg = rg_se = float("nan")
    if fits[0].total > 0 and fits[1].total > 0:
        ratio = np.array([gencov.total / np.sqrt(fits[0].total * fits[1].total)])
        with np.errstate(invalid="ignore"):
            denom = np.sqrt(fits[0].total_delete_values * fits[1].total_delete_values)
        jk = ratio_jackknife(ratio, gencov.total_delete_values[:, None], denom[:, None])
        rg, rg_se = float(ratio[0]), float(jk.se[0])
    return Correlation(fits[0], fits[1], gencov, rg, rg_se)


def h2_liability(
    h2_observed: float, sample_prevalence: float, population_prevalence: float
) -> float:
    """Observed-scale h² of a case/control study on the liability scale.

    ``h²_liab = h²_obs K² (1 - K)² / (P (1 - P) phi(t)²)`` with ``K`` the population prevalence,
    ``P`` the sample prevalence and ``t = Phi^-1(1 - K)`` (Lee et al. 2011,
    doi:10.1016/j.ajhg.2011.02.002, eq. 23; LDSC ``h2_obs_to_liab``).
    """
    p, k = float(sample_prevalence), float(population_prevalence)
    if not 0 < k < 1:
        raise ParameterError(f"population prevalence must be in (0, 1), got {k!r}.")
    if not 0 < p < 1:
        raise ParameterError(f"sample prevalence must be in (0, 1), got {p!r}.")
    threshold = norm.isf(k)
    return h2_observed * k**2 * (1 - k) ** 2 / (p * (1 - p) * norm.pdf(threshold) ** 2)
