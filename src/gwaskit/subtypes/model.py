"""Per-locus subtype analysis: the equal-effect test and the Bayesian model comparison.

Array kernels over loci take ``(n_loci,)`` arrays of the two subtypes' estimates, aligned to one
effect allele (log odds ratios for case/control traits), and return frozen dataclasses.

The data of a locus are ``b = (beta_a, beta_b)`` with standard errors ``s_a, s_b`` and the
correlation ``r`` of the two estimates (from shared controls; see
:mod:`gwaskit.subtypes.correlation`). The sampling law is ``b ~ N(beta, Sigma)`` with
``Sigma = D [[1, r], [r, 1]] D``, ``D = diag(s_a, s_b)``.

Equal-effect test
-----------------
``chi2 = (beta_a - beta_b)^2 / (s_a^2 + s_b^2 - 2 r s_a s_b)`` on 1 degree of freedom, the
variance of a difference of correlated estimates (as in Hautakangas et al. 2022,
doi:10.1038/s41588-021-00990-0, Figure 3 and its code ``Figure3.R``).

Model comparison
----------------
Each model puts a normal prior on the true effects, ``beta ~ N(0, S)``, so that the marginal
law of the estimates is ``b ~ N(0, Sigma + S)``: a two-dimensional form of Wakefield's
approximate Bayes factor (Wakefield 2009, doi:10.1002/gepi.20359). With prior effect
variance ``tau^2`` (prior SD 0.2 on the log odds scale by default):

=========  ============================  ==========================================
model       ``S``                          meaning
=========  ============================  ==========================================
NULL        ``0``                          no effect on either subtype
FIXED       ``tau^2 [[1, 1], [1, 1]]``     the same effect on both
IND         ``tau^2 [[1, 0], [0, 1]]``     independent effects on both
A only      ``tau^2 [[1, 0], [0, 0]]``     an effect on subtype A only
B only      ``tau^2 [[0, 0], [0, 1]]``     an effect on subtype B only
=========  ============================  ==========================================

The posterior of a model is ``w_m N(b; 0, Sigma + S_m) / sum_k w_k N(b; 0, Sigma + S_k)`` with
prior weights ``w`` (NULL, FIXED, IND, A, B) = (1, 0.5, 0.5, 1, 1) normalised by default, so
that NULL, BOTH (= FIXED + IND, a 50:50 mixture), A only and B only each have prior 1/4. The
normal densities of these 2 x 2 covariances are written out in closed form (determinant and
adjugate), summed in log space. A locus is called ``a_only`` when ``P(A only)`` exceeds the
threshold (0.95), ``b_only`` when ``P(B only)`` does, ``both`` when ``P(FIXED) + P(IND)`` does,
``null`` when ``P(NULL)`` does, and ``unresolved`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from gwaskit.errors import ParameterError
from gwaskit.stats import neg_log10_p_from_chi2

#: Model names, in the order of the prior weights.
MODELS = ("null", "fixed", "independent", "a_only", "b_only")
#: Prior weights (NULL, FIXED, IND, A only, B only) of Hautakangas et al. 2022.
DEFAULT_MODEL_WEIGHTS = (1.0, 0.5, 0.5, 1.0, 1.0)
#: Prior SD of a non-null effect (log odds ratio) of Hautakangas et al. 2022.
DEFAULT_PRIOR_SD = 0.2
#: Posterior a call needs.
DEFAULT_THRESHOLD = 0.95
#: The calls, in the order they are tested.
CALLS = ("a_only", "b_only", "both", "null", "unresolved")


@dataclass(frozen=True)
class EqualEffectTest:
    """Test of ``beta_a == beta_b`` per locus: ``chi2`` (1 df) and its ``neg_log10_p``."""

    chi2: np.ndarray
    neg_log10_p: np.ndarray


@dataclass(frozen=True)
class SubtypePosteriors:
    """Posterior probabilities per locus (``(n_loci,)`` each; they sum to 1 over the five
    models), ``both`` = ``fixed + independent``, and the log10 Bayes factor of each model
    against NULL (``log10_bf``, ``(n_loci, 5)`` in the order of :data:`MODELS`)."""

    null: np.ndarray
    fixed: np.ndarray
    independent: np.ndarray
    a_only: np.ndarray
    b_only: np.ndarray
    both: np.ndarray
    log10_bf: np.ndarray


def _estimates(
    beta_a: np.ndarray, se_a: np.ndarray, beta_b: np.ndarray, se_b: np.ndarray, r: float
) -> tuple[np.ndarray, ...]:
    arrays = [np.asarray(x, dtype=np.float64) for x in (beta_a, se_a, beta_b, se_b)]
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays) or len(shape) != 1:
        raise ParameterError(
            "subtypes: beta_a, se_a, beta_b and se_b must be 1-D arrays of one length, got "
            f"shapes {[a.shape for a in arrays]}."
        )
    if not -1.0 < float(r) < 1.0:
        raise ParameterError(f"subtypes: r must be in (-1, 1), got {r!r}.")
    return tuple(arrays)


def equal_effect_test(
    beta_a: np.ndarray, se_a: np.ndarray, beta_b: np.ndarray, se_b: np.ndarray, *, r: float
) -> EqualEffectTest:
    """Chi-square test (1 df) of equal effects on two subtypes with correlated estimates.

    Parameters
    ----------
    beta_a, se_a, beta_b, se_b
        ``(n_loci,)`` estimates and standard errors, aligned to one effect allele.
    r
        Correlation of the two estimates (e.g. 0.148 for migraine with and without aura).

    Examples
    --------
    >>> t = equal_effect_test(np.array([0.3]), np.array([0.1]), np.array([0.1]), np.array([0.1]),
    ...                       r=0.5)
    >>> round(float(t.chi2[0]), 6)
    4.0
    """
    ba, sa, bb, sb = _estimates(beta_a, se_a, beta_b, se_b, r)
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = (ba - bb) ** 2 / (sa * sa + sb * sb - 2.0 * r * sa * sb)
    return EqualEffectTest(chi2=chi2, neg_log10_p=neg_log10_p_from_chi2(chi2, 1.0))


def _log_normal_2d(
    b1: np.ndarray, b2: np.ndarray, v11: np.ndarray, v12: np.ndarray, v22: np.ndarray
) -> np.ndarray:
    """log N((b1, b2); 0, [[v11, v12], [v12, v22]]), elementwise (closed-form 2 x 2 inverse)."""
    det = v11 * v22 - v12 * v12
    quad = (v22 * b1 * b1 - 2.0 * v12 * b1 * b2 + v11 * b2 * b2) / det
    return -np.log(2.0 * np.pi) - 0.5 * np.log(det) - 0.5 * quad


def _parse_weights(model_weights: tuple[float, ...] | list[float]) -> np.ndarray:
    weights = np.asarray(model_weights, dtype=np.float64)
    if weights.shape != (5,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ParameterError(
            "subtypes: model_weights must be 5 non-negative numbers (NULL, FIXED, IND, A only, "
            f"B only), got {tuple(model_weights)!r}."
        )
    if weights.sum() <= 0:
        raise ParameterError("subtypes: model_weights must not all be 0.")
    return weights / weights.sum()


def subtype_posteriors(
    beta_a: np.ndarray,
    se_a: np.ndarray,
    beta_b: np.ndarray,
    se_b: np.ndarray,
    *,
    r: float,
    prior_sd: float = DEFAULT_PRIOR_SD,
    model_weights: tuple[float, ...] = DEFAULT_MODEL_WEIGHTS,
) -> SubtypePosteriors:
    """Posterior probabilities of NULL, FIXED, IND, A only and B only per locus.

    Parameters
    ----------
    beta_a, se_a, beta_b, se_b
        ``(n_loci,)`` estimates and standard errors (log odds ratios), aligned to one allele.
    r
        Correlation of the two estimates.
    prior_sd
        ``tau``, the prior SD of a non-null effect (log odds ratio); 0.2 by default.
    model_weights
        Prior weights of (NULL, FIXED, IND, A only, B only), normalised here.

    Returns
    -------
    SubtypePosteriors
        NaN where an estimate or standard error is missing or not positive.

    Examples
    --------
    >>> p = subtype_posteriors(np.array([0.3]), np.array([0.02]), np.array([0.0]),
    ...                        np.array([0.02]), r=0.1)
    >>> bool(p.a_only[0] > 0.95)
    True
    """
    ba, sa, bb, sb = _estimates(beta_a, se_a, beta_b, se_b, r)
    if not (np.isfinite(prior_sd) and prior_sd > 0):
        raise ParameterError(f"subtypes: prior_sd must be a positive number, got {prior_sd!r}.")
    weights = _parse_weights(model_weights)
    ok = np.isfinite(ba) & np.isfinite(bb) & (sa > 0) & (sb > 0) & np.isfinite(sa * sb)
    ba, bb = np.where(ok, ba, 0.0), np.where(ok, bb, 0.0)
    sa, sb = np.where(ok, sa, 1.0), np.where(ok, sb, 1.0)
    t2 = float(prior_sd) ** 2
    v11, v22, v12 = sa * sa, sb * sb, r * sa * sb
    # S per model as (s11, s12, s22)
    priors = ((0.0, 0.0, 0.0), (t2, t2, t2), (t2, 0.0, t2), (t2, 0.0, 0.0), (0.0, 0.0, t2))
    log_lik = np.stack(
        [_log_normal_2d(ba, bb, v11 + s11, v12 + s12, v22 + s22) for s11, s12, s22 in priors],
        axis=1,
    )
    with np.errstate(divide="ignore"):
        log_post = log_lik + np.log(weights)
    post = np.exp(log_post - logsumexp(log_post, axis=1, keepdims=True))
    post[~ok] = np.nan
    log10_bf = (log_lik - log_lik[:, :1]) / np.log(10.0)
    log10_bf[~ok] = np.nan
    return SubtypePosteriors(
        null=post[:, 0],
        fixed=post[:, 1],
        independent=post[:, 2],
        a_only=post[:, 3],
        b_only=post[:, 4],
        both=post[:, 1] + post[:, 2],
        log10_bf=log10_bf,
    )


def call_subtypes(
    posteriors: SubtypePosteriors, *, threshold: float = DEFAULT_THRESHOLD
) -> np.ndarray:
    """The call per locus: ``a_only``, ``b_only``, ``both``, ``null`` when that posterior
    exceeds ``threshold``, else ``unresolved`` (also where the posteriors are NaN).

    ``threshold`` must be at least 0.5, so that at most one call can apply.
    """
    if not 0.5 <= float(threshold) < 1.0:
        raise ParameterError(f"subtypes: threshold must be in [0.5, 1), got {threshold!r}.")
    calls = np.full(posteriors.null.shape, "unresolved", dtype=object)
    for name, p in (
        ("null", posteriors.null),
        ("both", posteriors.both),
        ("b_only", posteriors.b_only),
        ("a_only", posteriors.a_only),
    ):
        calls[np.nan_to_num(p) > threshold] = name
    return calls.astype(str)
