"""Simulated cohorts with relatives (siblings and first cousins) in two demes.

Each extended family has two founder grandparents from one deme; their two children each have
children with a founder spouse from the same deme, so the sampled grandchildren are pairs of
siblings (kinship 1/4) and first cousins (kinship 1/16) across the pairs. Founders draw their
alleles from deme frequencies that differ by Balding-Nichols drift of ``fst`` around a common
ancestral frequency; a child gets one random allele from each parent at each variant (variants
are unlinked). The quantitative trait is polygenic (``n_causal`` variants, heritability
``h2``), plus ``n_planted`` larger-effect loci, plus a mean shift of ``deme_shift`` SD in the
second deme: a plain scan on every sample is inflated both by the relatives and by the demes.
Samples come in random order (as in a biobank, relatives are not adjacent).

Balding & Nichols 1995, Genetica 96:3, doi:10.1007/BF01441146.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FamilyCohort:
    """A simulated cohort.

    Attributes
    ----------
    genotypes
        int8 ``(n_samples, n_variants)`` counts of the effect allele.
    chromosomes
        int ``(n_variants,)`` chromosome of each variant, 1-based, sorted.
    phenotype
        float64 ``(n_samples,)``.
    deme
        int ``(n_samples,)`` 0 or 1.
    family
        int ``(n_samples,)`` extended-family number.
    member
        int ``(n_samples,)`` 0-3 within the family: 0 and 1 are siblings, 2 and 3 are siblings,
        the two pairs first cousins.
    unrelated
        bool ``(n_samples,)``: one sample per extended family (member 0).
    planted
        int indices of the larger-effect variants; ``causal`` all causal variants (planted
        included).
    """

    genotypes: np.ndarray
    chromosomes: np.ndarray
    phenotype: np.ndarray
    deme: np.ndarray
    family: np.ndarray
    member: np.ndarray
    unrelated: np.ndarray
    planted: np.ndarray
    causal: np.ndarray


def _founders(rng: np.random.Generator, freq: np.ndarray, n: int) -> np.ndarray:
    """Haplotype pairs ``(n, 2, m)`` of ``n`` founders with allele frequencies ``freq``."""
    return (rng.random((n, 2, freq.size)) < freq).astype(np.int8)


def _child(rng: np.random.Generator, mother: np.ndarray, father: np.ndarray) -> np.ndarray:
    """Haplotype pairs of children ``(k, 2, m)`` of parents ``(k, 2, m)``: one random allele
    from each parent at each (unlinked) variant."""
    k, _, m = mother.shape
    from_m = np.where(rng.random((k, m)) < 0.5, mother[:, 0], mother[:, 1])
    from_f = np.where(rng.random((k, m)) < 0.5, father[:, 0], father[:, 1])
    return np.stack([from_m, from_f], axis=1)


def simulate_families(
    *,
    n_families: int = 500,
    n_variants: int = 20_000,
    n_chromosomes: int = 5,
    fst: float = 0.05,
    h2: float = 0.5,
    n_causal: int = 1_000,
    n_planted: int = 10,
    planted_variance: float = 0.01,
    deme_shift: float = 0.5,
    min_freq: float = 0.05,
    seed: int = 0,
) -> FamilyCohort:
    """Simulate ``n_families`` extended families of 4 sampled grandchildren each (two sibling
    pairs who are first cousins), half of the families in each of two demes.

    ``h2`` is the polygenic heritability (within demes), spread over ``n_causal`` variants;
    each of the ``n_planted`` loci explains ``planted_variance`` of the phenotypic variance.
    """
    if n_families < 2 or n_variants < n_chromosomes or n_causal + n_planted > n_variants:
        raise ValueError("need at least 2 families and more variants than causal ones")
    rng = np.random.default_rng(seed)
    ancestral = rng.uniform(min_freq, 1 - min_freq, n_variants)
    a = ancestral * (1 - fst) / fst
    b = (1 - ancestral) * (1 - fst) / fst
    deme_freq = np.clip(rng.beta(a, b, (2, n_variants)), 0.01, 0.99)
    deme_of_family = np.arange(n_families) % 2
    haplotypes = []
    for d in (0, 1):
        k = int((deme_of_family == d).sum())
        grand = _founders(rng, deme_freq[d], 2 * k).reshape(k, 2, 2, n_variants)
        parents = [_child(rng, grand[:, 0], grand[:, 1]) for _ in range(2)]  # two children
        for parent in parents:
            spouse = _founders(rng, deme_freq[d], k)
            haplotypes += [(d, _child(rng, parent, spouse)) for _ in range(2)]  # two each
    # sample j of family f: order families within each deme as generated
    demes = np.concatenate([np.full(h.shape[0], d) for d, h in haplotypes])
    fam = np.concatenate([np.flatnonzero(deme_of_family == d) for d, _ in haplotypes])
    member = np.concatenate([np.full(h.shape[0], i % 4) for i, (_, h) in enumerate(haplotypes)])
    g = np.concatenate([h.sum(axis=1) for _, h in haplotypes]).astype(np.int8)
    order = rng.permutation(g.shape[0])
    g, demes, fam, member = g[order], demes[order], fam[order], member[order]
    chrom = np.repeat(np.arange(1, n_chromosomes + 1), -(-n_variants // n_chromosomes))[:n_variants]
    causal = np.sort(rng.choice(n_variants, n_causal + n_planted, replace=False))
    planted = np.sort(rng.choice(causal, n_planted, replace=False))
    polygenic = np.setdiff1d(causal, planted)
    p = ancestral
    sd = np.sqrt(2 * p * (1 - p))
    z = (g - 2 * p) / sd
    genetic = z[:, polygenic] @ rng.normal(0, np.sqrt(h2 / n_causal), n_causal)
    planted_effect = z[:, planted] @ (
        np.sqrt(planted_variance) * rng.choice([-1.0, 1.0], n_planted)
    )
    noise_var = max(1 - h2 - n_planted * planted_variance, 0.05)
    y = (
        genetic
        + planted_effect
        + deme_shift * demes
        + rng.normal(0, np.sqrt(noise_var), g.shape[0])
    )
    unrelated = member == 0
    return FamilyCohort(g, chrom, y, demes, fam, member, unrelated, planted, causal)
