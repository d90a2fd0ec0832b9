"""Wakefield approximate Bayes factors, single-signal fine-mapping and colocalisation.

Wakefield J (2009) Bayes factors for genome-wide association studies: comparison with
P-values. Genet Epidemiol 33:79-86, doi:10.1002/gepi.20359. Giambartolomei C et al. (2014)
Bayesian test for colocalisation between pairs of genetic association studies using summary
statistics. PLoS Genet 10:e1004383, doi:10.1371/journal.pgen.1004383. Wallace C (2021) A more
accurate method for colocalisation analysis allowing for multiple causal variants. PLoS Genet
17:e1009440, doi:10.1371/journal.pgen.1009440.

With an effect estimate ``b`` (per copy of the effect allele; log-odds for a binary trait), its
variance ``V = se^2`` and a normal prior ``N(0, W)`` on the true effect, the natural-log
approximate Bayes factor for "this variant is causal" against "no effect" is::

    r = W / (W + V),   z = b / sqrt(V),   lABF = 0.5 * (log(1 - r) + r z^2)

``W = (0.15 sdY)^2`` for a quantitative trait and ``W = 0.2^2`` for a binary one (coloc's
defaults). Under one causal variant with uniform prior, its posterior is ``softmax(lABF)``.

coloc.abf combines two traits' lABF over the same variants into posteriors of H0 (no
association), H1/H2 (only trait 1/2), H3 (both, distinct variants), H4 (both, one shared
variant)::

    H0 = 1, H1 = p1 S1, H2 = p2 S2, H3 = p1 p2 (S1 S2 - S12), H4 = p12 S12
    S1 = sum e^{l1}, S2 = sum e^{l2}, S12 = sum e^{l1 + l2}

normalised, all in log space; ``SNP.PP.H4 = softmax(l1 + l2)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp, softmax

from gwaskit.errors import ParameterError

#: coloc's prior effect SDs: ``0.15 sdY`` for a quantitative trait, 0.2 (log-odds) for a binary.
PRIOR_SD = {"quantitative": 0.15, "binary": 0.2}


def wakefield_lbf(beta: np.ndarray, variance: np.ndarray, prior_sd: float) -> np.ndarray:
    """Natural-log Wakefield ABF per variant, shape of ``beta``.

    Parameters
    ----------
    beta
        Effect estimates (trait units, or log-odds, per copy of the effect allele).
    variance
        Their sampling variances (``se**2``).
    prior_sd
        SD of the normal prior on the effect, in the units of ``beta``.

    >>> round(float(wakefield_lbf(np.array([0.5]), np.array([0.01]), 0.2)[0]), 4)
    9.1953
    """
    beta = np.asarray(beta, dtype=np.float64)
    variance = np.asarray(variance, dtype=np.float64)
    if not prior_sd > 0:
        raise ParameterError(f"prior_sd must be positive, got {prior_sd!r}.")
    w = prior_sd * prior_sd
    r = w / (w + variance)
    z2 = beta * beta / variance
    return 0.5 * (np.log1p(-r) + r * z2)


def estimate_sdy(variance: np.ndarray, maf: np.ndarray, n: np.ndarray | float) -> float:
    """coloc's ``sdY.est``: the trait SD implied by ``var(b) ~ sdY^2 / (2 n f (1 - f))``,
    fitted by least squares through the origin of ``2 n f (1-f)`` on ``1/var(b)``."""
    inv = 1.0 / np.asarray(variance, dtype=np.float64)
    f = np.asarray(maf, dtype=np.float64)
    nvx = 2.0 * np.asarray(n, dtype=np.float64) * f * (1.0 - f)
    ok = np.isfinite(inv) & np.isfinite(nvx)
    coef = float(np.sum(nvx[ok] * inv[ok]) / np.sum(inv[ok] ** 2))
    return float(np.sqrt(coef))


@dataclass(frozen=True)
class ColocResult:
    """Posteriors of coloc's five hypotheses and the per-variant H4 posteriors.

    ``posterior`` is ``(5,)``: PP.H0 .. PP.H4; ``snp_pp_h4`` follows the variants.
    """

    posterior: np.ndarray
    snp_pp_h4: np.ndarray
    log_bf: np.ndarray  # (5,) unnormalised log posteriors of H0..H4

    @property
    def pp_h4(self) -> float:
        return float(self.posterior[4])

    @property
    def pp_h3(self) -> float:
        return float(self.posterior[3])


def _logdiff(a: float, b: float) -> float:
    """log(e^a - e^b) for a >= b."""
    if b == -np.inf:
        return a
    with np.errstate(divide="ignore"):  # e^a == e^b: log 0 = -inf, as coloc's logdiff gives
        return a + float(np.log(-np.expm1(b - a)))


def combine_abf(
    lbf1: np.ndarray,
    lbf2: np.ndarray,
    *,
    p1: float = 1e-4,
    p2: float = 1e-4,
    p12: float = 1e-5,
) -> ColocResult:
    """coloc ``combine.abf``: hypothesis posteriors from two traits' lABF on the same variants.

    Parameters
    ----------
    lbf1, lbf2
        Natural-log Bayes factors per variant (same variants, same order).
    p1, p2, p12
        Prior probabilities that a variant is causal for trait 1 only, trait 2 only, both.
    """
    for name, val in (("p1", p1), ("p2", p2), ("p12", p12)):
        if not 0 < val < 1:
            raise ParameterError(f"{name} must be in (0, 1), got {val!r}.")
    l1 = np.asarray(lbf1, dtype=np.float64)
    l2 = np.asarray(lbf2, dtype=np.float64)
    if l1.shape != l2.shape or l1.ndim != 1 or l1.size == 0:
        raise ParameterError(
            f"lbf1 and lbf2 must be two equal-length vectors, got {l1.shape} and {l2.shape}."
        )
    s1, s2, s12 = float(logsumexp(l1)), float(logsumexp(l2)), float(logsumexp(l1 + l2))
    lh = np.array(
        [
            0.0,
            np.log(p1) + s1,
            np.log(p2) + s2,
            np.log(p1) + np.log(p2) + _logdiff(s1 + s2, s12),
            np.log(p12) + s12,
        ]
    )
    return ColocResult(posterior=np.exp(lh - logsumexp(lh)), snp_pp_h4=softmax(l1 + l2), log_bf=lh)


def coloc_abf(
    beta1: np.ndarray,
    variance1: np.ndarray,
    beta2: np.ndarray,
    variance2: np.ndarray,
    *,
    prior_sd1: float,
    prior_sd2: float,
    p1: float = 1e-4,
    p2: float = 1e-4,
    p12: float = 1e-5,
) -> ColocResult:
    """coloc ``coloc.abf`` on two traits' effects over the same variants.

    ``prior_sd`` is ``0.15 sdY`` for a quantitative trait (sdY known, or from
    :func:`estimate_sdy`) and 0.2 for a binary one (:data:`PRIOR_SD`).
    """
    return combine_abf(
        wakefield_lbf(beta1, variance1, prior_sd1),
        wakefield_lbf(beta2, variance2, prior_sd2),
        p1=p1,
        p2=p2,
        p12=p12,
    )


@dataclass(frozen=True)
class ColocPair:
    """coloc of one pair of signals (rows ``i`` of trait 1 and ``j`` of trait 2)."""

    i: int
    j: int
    result: ColocResult


def coloc_bf_bf(
    lbf1: np.ndarray,
    lbf2: np.ndarray,
    *,
    p1: float = 1e-4,
    p2: float = 1e-4,
    p12: float = 5e-6,
) -> list[ColocPair]:
    """coloc ``coloc.bf_bf``: coloc of every pair of signals, one lABF row per signal.

    With SuSiE fits the rows are the ``lbf_variable`` rows of the credible sets
    (``coloc.susie``), which lets coloc hold several causal variants per trait.

    Parameters
    ----------
    lbf1, lbf2
        ``(k1, p)`` and ``(k2, p)`` natural-log Bayes factors over the same ``p`` variants.
    """
    a = np.atleast_2d(np.asarray(lbf1, dtype=np.float64))
    b = np.atleast_2d(np.asarray(lbf2, dtype=np.float64))
    return [
        ColocPair(i, j, combine_abf(a[i], b[j], p1=p1, p2=p2, p12=p12))
        for i in range(a.shape[0])
        for j in range(b.shape[0])
    ]


def abf_posterior(lbf: np.ndarray, prior_weights: np.ndarray | None = None) -> np.ndarray:
    """Posterior probability that each variant is the one causal variant:
    ``pi_j BF_j / sum_k pi_k BF_k`` (uniform ``pi`` by default)."""
    lbf = np.asarray(lbf, dtype=np.float64)
    if prior_weights is None:
        return softmax(lbf)
    with np.errstate(divide="ignore"):
        return softmax(lbf + np.log(np.asarray(prior_weights, dtype=np.float64)))
