"""Generated PLINK 1 filesets for the QC and structure tests: populations with different allele
frequencies (Balding-Nichols), LD from haplotype copying, related pairs, sex, missing calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from bed_reader import to_bed


@dataclass
class Cohort:
    path: Path  # the .bed
    genotypes: np.ndarray  # (n_samples, n_variants) A1 dosages, NaN missing
    population: np.ndarray
    sex: np.ndarray
    phenotype: np.ndarray  # 1 case, 0 control
    relations: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def haplotypes(rng: np.random.Generator, freqs: np.ndarray, n: int, copy_prob: float) -> np.ndarray:
    """``(n, n_variants)`` 0/1 haplotypes; each allele copies its left neighbour with
    probability ``copy_prob`` (LD decaying with distance), else is drawn afresh."""
    m = freqs.size
    fresh = rng.random((n, m)) < freqs
    copy = rng.random((n, m)) < copy_prob
    out = fresh.copy()
    for v in range(1, m):
        out[:, v] = np.where(copy[:, v], out[:, v - 1], fresh[:, v])
    return out.astype(np.int8)


def make_cohort(
    folder: Path,
    *,
    n_per_pop: tuple[int, ...] = (150, 150),
    n_variants: int = 2000,
    n_chromosomes: int = 2,
    fst: float = 0.05,
    copy_prob: float = 0.0,
    missing_rate: float = 0.0,
    n_x: int = 0,
    related: bool = False,
    seed: int = 1,
    name: str = "cohort",
) -> Cohort:
    """Write ``folder/name.bed/.bim/.fam`` and return what was generated."""
    rng = np.random.default_rng(seed)
    ancestral = rng.uniform(0.05, 0.95, n_variants + n_x)
    a = ancestral * (1 - fst) / fst
    b = (1 - ancestral) * (1 - fst) / fst
    blocks, pops = [], []
    for k, n in enumerate(n_per_pop):
        freqs = np.clip(rng.beta(a, b), 0.01, 0.99)
        geno = haplotypes(rng, freqs, n, copy_prob) + haplotypes(rng, freqs, n, copy_prob)
        blocks.append(geno.astype(np.float64))
        pops.append(np.full(n, k))
    g = np.vstack(blocks)
    population = np.concatenate(pops)
    n = g.shape[0]
    sex = rng.integers(1, 3, n)
    relations: dict[str, list[tuple[int, int]]] = {}
    if related:
        # parent-offspring (two parents -> child), full siblings, a duplicate, within pop 0
        def transmit(parent: np.ndarray) -> np.ndarray:
            return (rng.random(parent.shape) < parent / 2).astype(np.float64)

        p1, p2, child, sib1, sib2, dup_src, dup = 0, 1, 2, 3, 4, 5, 6
        g[child] = transmit(g[p1]) + transmit(g[p2])
        g[sib1] = transmit(g[p1]) + transmit(g[p2])
        g[sib2] = transmit(g[p1]) + transmit(g[p2])
        g[dup] = g[dup_src]
        relations = {
            "parent_offspring": [
                (p1, child),
                (p2, child),
                (p1, sib1),
                (p2, sib1),
                (p1, sib2),
                (p2, sib2),
            ],
            "siblings": [(child, sib1), (child, sib2), (sib1, sib2)],
            "duplicate": [(dup_src, dup)],
        }
    if n_x:
        # males are hemizygous on X: one haplotype, coded 0 or 2
        x = slice(n_variants, n_variants + n_x)
        males = sex == 1
        g[males, x] = 2.0 * (rng.random((males.sum(), n_x)) < g[males, x] / 2)
    if missing_rate:
        g[rng.random(g.shape) < missing_rate] = np.nan
    phenotype = (rng.random(n) < 0.4).astype(np.int8)
    m = n_variants + n_x
    chromosome = np.concatenate(
        [np.repeat(np.arange(1, n_chromosomes + 1), -(-n_variants // n_chromosomes))[:n_variants]]
        + ([np.full(n_x, 23)] if n_x else [])
    )
    position = np.zeros(m, dtype=np.int64)
    for c in np.unique(chromosome):
        idx = np.flatnonzero(chromosome == c)
        position[idx] = 1_000_000 + np.cumsum(rng.integers(100, 5000, idx.size))
    path = folder / f"{name}.bed"
    to_bed(
        path,
        g.astype(np.float32),
        properties={
            "fid": [f"F{i}" for i in range(n)],
            "iid": [f"I{i}" for i in range(n)],
            "sex": sex,
            "chromosome": [str(c) for c in chromosome],
            "sid": [f"rs{v + 1}" for v in range(m)],
            "bp_position": position,
            "allele_1": ["A"] * m,
            "allele_2": ["G"] * m,
        },
    )
    return Cohort(path, g, population, sex, phenotype, relations)
