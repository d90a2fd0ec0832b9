"""Wakefield ABF credible sets: closed form, calibration, and conditioning on COJO signals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom, norm

from gwaskit.finemap.abf import wakefield_lbf
from gwaskit.finemap.credible import credible_members
from gwaskit.finemap.signals import abf_credible_sets, conditional_abf_sets
from gwaskit.loci.cojo import CojoLocus
from gwaskit.loci.ld import LdPanel


def _ar1(p: int, rho: float) -> np.ndarray:
    i = np.arange(p)
    return rho ** np.abs(i[:, None] - i[None, :])


def test_wakefield_lbf__closed_form():
    # lABF = log N(b; 0, W + V) - log N(b; 0, V): the two-normal ratio Wakefield writes down
    rng = np.random.default_rng(1)
    b = rng.normal(0, 0.1, 200)
    v = rng.uniform(1e-4, 1e-2, 200)
    w = 0.15
    want = norm.logpdf(b, 0, np.sqrt(w * w + v)) - norm.logpdf(b, 0, np.sqrt(v))
    got = wakefield_lbf(b, v, w)
    assert got.size == 200
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_abf_credible_sets__one_causal_closed_form():
    rng = np.random.default_rng(7)
    p, se, w = 60, 0.05, 0.2
    r = _ar1(p, 0.9)
    chol = np.linalg.cholesky(r)
    bhat = r[:, 20] * 0.3 + se * (chol @ rng.standard_normal(p))
    res = abf_credible_sets(bhat, np.full(p, se), prior_sd=w)
    # posterior = p(z | j causal) / sum_k: with a normal prior and z ~ N(R e_j mu, R) this
    # depends on z_j alone; the closed form is a softmax of the two-normal log ratio
    lr = norm.logpdf(bhat, 0, np.sqrt(w * w + se * se)) - norm.logpdf(bhat, 0, se)
    want = np.exp(lr - lr.max()) / np.exp(lr - lr.max()).sum()
    np.testing.assert_allclose(res.posterior, want, rtol=1e-10)
    order = np.argsort(-want)
    k = np.searchsorted(np.cumsum(want[order]), 0.95) + 1
    assert res.sets[0.95].tolist() == order[:k].tolist()
    assert res.sets[0.99].size >= res.sets[0.95].size


def test_abf_credible_sets__calibration():
    """Over repeated one-causal simulations drawn from the ABF's own prior, the 95 % set
    contains the causal variant as often as the sets' claimed coverage says."""
    rng = np.random.default_rng(2026)
    p, se, w, reps = 40, 0.05, 0.1, 600
    chol = np.linalg.cholesky(_ar1(p, 0.8))
    r = _ar1(p, 0.8)
    hits = 0
    claimed = 0.0
    for _ in range(reps):
        causal = rng.integers(p)
        effect = rng.normal(0, w)
        bhat = r[:, causal] * effect + se * (chol @ rng.standard_normal(p))
        res = abf_credible_sets(bhat, np.full(p, se), prior_sd=w, coverages=(0.95,))
        members = res.sets[0.95]
        hits += int(causal in members)
        claimed += float(res.posterior[members].sum())
    rate = claimed / reps
    assert rate >= 0.95
    # binomial 99.9 % interval around the claimed coverage
    lo, hi = binom.ppf([0.0005, 0.9995], reps, rate)
    assert lo <= hits <= hi, (hits, rate * reps)


def test_credible_members__hand_example():
    assert credible_members(np.array([0.05, 0.5, 0.4, 0.05]), 0.9).tolist() == [1, 2]
    assert credible_members(np.array([0.05, 0.5, 0.4, 0.05]), 0.91).tolist() == [1, 2, 0]


def test_conditional_abf_sets__secondary_signal_found():
    rng = np.random.default_rng(11)
    n, p = 3000, 30
    # haplotype-like LD: blocks of correlated genotypes
    latent = rng.standard_normal((n, p)) @ np.linalg.cholesky(_ar1(p, 0.7)).T
    g = (latent > 0.3).astype(float) + (latent > 1.2)
    y = 0.25 * g[:, 5] + 0.2 * g[:, 9] + rng.standard_normal(n)
    gc = g - g.mean(axis=0)
    v = gc.var(axis=0)
    yc = y - y.mean()
    beta = gc.T @ yc / (n * v)
    resid = yc[:, None] - gc * beta
    se = np.sqrt((resid**2).sum(axis=0) / (n - 2) / (n * v))
    panel = LdPanel(x=gc / np.sqrt(v), variance=v, sign=np.ones(p), frequency=g.mean(0) / 2)
    locus = CojoLocus(beta=beta, standard_error=se, n=np.full(p, float(n)), variance=v, panel=panel)
    out = conditional_abf_sets(locus, np.array([5, 9]), prior_sd=0.15)
    assert len(out) == 2
    assert 5 in out[0].sets[0.95] and 9 in out[1].sets[0.95]
    # each signal's posterior excludes the other signal's variant (conditioned on)
    assert out[0].posterior[9] == 0 and out[1].posterior[5] == 0
    assert out[0].posterior.sum() == pytest.approx(1.0)
