"""Benchmark: SuSiE-RSS on one locus of many variants (target: 5,000 variants in <= 2 s).

    python bench/finemap.py [--variants 5000] [--samples 2000] [--effects 10]

Data: genotypes of ``--samples`` people at ``--variants`` variants with LD decaying along the
locus (a latent AR(1) Gaussian thresholded at allele frequencies U(0.05, 0.5)), the LD matrix
their correlation; a quantitative trait with 3 causal variants (each explaining ~1 %);
marginal z-scores from the same genotypes (in-sample LD). Times, each the best of
``--repeat`` runs:
  1. the IBSS fit (``susie_suff_stat`` on ``X'X = (n-1) R``), L = ``--effects``
  2. ``susie_rss_region`` with the z-vs-LD check off (fit + credible sets + tables)
  3. the z-vs-LD check alone (eigendecomposition of the block of the 500 largest |z|)
  4. ``susie_rss_region`` with its default checks (Cholesky PSD test of R + 3.)
and prints the credible sets found. The machine is shared: timings are noisy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from gwaskit.finemap.ld_check import z_ld_consistency
from gwaskit.finemap.susie import rss_sufficient_stats, susie_suff_stat
from gwaskit.finemap.tables import susie_rss_region


def simulate(n: int, p: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """LD matrix and z-scores of a locus with 3 causal variants."""
    rho = 0.97
    latent = np.empty((n, p))
    latent[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        latent[:, j] = rho * latent[:, j - 1] + np.sqrt(1 - rho * rho) * rng.standard_normal(n)
    from scipy.stats import norm

    f = rng.uniform(0.05, 0.5, p)
    cut1, cut2 = norm.ppf(1 - f), norm.ppf(1 - f * f)
    g = (latent > cut1).astype(float) + (latent > cut2)
    causal = rng.choice(p, 3, replace=False)
    gs = (g - g.mean(0)) / g.std(0)
    y = gs[:, causal] @ np.full(3, 0.1) + rng.standard_normal(n)
    y = (y - y.mean()) / y.std()
    r = gs.T @ gs / n
    beta = gs.T @ y / n
    se = np.sqrt((1 - beta * beta) / (n - 2))
    return r, beta / se, causal


def best_of(k: int, fn):
    times = []
    for _ in range(k):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=5000)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--effects", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    r, z, causal = simulate(args.samples, args.variants, rng)
    n = float(args.samples)
    print(f"locus: {args.variants} variants, n = {args.samples}, causal {sorted(causal)}")
    xtx, xty, yty = rss_sufficient_stats(r, n, z=z)
    t_fit, fit = best_of(
        args.repeat, lambda: susie_suff_stat(xtx, xty, yty, n, max_effects=args.effects)
    )
    print(f"1. IBSS fit (L = {args.effects}): {t_fit:.3f} s, {fit.n_iter} sweeps")
    region = pl.DataFrame(
        {"variant_id": [f"v{j}" for j in range(args.variants)], "beta": z, "standard_error": 1.0}
    )
    t_region, res = best_of(
        args.repeat,
        lambda: susie_rss_region(region, r, n=n, max_effects=args.effects, z_check="off"),
    )
    print(f"2. susie_rss_region (no z check): {t_region:.3f} s")
    t_check, _ = best_of(1, lambda: z_ld_consistency(z, r, n=n))
    print(f"3. z-vs-LD check: {t_check:.3f} s")
    t_all, _ = best_of(1, lambda: susie_rss_region(region, r, n=n, max_effects=args.effects))
    print(f"4. susie_rss_region with checks: {t_all:.3f} s")
    print(res.sets.select("credible_set", "n_variants", "lead_variant_id", "log10_bf"))


if __name__ == "__main__":
    main()
