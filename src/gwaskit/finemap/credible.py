"""Credible sets: the smallest sets of variables that hold a given posterior probability.

For one posterior ``alpha`` over variables (one single effect of SuSiE, or the ABF posterior
of a single signal) the level-``c`` credible set is the top of ``alpha`` sorted in decreasing
order, up to and including the first variable at which the cumulative sum reaches ``c``
(susieR ``n_in_CS_x``: ``sum(cumsum(sort(alpha, decreasing)) < c) + 1`` variables; ties keep
input order). Maller JB et al. (2012) Nat Genet 44:1294, doi:10.1038/ng.2435; Wang et al.
(2020) J R Stat Soc B 82:1273, doi:10.1111/rssb.12388.

SuSiE sets (susieR ``susie_get_cs``) are made for effects with ``V_l > 1e-9``, duplicates
dropped (the first kept), then filtered by purity: the smallest absolute correlation between
two members must be at least ``min_abs_corr`` (0.5). susieR measures purity on at most 100
randomly sampled members of a large set; here all members are used (deterministic; it can only
make a large set less pure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gwaskit.errors import ParameterError
from gwaskit.finemap.susie import SusieFit


@dataclass(frozen=True)
class CredibleSet:
    """One credible set.

    Attributes
    ----------
    effect
        0-based index of the single effect (SuSiE) or signal (ABF) it comes from.
    variables
        0-based indices of its members, in decreasing posterior probability.
    coverage
        Posterior probability it holds (``sum alpha`` over members).
    log10_bf
        log10 Bayes factor of the effect (SuSiE ``lbf / ln 10``; ABF: log10 of the mean BF).
    min_abs_corr, mean_abs_corr, median_abs_corr
        Purity: absolute correlations between pairs of members (1 for a singleton).
    """

    effect: int
    variables: np.ndarray
    coverage: float
    log10_bf: float
    min_abs_corr: float
    mean_abs_corr: float
    median_abs_corr: float

    @property
    def size(self) -> int:
        return int(self.variables.size)


def credible_members(alpha: np.ndarray, coverage: float = 0.95) -> np.ndarray:
    """Indices of the level-``coverage`` credible set of one posterior (decreasing order).

    >>> credible_members(np.array([0.1, 0.6, 0.3]), 0.8).tolist()
    [1, 2]
    """
    if not 0 < coverage < 1:
        raise ParameterError(f"coverage must be in (0, 1), got {coverage!r}.")
    alpha = np.asarray(alpha, dtype=np.float64)
    order = np.argsort(-alpha, kind="stable")
    k = int(np.sum(np.cumsum(alpha[order]) < coverage)) + 1
    return order[: min(k, alpha.size)]


def purity(members: np.ndarray, corr: np.ndarray) -> tuple[float, float, float]:
    """Min, mean and median absolute correlation between pairs of ``members``."""
    if members.size == 1:
        return 1.0, 1.0, 1.0
    sub = np.abs(corr[np.ix_(members, members)])
    vals = sub[np.triu_indices(members.size, 1)]
    return float(vals.min()), float(vals.mean()), float(np.median(vals))


def susie_credible_sets(
    fit: SusieFit,
    corr: np.ndarray,
    *,
    coverage: float = 0.95,
    min_abs_corr: float = 0.5,
    prior_tol: float = 1e-9,
) -> list[CredibleSet]:
    """Credible sets of a SuSiE fit (susieR ``susie_get_cs``), purest first.

    Parameters
    ----------
    fit
        The fit.
    corr
        ``(p, p)`` correlations between the variables (``cor(X)`` or the LD matrix).
    coverage
        Posterior probability each set must hold (0.95).
    min_abs_corr
        Purity threshold (0.5).
    """
    sets: list[CredibleSet] = []
    seen: list[tuple[int, ...]] = []
    for l_ in range(fit.alpha.shape[0]):
        members = credible_members(fit.alpha[l_], coverage)
        key = tuple(sorted(members.tolist()))
        if key in seen:
            continue
        seen.append(key)
        if fit.prior_variance[l_] <= prior_tol:
            continue
        lo, mean, med = purity(members, corr)
        if lo < min_abs_corr:
            continue
        sets.append(
            CredibleSet(
                effect=l_,
                variables=members,
                coverage=float(fit.alpha[l_, members].sum()),
                log10_bf=float(fit.lbf[l_] / np.log(10.0)),
                min_abs_corr=lo,
                mean_abs_corr=mean,
                median_abs_corr=med,
            )
        )
    sets.sort(key=lambda s: -s.min_abs_corr)
    return sets
