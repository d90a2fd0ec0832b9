"""Hardy-Weinberg exact test (Wigginton, Cutler and Abecasis 2005, doi:10.1086/429864).

The p-value is the total probability, under HWE given the allele counts, of heterozygote counts
no more likely than the one observed (PLINK's ``--hardy``); with ``midp`` the outcomes exactly
as likely as the observed one weigh half (Graffelman and Moreno 2013, doi:10.1515/sagmb-2012-0039; PLINK's ``midp``).

Everything is computed in log space relative to the distribution's mode, walking outwards from
the mode and from the tail boundaries only until terms are negligible, so the cost per variant
is O(sqrt(n)) and ``-log10 p`` stays exact far beyond 1e-308.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
#: Relative tolerance for "as likely as observed" (PLINK treats near-ties as ties).
_TIE = 1e-7
_NEGLIGIBLE = 1e-17


@njit(cache=True, nogil=True)
def _log_prob(k: int, n_rare: int, n: int) -> float:
    """Log probability (up to a constant) of ``k`` heterozygotes among ``n`` people with
    ``n_rare`` copies of the rarer allele."""
    hom_rare = (n_rare - k) // 2
    hom_common = n - k - hom_rare
    return (
        k * _LN2
        - math.lgamma(k + 1.0)
        - math.lgamma(hom_rare + 1.0)
        - (math.lgamma(hom_common + 1.0))
    )


@njit(cache=True, nogil=True)
def _tail_from(k: int, direction: int, n_rare: int, n: int, start: float) -> float:
    """Sum of relative probabilities from ``k`` outwards (``direction`` = +2 or -2), where the
    term at ``k`` is ``start``; stops when terms no longer change the sum."""
    total = start
    term = start
    lo = n_rare % 2
    while True:
        hom_rare = (n_rare - k) // 2
        hom_common = n - k - hom_rare
        if direction > 0:
            if k + 2 > n_rare:
                break
            term *= 4.0 * hom_rare * hom_common / ((k + 1.0) * (k + 2.0))
            k += 2
        else:
            if k - 2 < lo:
                break
            term *= k * (k - 1.0) / (4.0 * (hom_rare + 1.0) * (hom_common + 1.0))
            k -= 2
        total += term
        if term < _NEGLIGIBLE * total:
            break
    return total


@njit(cache=True, nogil=True)
def _boundary(mode: int, direction: int, n_rare: int, n: int, threshold: float) -> int:
    """The het count nearest the mode, on the side ``direction``, whose log probability is at
    most ``threshold`` (probabilities fall monotonically away from the mode); -1 if none."""
    lo = n_rare % 2
    steps = (n_rare - mode) // 2 if direction > 0 else (mode - lo) // 2
    if steps <= 0:
        return -1
    last = mode + direction * steps
    if _log_prob(last, n_rare, n) > threshold:
        return -1
    a, b = 1, steps  # answer in [a, b]
    while a < b:
        mid = (a + b) // 2
        if _log_prob(mode + direction * mid, n_rare, n) <= threshold:
            b = mid
        else:
            a = mid + 1
    return mode + direction * a


@njit(cache=True, nogil=True)
def hwe_neg_log10_p_one(hom1: int, het: int, hom2: int, midp: bool) -> float:
    """-log10 of the HWE exact p-value for one variant (NaN with no calls)."""
    n = hom1 + het + hom2
    if n == 0:
        return np.nan
    n_rare = min(2 * hom1 + het, 2 * hom2 + het)
    if n_rare == 0:  # one possible outcome, observed: p = 1 (mid-p: 1/2)
        return math.log10(2.0) if midp else 0.0
    lo = n_rare % 2
    mode = int(n_rare * (2.0 * n - n_rare) / (2.0 * n - 1.0))
    if (mode - n_rare) % 2 != 0:
        mode += 1
    mode = min(max(mode, lo), n_rare)
    while mode + 2 <= n_rare and _log_prob(mode + 2, n_rare, n) > _log_prob(mode, n_rare, n):
        mode += 2
    while mode - 2 >= lo and _log_prob(mode - 2, n_rare, n) > _log_prob(mode, n_rare, n):
        mode -= 2
    lp_mode = _log_prob(mode, n_rare, n)
    total = _tail_from(mode, 2, n_rare, n, 1.0) + _tail_from(mode, -2, n_rare, n, 1.0) - 1.0

    lp_obs = _log_prob(het, n_rare, n)
    threshold = lp_obs + _TIE
    tail = 0.0  # relative to the observed probability
    ties = 0.0  # outcomes as likely as the observed one (itself included)
    if lp_mode <= threshold:
        tail += math.exp(lp_mode - lp_obs)
        ties += math.exp(lp_mode - lp_obs)
    for direction in (2, -2):
        k = _boundary(mode, direction, n_rare, n, threshold)
        if k >= 0:
            lp_k = _log_prob(k, n_rare, n)
            tail += _tail_from(k, direction, n_rare, n, math.exp(lp_k - lp_obs))
            if lp_k >= lp_obs - _TIE:
                ties += math.exp(lp_k - lp_obs)
    if midp:  # half weight to every outcome as likely as the observed one (as PLINK)
        tail -= 0.5 * ties
    log_p = lp_obs - lp_mode + math.log(tail) - math.log(total)
    return max(0.0, -log_p / _LN10)


@njit(cache=True, nogil=True)
def hwe_neg_log10_p(counts: np.ndarray, midp: bool) -> np.ndarray:
    """-log10 HWE exact p for each row of ``counts`` = ``(hom_a1, het, hom_a2)``, int64
    ``(n_variants, 3)``."""
    out = np.empty(counts.shape[0], dtype=np.float64)
    for v in range(counts.shape[0]):
        out[v] = hwe_neg_log10_p_one(counts[v, 0], counts[v, 1], counts[v, 2], midp)
    return out
