"""Planted effects: liability effects from odds ratios, the choice of causal variants and
two-signal loci."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from gwaskit.errors import ParameterError
from gwaskit.simulate.ancestry import Chromosome, haplotypes
from gwaskit.simulate.spec import ConsortiumSpec

# --------------------------------------------------------------------------------------------
# Effects
# --------------------------------------------------------------------------------------------


def _logistic_slope(genotype_risk: np.ndarray, weights: np.ndarray) -> float:
    """Per-allele log odds ratio of a weighted logistic fit of risks at g = 0, 1, 2."""
    g = np.array([0.0, 1.0, 2.0])
    x = np.column_stack([np.ones(3), g])
    coef = np.array([special.logit(np.sum(weights * genotype_risk)), 0.0])
    for _ in range(50):
        mu = special.expit(x @ coef)
        grad = x.T @ (weights * (genotype_risk - mu))
        hess = (x * (weights * mu * (1 - mu))[:, None]).T @ x
        step = np.linalg.solve(hess, grad)
        coef = coef + step
        if np.max(np.abs(step)) < 1e-12:
            break
    return float(coef[1])


def liability_effect(odds_ratio: float, frequency: float, prevalence: float) -> float:
    """Per-allele liability effect (liability SDs) whose logistic per-allele odds ratio, under
    the liability-threshold model at ``prevalence``, is ``odds_ratio``.

    The rest of the liability is taken as normal with variance ``1 - a^2 * 2pq``; genotype
    classes are in Hardy-Weinberg proportions at ``frequency`` (of the effect allele).

    >>> round(liability_effect(1.2, 0.3, 1 / 7), 4)
    0.0992
    """
    if odds_ratio == 1.0:
        return 0.0
    p = frequency
    weights = np.array([(1 - p) ** 2, 2 * p * (1 - p), p * p])
    g = np.array([0.0, 1.0, 2.0])
    t = special.ndtri(1.0 - prevalence)
    target = math.log(odds_ratio)

    def gap(a: float) -> float:
        rest = math.sqrt(max(1.0 - a * a * 2 * p * (1 - p), 1e-6))
        risk = special.ndtr((a * (g - 2 * p) - t) / rest)
        return _logistic_slope(risk, weights) - target

    bound = 3.0 * abs(target) + 0.1
    lo, hi = (0.0, bound) if target > 0 else (-bound, 0.0)
    return float(optimize.brentq(gap, lo, hi, xtol=1e-12))


@dataclass(frozen=True)
class Causal:
    chrom_index: int
    site: int
    locus_id: str
    signal: int
    kind: str
    odds_ratios: tuple[float, ...]  # one per cohort
    r2_with_lead: float


def n_loci(spec: ConsortiumSpec) -> int:
    if spec.null:
        return 0
    return (
        len(spec.odds_ratios)
        + (spec.two_signal_odds_ratios is not None)
        + (spec.heterogeneous_odds_ratios is not None)
    )


def pick_causal(
    chromosomes: list[Chromosome],
    spec: ConsortiumSpec,
    panel_nodes: np.ndarray,
    rng: np.random.Generator,
) -> list[Causal]:
    """Place the causal loci: one per slot, slots spread over the chromosomes."""
    n_cohorts = len(spec.cohorts)
    loci: list[tuple[str, tuple[tuple[float, ...], ...]]] = []
    if not spec.null:
        for odds in spec.odds_ratios:
            loci.append(("single", ((odds,) * n_cohorts,)))
        if spec.two_signal_odds_ratios is not None:
            a, b = spec.two_signal_odds_ratios
            loci.append(("two_signal", ((a,) * n_cohorts, (b,) * n_cohorts)))
        if spec.heterogeneous_odds_ratios is not None:
            loci.append(("heterogeneous", (tuple(spec.heterogeneous_odds_ratios),)))
    if not loci:
        return []
    # slots: loci go round-robin over chromosomes; each chromosome is cut into equal slots
    per_chrom: dict[int, list[int]] = {}
    for k in range(len(loci)):
        per_chrom.setdefault(k % len(chromosomes), []).append(k)
    causal: list[Causal] = []
    lo_maf, hi_maf = spec.causal_maf
    placed = 0  # locus ids follow genomic order
    for ci, locus_indices in sorted(per_chrom.items()):
        chrom = chromosomes[ci]
        pos = chrom.positions
        maf = np.minimum(chrom.freq, 1 - chrom.freq)
        span_lo, span_hi = pos[0], pos[-1]
        width = (span_hi - span_lo) / len(locus_indices)
        for slot, k in enumerate(locus_indices):
            kind, effects = loci[k]
            placed += 1
            locus_id = f"L{placed}"
            a = span_lo + width * (slot + 0.3)
            b = span_lo + width * (slot + 0.7)
            candidates = np.flatnonzero((pos >= a) & (pos <= b) & (maf >= lo_maf) & (maf <= hi_maf))
            if candidates.size == 0:
                raise ParameterError(
                    f"n_variants: too few variants on chromosome {chrom.name} to place locus "
                    f"{locus_id} (need a variant with MAF in {spec.causal_maf}); simulate more "
                    "variants or fewer loci."
                )
            rng.shuffle(candidates)
            if kind != "two_signal":
                causal.append(Causal(ci, int(candidates[0]), locus_id, 1, kind, effects[0], np.nan))
                continue
            pair = _two_signal_pair(chrom, candidates, spec, panel_nodes, maf, rng)
            if pair is None:
                raise ParameterError(
                    f"could not find two variants with r2 in {spec.two_signal_r2} on chromosome "
                    f"{chrom.name}; simulate more variants or widen two_signal_r2."
                )
            (lead, second, r2) = pair
            causal.append(Causal(ci, lead, locus_id, 1, kind, effects[0], np.nan))
            causal.append(Causal(ci, second, locus_id, 2, kind, effects[1], r2))
    return causal


def _two_signal_pair(
    chrom: Chromosome,
    candidates: np.ndarray,
    spec: ConsortiumSpec,
    panel_nodes: np.ndarray,
    maf: np.ndarray,
    rng: np.random.Generator,
) -> tuple[int, int, float] | None:
    """A lead and a second causal variant within 150 kb with r^2 in the middle of the range,
    r^2 measured on the dosages of a panel of the simulated population."""
    lo, hi = spec.two_signal_r2
    margin = 0.2 * (hi - lo)  # aim inside the range, so a cohort's sampling noise stays in it
    pos = chrom.positions
    hap = haplotypes(chrom.ts, panel_nodes)
    panel = (hap[:, 0::2] + hap[:, 1::2]).astype(np.float64)  # (sites, panel individuals)
    del hap
    for lead in candidates[:500].tolist():
        near = np.flatnonzero(
            (np.abs(pos - pos[lead]) <= 150_000)
            & (np.arange(pos.size) != lead)
            & (maf >= spec.causal_maf[0])
        )
        if near.size == 0:
            continue
        r2 = _r2_with_first(panel[np.concatenate([[lead], near])])
        ok = np.flatnonzero((r2 >= lo + margin) & (r2 <= hi - margin))
        if ok.size:
            pick = int(rng.choice(ok))
            return lead, int(near[pick]), float(r2[pick])
    return None


def _r2_with_first(dosage: np.ndarray) -> np.ndarray:
    """Squared correlation of rows ``1..`` with row 0 of ``(n_variants, n_samples)``."""
    x = dosage - dosage.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.sum(x * x, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x[1:] @ x[0]) / (norms[1:] * norms[0])
    return np.nan_to_num(r * r)
