"""The consortium: populations, ascertainment, genotypes with missing calls, the variant and
truth tables."""

from __future__ import annotations

import logging
import math

import numpy as np
import polars as pl

from gwaskit.engine import LocalEngine
from gwaskit.errors import ParameterError
from gwaskit.simulate.ancestry import Chromosome, haplotypes, simulate_chromosome, site_haplotypes
from gwaskit.simulate.effects import Causal, liability_effect, n_loci, pick_causal
from gwaskit.simulate.spec import (
    MISSING,
    Cohort,
    CohortSpec,
    Consortium,
    ConsortiumSpec,
    check_spec,
    population_size,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# The consortium
# --------------------------------------------------------------------------------------------


def simulate_consortium(
    spec: ConsortiumSpec, *, seed: int, threads: int | None = None, progress: bool = True
) -> Consortium:
    """Simulate the cohorts of ``spec``, deterministically from ``seed``.

    Parameters
    ----------
    spec
        What to simulate.
    seed
        Non-negative integer; the same seed and spec give identical arrays and files, whatever
        the number of threads.
    threads
        Chromosomes simulated at once (msprime releases the GIL); ``None``: every core.
    progress
        Show a progress bar over chromosomes.

    Returns
    -------
    Consortium
        Cohorts with int8 genotypes ``(n_samples, n_variants)``, phenotypes and covariates,
        the shared variant table and the truth table.
    """
    check_spec(spec)
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}.")
    rng = np.random.default_rng(int(seed))
    designs = [population_size(c, spec) for c in spec.cohorts]
    pop_sizes = [d[0] for d in designs]
    n_b = [round(c.subpop_fraction * n) for c, n in zip(spec.cohorts, pop_sizes, strict=True)]
    n_a = [n - b for n, b in zip(pop_sizes, n_b, strict=True)]
    total_a, total_b = sum(n_a), sum(n_b)
    log.info(
        "simulating %d chromosomes for a population of %d (%d in deme A, %d in deme B)",
        spec.n_chromosomes,
        total_a + total_b,
        total_a,
        total_b,
    )
    # individuals: msprime puts deme A's individuals first, then deme B's; each cohort takes its
    # share of each deme, in order
    per_chrom = np.full(spec.n_chromosomes, spec.n_variants // spec.n_chromosomes)
    per_chrom[: spec.n_variants % spec.n_chromosomes] += 1
    # causal loci go round-robin over the chromosomes (as pick_causal places them)
    loci_per_chrom = np.bincount(
        np.arange(n_loci(spec)) % spec.n_chromosomes, minlength=spec.n_chromosomes
    )
    # one generator per chromosome, seeded up front: results do not depend on the threads
    chrom_seeds = rng.integers(0, 2**63 - 1, size=spec.n_chromosomes)

    def one_chromosome(k: int) -> Chromosome:
        chrom_rng = np.random.default_rng(int(chrom_seeds[k]))
        return simulate_chromosome(
            str(k + 1),
            int(per_chrom[k]),
            total_a,
            total_b,
            spec,
            chrom_rng,
            min_length=loci_per_chrom[k] * spec.locus_spacing_bp,
        )

    engine = LocalEngine(threads, progress=progress)
    chromosomes = engine.map(
        one_chromosome, range(spec.n_chromosomes), description="simulating chromosomes"
    )
    individual_nodes = chromosomes[0].ts.individuals_nodes  # (n_individuals, 2)
    ind_start_a = np.cumsum([0, *n_a])
    ind_start_b = total_a + np.cumsum([0, *n_b])
    cohort_individuals = [
        np.concatenate(
            [
                np.arange(ind_start_a[k], ind_start_a[k + 1]),
                np.arange(ind_start_b[k], ind_start_b[k + 1]),
            ]
        )
        for k in range(len(spec.cohorts))
    ]
    is_b = np.zeros(total_a + total_b, dtype=bool)
    is_b[total_a:] = True
    panel = rng.permutation(total_a + total_b)[: min(2_000, total_a + total_b)]
    panel_nodes = individual_nodes[np.sort(panel)].ravel()
    causal = pick_causal(chromosomes, spec, panel_nodes, rng)

    # causal genotypes for the whole population, and per-allele effects
    all_nodes = individual_nodes.ravel()
    causal_dosage = np.zeros((total_a + total_b, len(causal)), dtype=np.float64)
    freqs = np.zeros(len(causal))
    for j, c in enumerate(causal):
        hap = site_haplotypes(chromosomes[c.chrom_index].ts, c.site, all_nodes)
        causal_dosage[:, j] = hap[0::2] + hap[1::2]
        freqs[j] = chromosomes[c.chrom_index].freq[c.site]
    n_cohorts = len(spec.cohorts)
    effects = np.zeros((n_cohorts, len(causal)))  # per-allele liability (or trait) effects
    for j, c in enumerate(causal):
        for k in range(n_cohorts):
            odds = c.odds_ratios[k]
            effects[k, j] = (
                math.log(odds)
                if spec.trait == "quantitative"
                else liability_effect(odds, freqs[j], spec.prevalence)
            )

    cohorts = []
    for k, cspec in enumerate(spec.cohorts):
        cohorts.append(
            _make_cohort(
                cspec,
                spec,
                designs[k],
                cohort_individuals[k],
                individual_nodes,
                is_b,
                causal_dosage,
                freqs,
                effects[k],
                chromosomes,
                rng,
            )
        )
    variants = _variant_table(chromosomes)
    truth = _truth_table(causal, chromosomes, freqs, effects, spec)
    return Consortium(
        spec=spec, seed=int(seed), variants=variants, truth=truth, cohorts=tuple(cohorts)
    )


def _make_cohort(
    cspec: CohortSpec,
    spec: ConsortiumSpec,
    design: tuple[int, int, int],
    individuals: np.ndarray,
    individual_nodes: np.ndarray,
    is_b: np.ndarray,
    causal_dosage: np.ndarray,
    freqs: np.ndarray,
    effects: np.ndarray,
    chromosomes: list[Chromosome],
    rng: np.random.Generator,
) -> Cohort:
    pop_n, n_cases, n_controls = design
    n = individuals.size
    female = rng.random(n) < 0.5
    age = np.clip(np.round(rng.normal(50.0, 12.0, size=n)), 18, 90)
    sub_b = is_b[individuals]
    genetic = (causal_dosage[individuals] - 2 * freqs) @ effects if effects.size else np.zeros(n)
    fixed = (
        genetic
        + spec.subpop_shift * sub_b
        + spec.sex_effect * female
        + spec.age_effect * (age - 50.0) / 12.0
    )
    frac_b = cspec.subpop_fraction
    explained = (
        float(np.sum(effects**2 * 2 * freqs * (1 - freqs)))
        + spec.subpop_shift**2 * frac_b * (1 - frac_b)
        + spec.sex_effect**2 / 4
        + spec.age_effect**2
    )
    if explained >= 0.9:
        raise ParameterError(
            f"effects: the planted effects and covariates explain {explained:.2f} of the "
            "liability variance; it must stay below 0.9. Use smaller effects."
        )
    liability = fixed + rng.normal(0.0, math.sqrt(1.0 - explained), size=n)
    if spec.trait == "quantitative":
        chosen = np.arange(n)
        phenotype = liability.copy()
    else:
        n_pop_cases = round(spec.prevalence * pop_n)
        order = np.argsort(-liability, kind="stable")
        is_case = np.zeros(n, dtype=bool)
        is_case[order[:n_pop_cases]] = True
        if n_cases == 0:  # population-based sample
            chosen = np.arange(n)
        else:
            cases = rng.choice(np.flatnonzero(is_case), size=n_cases, replace=False)
            controls = rng.choice(np.flatnonzero(~is_case), size=n_controls, replace=False)
            chosen = np.concatenate([cases, controls])
        phenotype = np.where(is_case, 2.0, 1.0)
    chosen = rng.permutation(chosen)
    phenotype = phenotype[chosen].astype(np.float64)
    if cspec.pheno_missing_rate > 0:
        phenotype[rng.random(chosen.size) < cspec.pheno_missing_rate] = np.nan
    nodes = individual_nodes[individuals[chosen]].ravel()
    n_variants = sum(chrom.ts.num_sites for chrom in chromosomes)
    genotypes = np.empty((chosen.size, n_variants), dtype=np.int8)
    start = 0
    for chrom in chromosomes:  # one chromosome's int32 haplotypes at a time
        hap = haplotypes(chrom.ts, nodes)  # (sites, 2n)
        genotypes[:, start : start + hap.shape[0]] = (hap[:, 0::2] + hap[:, 1::2]).T
        start += hap.shape[0]
        del hap
    flipped = rng.random(n_variants) < cspec.allele_flip_fraction
    if flipped.any():
        genotypes[:, flipped] = 2 - genotypes[:, flipped]
    _set_missing(genotypes, cspec.missing_rate, rng)
    iid = np.array([f"{cspec.name}_{i + 1:06d}" for i in range(chosen.size)])
    sex = np.where(female[chosen], 2, 1).astype(np.int8)
    samples = pl.DataFrame(
        {"fid": iid, "iid": iid, "sex": sex},
        schema={"fid": pl.String, "iid": pl.String, "sex": pl.Int8},
    )
    covariates = pl.DataFrame(
        {
            "fid": iid,
            "iid": iid,
            "sex": sex,
            "age": age[chosen].astype(np.int64),
            "subpop": sub_b[chosen].astype(np.int8),
        }
    )
    shared = _variant_table(chromosomes).select(
        "chromosome", "base_pair_location", "variant_id", "effect_allele", "other_allele"
    )
    flip = pl.Series(flipped)
    variants = shared.with_columns(
        effect_allele=pl.when(flip).then(pl.col("other_allele")).otherwise(pl.col("effect_allele")),
        other_allele=pl.when(flip).then(pl.col("effect_allele")).otherwise(pl.col("other_allele")),
    )
    return Cohort(
        name=cspec.name,
        samples=samples,
        variants=variants,
        genotypes=genotypes,
        phenotype=phenotype,
        covariates=covariates,
        liability=liability[chosen],
        flipped=flipped,
        trait=spec.trait,
        missing_rate=cspec.missing_rate,
        population_size=pop_n,
    )


def _set_missing(genotypes: np.ndarray, rate: float, rng: np.random.Generator) -> None:
    """Set each call missing with probability ``rate``, independently (geometric skips)."""
    if rate <= 0:
        return
    flat = genotypes.reshape(-1)
    total = flat.size
    position = -1
    chunk = int(total * rate * 1.1) + 1_000
    while True:
        gaps = rng.geometric(rate, size=chunk)
        hits = position + np.cumsum(gaps)
        inside = hits[hits < total]
        flat[inside] = MISSING
        if inside.size < hits.size:
            return
        position = int(hits[-1])


def _variant_table(chromosomes: list[Chromosome]) -> pl.DataFrame:
    frames = []
    for chrom in chromosomes:
        ids = [
            f"{chrom.name}:{p}:{r}:{a}"
            for p, r, a in zip(chrom.positions.tolist(), chrom.ref, chrom.alt, strict=True)
        ]
        pa, pb = chrom.freq_a, chrom.freq_b
        pbar = (pa + pb) / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            fst = np.where(pbar * (1 - pbar) > 0, (pa - pb) ** 2 / 4 / (pbar * (1 - pbar)), 0.0)
        frames.append(
            pl.DataFrame(
                {
                    "chromosome": chrom.name,
                    "base_pair_location": chrom.positions,
                    "variant_id": ids,
                    "effect_allele": chrom.alt,
                    "other_allele": chrom.ref,
                    "effect_allele_frequency": chrom.freq,
                    "frequency_deme_a": pa,
                    "frequency_deme_b": pb,
                    "subpop_fst": fst,
                },
                schema_overrides={"chromosome": pl.String, "base_pair_location": pl.Int64},
            )
        )
    return pl.concat(frames)


def _truth_table(
    causal: list[Causal],
    chromosomes: list[Chromosome],
    freqs: np.ndarray,
    effects: np.ndarray,
    spec: ConsortiumSpec,
) -> pl.DataFrame:
    binary = spec.trait == "binary"
    columns: dict[str, list] = {
        name: []
        for name in (
            "variant_id",
            "chromosome",
            "base_pair_location",
            "effect_allele",
            "other_allele",
            "effect_allele_frequency",
            "locus_id",
            "signal",
            "kind",
            "odds_ratio",
            "beta",
            "liability_effect",
            "variance_explained",
            "r2_with_lead",
        )
    }
    per_cohort: dict[str, list] = {f"beta_{c.name}": [] for c in spec.cohorts}
    for j, c in enumerate(causal):
        chrom = chromosomes[c.chrom_index]
        pos, ref, alt = int(chrom.positions[c.site]), chrom.ref[c.site], chrom.alt[c.site]
        betas = [math.log(x) for x in c.odds_ratios]
        mean_beta = float(np.mean(betas))
        columns["variant_id"].append(f"{chrom.name}:{pos}:{ref}:{alt}")
        columns["chromosome"].append(chrom.name)
        columns["base_pair_location"].append(pos)
        columns["effect_allele"].append(str(alt))
        columns["other_allele"].append(str(ref))
        columns["effect_allele_frequency"].append(float(freqs[j]))
        columns["locus_id"].append(c.locus_id)
        columns["signal"].append(c.signal)
        columns["kind"].append(c.kind)
        columns["odds_ratio"].append(math.exp(mean_beta) if binary else None)
        columns["beta"].append(mean_beta)
        columns["liability_effect"].append(float(np.mean(effects[:, j])))
        # share of the liability (or trait) variance: a^2 2pq, i.e. the effect squared on the
        # standardised genotype scale, averaged over cohorts
        two_pq = 2 * freqs[j] * (1 - freqs[j])
        columns["variance_explained"].append(float(np.mean(effects[:, j] ** 2) * two_pq))
        columns["r2_with_lead"].append(None if math.isnan(c.r2_with_lead) else c.r2_with_lead)
        for k, cs in enumerate(spec.cohorts):
            per_cohort[f"beta_{cs.name}"].append(betas[k])
    schema = {
        "variant_id": pl.String,
        "chromosome": pl.String,
        "base_pair_location": pl.Int64,
        "effect_allele": pl.String,
        "other_allele": pl.String,
        "effect_allele_frequency": pl.Float64,
        "locus_id": pl.String,
        "signal": pl.Int64,
        "kind": pl.String,
        "odds_ratio": pl.Float64,
        "beta": pl.Float64,
        "liability_effect": pl.Float64,
        "variance_explained": pl.Float64,
        "r2_with_lead": pl.Float64,
        **{name: pl.Float64 for name in per_cohort},
    }
    return pl.DataFrame({**columns, **per_cohort}, schema=schema)
