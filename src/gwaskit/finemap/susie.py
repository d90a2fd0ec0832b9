"""Sum of single effects (SuSiE) regression on sufficient statistics.

Wang G, Sarkar A, Carbonetto P, Stephens M (2020) A simple new approach to variable selection in
regression, with application to genetic fine mapping. J R Stat Soc B 82:1273-1300,
doi:10.1111/rssb.12388. Zou Y, Carbonetto P, Wang G, Stephens M (2022) Fine-mapping from
summary data with the "Sum of Single Effects" model. PLoS Genet 18:e1010299,
doi:10.1371/journal.pgen.1010299.

The model is ``y = X sum_l b_l + e``, ``e ~ N(0, sigma2 I)``, each ``b_l`` with exactly one
non-zero entry (variable ``j`` with prior probability ``pi_j``), its size ``N(0, V_l)``. The fit
is susieR's iterative Bayesian stepwise selection (IBSS) on ``X'X``, ``X'y``, ``y'y`` and ``n``
(``susie_suff_stat``), reproduced step for step:

- columns standardised (``csd = sqrt(diag(X'X)/(n-1))``), ``alpha = 1/p``, ``mu = mu2 = 0``,
  ``sigma2 = var(y)``, ``V_l = 0.2 var(y)``;
- each sweep updates ``l = 1..L`` in turn by a single-effect regression on the partial residual
  ``X'r_l = X'y - X'X sum_{k != l} alpha_k mu_k``: ``bhat = X'r/d``, ``shat2 = sigma2/d``,
  ``log BF_j = log N(bhat; 0, V + shat2) - log N(bhat; 0, shat2)``, ``alpha = softmax(lbf +
  log pi)``, posterior variance ``1/(1/V + d/sigma2)``; ``V_l`` maximises the single-effect
  marginal likelihood on ``log V`` in [-30, 15] (Brent), kept when better than the previous
  value and set to 0 when it does not beat ``V = 0``;
- ELBO ``E log p(y|b) - sum_l KL_l``; stop when it rises by less than ``tol`` (1e-3); then,
  when asked, ``sigma2 = E||y - Xb||^2 / n``.

Summary statistics enter as susieR does (``susie_rss``): with ``z``, ``R`` and ``n`` the
z-scores are shrunk to ``z sqrt((n-1)/(z^2+n-2))``, ``X'X = (n-1) R``, ``X'y = sqrt(n-1) z``,
``y'y = n-1`` (standardised scale); with ``bhat``, ``shat`` and ``var_y`` the effects stay on
the original scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from gwaskit.errors import ParameterError

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class SusieFit:
    """A SuSiE fit; arrays over ``L`` single effects and ``p`` variables.

    Attributes
    ----------
    alpha, mu, mu2
        ``(L, p)`` posterior inclusion probabilities of each effect, posterior mean and second
        moment of the effect given inclusion (original scale of ``X'X``/``X'y`` divided by
        ``csd``: see ``coef``).
    lbf_variable
        ``(L, p)`` natural-log Bayes factor of each variable in each single-effect regression.
    lbf
        ``(L,)`` natural-log Bayes factor of each single effect (prior-weighted).
    prior_variance
        ``(L,)`` estimated or fixed ``V_l`` on the standardised-column scale.
    residual_variance
        ``sigma2``.
    elbo
        ELBO after each sweep.
    converged
        Whether the ELBO rose by less than ``tol`` before ``max_iter``.
    scale
        ``(p,)`` column scale factors ``csd``.
    """

    alpha: np.ndarray
    mu: np.ndarray
    mu2: np.ndarray
    lbf_variable: np.ndarray
    lbf: np.ndarray
    prior_variance: np.ndarray
    residual_variance: float
    elbo: np.ndarray
    converged: bool
    scale: np.ndarray

    @property
    def n_iter(self) -> int:
        return int(self.elbo.size)

    def pip(self, prior_tol: float = 1e-9) -> np.ndarray:
        """Posterior inclusion probabilities ``1 - prod_l (1 - alpha_lj)`` over effects with
        ``V_l > prior_tol`` (susieR ``susie_get_pip``)."""
        keep = self.prior_variance > prior_tol
        if not keep.any():
            return np.zeros(self.alpha.shape[1])
        return 1.0 - np.prod(1.0 - self.alpha[keep], axis=0)

    def coef(self) -> np.ndarray:
        """Posterior means of the effects, ``sum_l alpha_l mu_l / csd`` (``coef.susie``)."""
        return (self.alpha * self.mu).sum(axis=0) / self.scale

    def posterior_sd(self, prior_tol: float = 1e-9) -> np.ndarray:
        """Posterior SDs, ``sqrt(sum_l alpha mu2 - (alpha mu)^2) / csd``
        (``susie_get_posterior_sd``)."""
        keep = self.prior_variance > prior_tol
        am = self.alpha[keep] * self.mu[keep]
        var = (self.alpha[keep] * self.mu2[keep] - am * am).sum(axis=0)
        return np.sqrt(np.maximum(var, 0.0)) / self.scale


def _logsumexp(x: np.ndarray) -> float:
    """log(sum(exp(x))) (scipy's costs 0.3 ms of checks per call, here called ~2,000 times)."""
    m = float(x.max())
    if not np.isfinite(m):
        return m
    return m + float(np.log(np.exp(x - m).sum()))


def _lbf(v: float, bhat: np.ndarray, shat2: np.ndarray) -> np.ndarray:
    """log N(bhat; 0, v + shat2) - log N(bhat; 0, shat2), per variable."""
    b2 = bhat * bhat
    return 0.5 * (np.log(shat2 / (v + shat2)) + b2 / shat2 - b2 / (v + shat2))


def _loglik(v: float, bhat: np.ndarray, shat2: np.ndarray, log_pi: np.ndarray) -> float:
    return float(_logsumexp(_lbf(v, bhat, shat2) + log_pi))


def _optimise_v(v_old: float, bhat: np.ndarray, shat2: np.ndarray, log_pi: np.ndarray) -> float:
    """susieR ``optimize_prior_variance(optimize_V = "optim")``: Brent on log V in [-30, 15]."""
    res = minimize_scalar(
        lambda lv: -_loglik(float(np.exp(lv)), bhat, shat2, log_pi),
        bounds=(-30.0, 15.0),
        method="bounded",
        options={"xatol": 1.5e-8},
    )
    v = float(np.exp(res.x))
    if _loglik(v, bhat, shat2, log_pi) < _loglik(v_old, bhat, shat2, log_pi):
        v = v_old
    if _loglik(0.0, bhat, shat2, log_pi) >= _loglik(v, bhat, shat2, log_pi):
        v = 0.0
    return v


def _er2(xty, yty, d, alpha, mu, mu2, xtxb, xtxr) -> float:
    """Expected residual sum of squares ``E||y - Xb||^2`` (susieR ``get_ER2_ss``), from the
    cached products ``xtxb[l] = X'X (alpha_l mu_l)`` and ``xtxr = sum_l xtxb[l]``."""
    b = alpha * mu
    xb2 = float(np.einsum("lp,lp->", xtxb, b))
    bbar = b.sum(axis=0)
    return float(yty - 2.0 * bbar @ xty + bbar @ xtxr - xb2 + (d * (alpha * mu2)).sum())


def susie_suff_stat(
    xtx: np.ndarray,
    xty: np.ndarray,
    yty: float,
    n: float,
    *,
    max_effects: int = 10,
    scaled_prior_variance: float = 0.2,
    residual_variance: float | None = None,
    estimate_residual_variance: bool = True,
    estimate_prior_variance: bool = True,
    prior_weights: np.ndarray | None = None,
    standardize: bool = True,
    max_iter: int = 100,
    tol: float = 1e-3,
) -> SusieFit:
    """Fit SuSiE by IBSS on sufficient statistics (susieR ``susie_suff_stat``).

    Parameters
    ----------
    xtx
        ``(p, p)`` ``X'X`` of column-centred ``X``.
    xty
        ``(p,)`` ``X'y`` with ``y`` centred.
    yty
        ``y'y`` (centred), so that ``var(y) = yty / (n - 1)``.
    n
        Sample size.
    max_effects
        ``L``, the number of single effects (1 to 10 is typical; at most ``p`` are used).
    scaled_prior_variance
        Initial ``V_l / var(y)``.
    residual_variance
        Initial (or fixed) ``sigma2``; default ``var(y)``.
    estimate_residual_variance, estimate_prior_variance
        Whether to update ``sigma2`` and ``V_l``.
    prior_weights
        ``(p,)`` prior probabilities that each variable is the effect (normalised here), e.g.
        PolyFun's per-SNP heritabilities; default uniform.
    standardize
        Scale columns to unit variance first (susieR default).

    Returns
    -------
    SusieFit
    """
    xtx = np.asarray(xtx, dtype=np.float64)
    xty = np.asarray(xty, dtype=np.float64)
    p = xty.size
    if xtx.shape != (p, p):
        raise ParameterError(f"xtx must be ({p}, {p}) like xty, got {xtx.shape}.")
    if max_effects < 1 or p == 0:
        raise ParameterError(f"max_effects must be >= 1 and xty non-empty, got {max_effects!r}.")
    if n <= 2:
        raise ParameterError(f"n must be > 2, got {n!r}.")
    var_y = yty / (n - 1.0)
    if standardize:
        csd = np.sqrt(np.diag(xtx) / (n - 1.0))
        csd[csd == 0] = 1.0
        if np.abs(csd - 1.0).max() < 1e-12:
            csd = np.ones(p)  # already standardised (X'X = (n-1) R): no copy of X'X
        else:
            xtx = xtx * (1.0 / csd)[:, None]
            xtx *= (1.0 / csd)[None, :]
        xty = xty / csd
    else:
        csd = np.ones(p)
    d = np.diag(xtx).copy()
    if prior_weights is None:
        pi = np.full(p, 1.0 / p)
    else:
        pi = np.asarray(prior_weights, dtype=np.float64)
        if pi.shape != (p,) or not np.all(np.isfinite(pi)) or (pi < 0).any() or pi.sum() <= 0:
            raise ParameterError(
                f"prior_weights must be {p} finite non-negative numbers, not all 0."
            )
        pi = pi / pi.sum()
    with np.errstate(divide="ignore"):
        log_pi = np.log(pi)
    big_l = min(max_effects, p)  # susieR: L = min(L, p)
    alpha = np.full((big_l, p), 1.0 / p)
    mu = np.zeros((big_l, p))
    mu2 = np.zeros((big_l, p))
    lbf_var = np.zeros((big_l, p))
    lbf = np.zeros(big_l)
    kl = np.zeros(big_l)
    v = np.full(big_l, scaled_prior_variance * var_y)
    sigma2 = float(var_y if residual_variance is None else residual_variance)
    # X'X b_l of each effect, kept so that each update costs one product with X'X (none
    # while b_l stays 0, e.g. effects whose prior variance is 0)
    xtxb = np.zeros((big_l, p))
    xtxr = np.zeros(p)
    elbo = [-np.inf]
    converged = False
    zero_d = d == 0
    for _ in range(max_iter):
        for l_ in range(big_l):
            xtr = xty - (xtxr - xtxb[l_])
            with np.errstate(divide="ignore", invalid="ignore"):
                bhat = np.where(zero_d, 0.0, xtr / d)
                shat2 = np.where(zero_d, np.inf, sigma2 / d)
            ok = ~zero_d
            if estimate_prior_variance:
                v[l_] = _optimise_v(float(v[l_]), bhat[ok], shat2[ok], log_pi[ok])
            lbf_j = np.zeros(p)
            lbf_j[ok] = _lbf(float(v[l_]), bhat[ok], shat2[ok])
            w = lbf_j + log_pi
            lbf_model = float(_logsumexp(w))
            a = np.exp(w - lbf_model)
            with np.errstate(divide="ignore"):
                post_var = 1.0 / (1.0 / v[l_] + d / sigma2) if v[l_] > 0 else np.zeros(p)
            m = post_var * xtr / sigma2
            m2 = post_var + m * m
            alpha[l_], mu[l_], mu2[l_] = a, m, m2
            lbf_var[l_], lbf[l_] = lbf_j, lbf_model
            eb, eb2 = a * m, a * m2
            kl[l_] = -lbf_model - 0.5 / sigma2 * (-2.0 * eb @ xtr + d @ eb2)
            new = xtx @ eb if eb.any() else np.zeros(p)
            xtxr += new - xtxb[l_]
            xtxb[l_] = new
        er2 = _er2(xty, yty, d, alpha, mu, mu2, xtxb, xtxr)
        elbo.append(-0.5 * n * np.log(2 * np.pi * sigma2) - 0.5 / sigma2 * er2 - kl.sum())
        if elbo[-1] - elbo[-2] < tol:
            converged = True
            break
        if estimate_residual_variance:
            sigma2 = er2 / n
            if sigma2 <= 0:
                raise ParameterError(
                    "SuSiE: the estimated residual variance is not positive; the summary "
                    "statistics and the LD matrix disagree (check alleles and sample size)."
                )
    return SusieFit(
        alpha=alpha,
        mu=mu,
        mu2=mu2,
        lbf_variable=lbf_var,
        lbf=lbf,
        prior_variance=v,
        residual_variance=sigma2,
        elbo=np.asarray(elbo[1:]),
        converged=converged,
        scale=csd,
    )


def susie_individual(x: np.ndarray, y: np.ndarray, **kwargs) -> SusieFit:
    """SuSiE on individual-level data with an intercept (susieR ``susie``): ``X`` and ``y``
    centred, then :func:`susie_suff_stat` on ``X'X``, ``X'y``, ``y'y`` (the same IBSS updates
    and ELBO as susieR's individual-level code, computed through the Gram matrix).

    Parameters
    ----------
    x
        ``(n_samples, p)`` genotypes or any covariates (no missing values).
    y
        ``(n_samples,)`` phenotype.
    **kwargs
        As :func:`susie_suff_stat`.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    xc = x - x.mean(axis=0)
    yc = y - y.mean()
    return susie_suff_stat(xc.T @ xc, xc.T @ yc, float(yc @ yc), float(x.shape[0]), **kwargs)


def rss_sufficient_stats(
    r: np.ndarray,
    n: float,
    *,
    z: np.ndarray | None = None,
    bhat: np.ndarray | None = None,
    shat: np.ndarray | None = None,
    var_y: float | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """``X'X``, ``X'y``, ``y'y`` implied by summary statistics (susieR ``susie_rss``).

    With ``bhat``, ``shat`` and ``var_y`` the effects are on the original scale; otherwise
    (``z`` or ``bhat/shat`` alone) on the standardised scale. ``z`` is adjusted for the
    variance it explains: ``adj = (n-1)/(z^2 + n - 2)``.
    """
    if z is None:
        if bhat is None or shat is None:
            raise ParameterError("SuSiE-RSS needs z, or bhat and shat.")
        z = np.asarray(bhat, dtype=np.float64) / np.asarray(shat, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    adj = (n - 1.0) / (z * z + n - 2.0)
    if shat is not None and var_y is not None:
        shat = np.asarray(shat, dtype=np.float64)
        diag = var_y * adj / (shat * shat)
        root = np.sqrt(diag)
        xtx = r * root[:, None] * root[None, :]
        xtx = 0.5 * (xtx + xtx.T)
        return xtx, z * adj * var_y / shat, (n - 1.0) * var_y
    return (n - 1.0) * np.asarray(r, dtype=np.float64), np.sqrt(n - 1.0) * np.sqrt(adj) * z, n - 1.0
