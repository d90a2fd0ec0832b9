"""The correlation of two subtypes' estimates: from null z-scores, or from shared controls.

Two case subsets analysed against the same controls (migraine with aura vs controls, migraine
without aura vs controls) give correlated estimates at every variant, through the shared
controls' sampling noise. The subtype model (:mod:`gwaskit.subtypes.model`) needs that
correlation ``r``.

From null z-scores
------------------
At a variant with no effect on either subtype, ``(z_a, z_b)`` is standard bivariate normal with
correlation ``r``. Variants with an effect are left out by keeping only those with
``|z_a| < c`` and ``|z_b| < c`` (``c`` the two-sided normal quantile of ``null_p``, 2.576 for
p > 0.01), and, given loci, outside them. That truncation shrinks the plain correlation of the
kept z-scores towards 0, so ``r`` is instead solved from the truncated correlation::

    sum z_a z_b / sqrt(sum z_a^2 sum z_b^2) over the kept = g(r)
        = E[Z_a Z_b | |Z_a|<c, |Z_b|<c] / E[Z_a^2 | |Z_a|<c, |Z_b|<c]

with ``g`` increasing in ``r`` (by symmetry ``E[Z_a^2 | .] = E[Z_b^2 | .]``). As a ratio it is
unchanged when both z-scores are inflated by one factor (polygenic inflation, cryptic
relatedness), but for the small shift of the truncation point. Given ``Z_a = x``,
``Z_b ~ N(r x, 1 - r^2)``, and for
``Y ~ N(m, s^2)``: ``E[Y 1(|Y|<c)] = m (Phi(u) - Phi(l)) - s (phi(u) - phi(l))``,
``P(|Y|<c) = Phi(u) - Phi(l)`` with ``l = (-c - m)/s``, ``u = (c - m)/s``; the outer integral
over ``x`` in ``(-c, c)`` is 96-point Gauss-Legendre quadrature (error below 1e-7 for
``c`` up to 6, i.e. ``null_p`` down to 1e-8), the
root by Brent's method. (The cross-trait LD score
regression intercept, Bulik-Sullivan et al. 2015, doi:10.1038/ng.3406, is the alternative
robust to polygenic inflation.)

From shared controls (closed form)
----------------------------------
Near the null the log odds ratio of a case/control comparison is, to first order, the
difference of the allele frequencies of cases and controls over ``p (1 - p)``. With ``n_a``
cases of subtype A, ``n_b`` of B (disjoint) and ``n_0`` controls shared by both analyses, the
frequency estimates of the three groups are independent with variances ``p(1-p)/(2 n)``, so
``Cov(beta_a, beta_b) ∝ 1/n_0``, ``Var(beta_a) ∝ 1/n_a + 1/n_0``, and::

    r = (1/n_0) / sqrt((1/n_a + 1/n_0) (1/n_b + 1/n_0)) = sqrt(n_a n_b / ((n_a + n_0)(n_b + n_0)))

(Lin & Sullivan 2009, doi:10.1016/j.ajhg.2009.11.001, with no shared cases and all controls
shared). After an inverse-variance meta-analysis of cohorts ``i`` with weights
``w_ai ∝ n_ai n_0i / (n_ai + n_0i)`` (the frequency factor is common to all cohorts), the
combined estimates have ``Cov = sum_i w_ai w_bi Cov_i / (W_a W_b)``, hence::

    r_meta = sum_i r_i sqrt(w_ai w_bi) / sqrt(W_a W_b)
           = sum_i n_ai n_bi n_0i / ((n_ai + n_0i)(n_bi + n_0i)) / sqrt(W_a W_b)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from gwaskit.errors import ParameterError

#: Null variants are those with p above this in both subtypes.
DEFAULT_NULL_P = 0.01
#: Fewest null variants an estimate is made from.
MIN_NULL_VARIANTS = 100
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)


@dataclass(frozen=True)
class NullCorrelation:
    """Correlation of two subtypes' z-scores at null variants.

    ``r`` the truncation-corrected estimate, ``r_truncated`` the plain (uncentred) correlation
    of the kept z-scores (biased towards 0), ``n_variants`` the variants kept, ``bound`` the
    ``c`` of ``|z| < c``.
    """

    r: float
    r_truncated: float
    n_variants: int
    bound: float


def truncated_moment(r: float, bound: float) -> float:
    """``E[Z_a Z_b | |Z_a| < c, |Z_b| < c]`` for a standard bivariate normal with correlation
    ``r`` (``c = bound``); see the module docstring.

    >>> round(truncated_moment(0.3, 8.0), 9)  # no truncation: the correlation itself
    0.3
    """
    x = bound * _NODES
    w = bound * _WEIGHTS * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    m = r * x
    s = np.sqrt(1.0 - r * r)
    lo, up = (-bound - m) / s, (bound - m) / s
    mass = special.ndtr(up) - special.ndtr(lo)
    dens = (np.exp(-0.5 * up * up) - np.exp(-0.5 * lo * lo)) / np.sqrt(2.0 * np.pi)
    inner = m * mass - s * dens  # E[Y 1(|Y| < c) | x]
    return float(np.sum(w * x * inner) / np.sum(w * mass))


def truncated_correlation(r: float, bound: float) -> float:
    """``E[Z_a Z_b | T] / E[Z_a^2 | T]`` with ``T = {|Z_a| < c, |Z_b| < c}`` for a standard
    bivariate normal with correlation ``r`` (``c = bound``); see the module docstring.

    >>> round(truncated_correlation(-0.4, 8.0), 9)  # no truncation: the correlation itself
    -0.4
    """
    x = bound * _NODES
    w = bound * _WEIGHTS * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    s = np.sqrt(1.0 - r * r)
    lo, up = (-bound - r * x) / s, (bound - r * x) / s
    mass = special.ndtr(up) - special.ndtr(lo)
    dens = (np.exp(-0.5 * up * up) - np.exp(-0.5 * lo * lo)) / np.sqrt(2.0 * np.pi)
    cross = np.sum(w * x * (r * x * mass - s * dens))
    return float(cross / np.sum(w * x * x * mass))


def null_correlation(
    z_a: np.ndarray, z_b: np.ndarray, *, null_p: float = DEFAULT_NULL_P
) -> NullCorrelation:
    """Correlation of two subtypes' estimates from the z-scores of null variants.

    Parameters
    ----------
    z_a, z_b
        ``(n_variants,)`` z-scores (beta / SE) of the same variants, aligned to one allele;
        variants missing in either (NaN) are skipped.
    null_p
        Variants with a two-sided p above this in both subtypes count as null.

    Returns
    -------
    NullCorrelation

    Raises
    ------
    ParameterError
        Fewer than :data:`MIN_NULL_VARIANTS` null variants.
    """
    if not 1e-8 <= null_p < 1.0:
        raise ParameterError(f"null_correlation: null_p must be in [1e-8, 1), got {null_p!r}.")
    z_a = np.asarray(z_a, dtype=np.float64)
    z_b = np.asarray(z_b, dtype=np.float64)
    if z_a.shape != z_b.shape or z_a.ndim != 1:
        raise ParameterError(
            f"null_correlation: z_a and z_b must be 1-D of one length, got {z_a.shape} and "
            f"{z_b.shape}."
        )
    bound = float(-special.ndtri(null_p / 2.0))
    with np.errstate(invalid="ignore"):
        keep = (np.abs(z_a) < bound) & (np.abs(z_b) < bound)
    n = int(keep.sum())
    if n < MIN_NULL_VARIANTS:
        raise ParameterError(
            f"null_correlation: only {n} variants have p > {null_p} in both subtypes; at least "
            f"{MIN_NULL_VARIANTS} are needed to estimate the correlation (give it instead)."
        )
    a, b = z_a[keep], z_b[keep]
    plain = float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))
    lo, hi = -0.999, 0.999
    g_lo, g_hi = truncated_correlation(lo, bound), truncated_correlation(hi, bound)
    if plain <= g_lo:
        r = lo
    elif plain >= g_hi:
        r = hi
    else:
        r = float(
            optimize.brentq(lambda x: truncated_correlation(x, bound) - plain, lo, hi, xtol=1e-10)
        )
    return NullCorrelation(r=r, r_truncated=plain, n_variants=n, bound=bound)


def shared_controls_correlation(
    n_cases_a: np.ndarray | float, n_cases_b: np.ndarray | float, n_controls: np.ndarray | float
) -> float:
    """Correlation of two subtypes' (meta-analysed) log odds ratios implied by shared controls.

    Parameters
    ----------
    n_cases_a, n_cases_b, n_controls
        Per cohort: cases of subtype A, cases of subtype B (no case in both) and the controls
        both subtypes are compared with. Scalars for one cohort, ``(n_cohorts,)`` arrays for an
        inverse-variance meta-analysis of several (formula in the module docstring).

    Examples
    --------
    >>> round(shared_controls_correlation(1000, 1000, 2000), 12)
    0.333333333333
    """
    na, nb, n0 = (
        np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in (n_cases_a, n_cases_b, n_controls)
    )
    if (
        not (na.shape == nb.shape == n0.shape)
        or np.any(na <= 0)
        or np.any(nb <= 0)
        or np.any(n0 <= 0)
    ):
        raise ParameterError(
            "shared_controls_correlation: case and control counts must be positive and of one "
            f"shape, got {na.tolist()}, {nb.tolist()}, {n0.tolist()}."
        )
    wa = na * n0 / (na + n0)
    wb = nb * n0 / (nb + n0)
    cross = na * nb * n0 / ((na + n0) * (nb + n0))
    return float(cross.sum() / np.sqrt(wa.sum() * wb.sum()))
