"""Ancestry and variants: msprime chromosomes under a two-deme demography, the variants drawn
from them and their haplotypes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import msprime
import numpy as np
import tskit

from gwaskit.build.check import CHROMOSOME_LENGTHS
from gwaskit.errors import ParameterError
from gwaskit.simulate.spec import ConsortiumSpec

# --------------------------------------------------------------------------------------------
# Ancestry and variants
# --------------------------------------------------------------------------------------------


def _demography(spec: ConsortiumSpec) -> msprime.Demography:
    demography = msprime.Demography()
    growth = math.log(spec.recent_growth) / spec.growth_time if spec.recent_growth > 1 else 0.0
    present = spec.effective_size * max(spec.recent_growth, 1.0)
    for name in ("A", "B"):
        demography.add_population(name=name, initial_size=present, growth_rate=growth)
    demography.add_population(name="ANC", initial_size=spec.effective_size)
    if growth:
        for name in ("A", "B"):
            demography.add_population_parameters_change(
                time=spec.growth_time, growth_rate=0.0, population=name
            )
    demography.add_population_split(time=spec.split_time, derived=["A", "B"], ancestral="ANC")
    if spec.migration_rate > 0:
        demography.set_symmetric_migration_rate(["A", "B"], spec.migration_rate)
    return demography


def _recombination_map(
    length: float, spec: ConsortiumSpec, rng: np.random.Generator
) -> msprime.RateMap | float:
    """A uniform rate, or hotspots (60 % of crossovers in 2 kb hotspots, ~1 per 100 kb)."""
    if spec.recombination == "uniform" or length < 20_000:
        return spec.recombination_rate
    n_hot = max(1, int(rng.poisson(length / 100_000)))
    width = 2_000.0
    centres = np.sort(rng.uniform(width, length - width, size=n_hot))
    edges = [0.0]
    for c in centres:
        lo, hi = c - width / 2, c + width / 2
        if lo <= edges[-1]:
            continue
        edges += [lo, hi]
    edges.append(float(length))
    edges_arr = np.asarray(edges)
    is_hot = np.zeros(edges_arr.size - 1, dtype=bool)
    is_hot[1::2] = True
    is_hot[-1] = False
    spans = np.diff(edges_arr)
    total = spec.recombination_rate * length
    hot_span, cold_span = spans[is_hot].sum(), spans[~is_hot].sum()
    rate = np.where(is_hot, 0.6 * total / hot_span, 0.4 * total / cold_span)
    return msprime.RateMap(position=edges_arr, rate=rate)


@dataclass(frozen=True, eq=False)
class Chromosome:
    name: str
    ts: tskit.TreeSequence  # sites = the kept variants only
    offset: int
    positions: np.ndarray  # GRCh37 positions of the kept sites
    ref: np.ndarray
    alt: np.ndarray
    freq: np.ndarray  # derived-allele frequency over the whole population
    freq_b: np.ndarray  # in deme B
    freq_a: np.ndarray  # in deme A


def _derived_counts(
    ts: tskit.TreeSequence,
    sites: np.ndarray,
    nodes: np.ndarray,
    tracked: np.ndarray | None = None,
) -> np.ndarray:
    """Samples (or ``tracked`` samples) under each site's one mutation, one tree seek per site."""
    counts = np.zeros(sites.size, dtype=np.int64)
    if sites.size == 0:
        return counts
    positions = ts.tables.sites.position[sites]
    tree = ts.first(tracked_samples=tracked) if tracked is not None else ts.first()
    count = tree.num_tracked_samples if tracked is not None else tree.num_samples
    for k, (pos, node) in enumerate(zip(positions.tolist(), nodes.tolist(), strict=True)):
        if not tree.interval.left <= pos < tree.interval.right:
            tree.seek(pos)
        counts[k] = count(node)
    return counts


def simulate_chromosome(
    chrom: str,
    n_target: int,
    n_a: int,
    n_b: int,
    spec: ConsortiumSpec,
    rng: np.random.Generator,
    min_length: float = 0.0,
) -> Chromosome:
    """Simulate one chromosome and keep ``n_target`` biallelic sites (common + a few rare)."""
    n_rare = round(spec.rare_fraction * n_target)
    n_common = n_target - n_rare
    theta = 4.0 * spec.effective_size * spec.mutation_rate
    # expected common sites per bp under the standard neutral model: theta * ln((1 - m) / m)
    common_density = theta * math.log((1.0 - spec.min_maf) / spec.min_maf)
    length = max(
        n_target * spec.variant_spacing_bp, 1.3 * n_common / common_density, min_length, 20_000.0
    )
    chrom_length = CHROMOSOME_LENGTHS[spec.build][chrom]
    demography = _demography(spec)
    n_hap = 2 * (n_a + n_b)
    for _attempt in range(4):
        length = float(math.ceil(length))
        if length > chrom_length - 2_000_000:
            raise ParameterError(
                f"n_variants: chromosome {chrom} would need {length / 1e6:.0f} Mb of sequence, "
                f"longer than its {chrom_length / 1e6:.0f} Mb; use more chromosomes, fewer "
                "variants or a smaller variant_spacing_bp."
            )
        seeds = rng.integers(1, 2**31 - 1, size=2)
        rec = _recombination_map(length, spec, rng)
        samples = [msprime.SampleSet(n, population=p) for p, n in (("A", n_a), ("B", n_b)) if n]
        ts = msprime.sim_ancestry(
            samples=samples,
            demography=demography,
            sequence_length=length,
            recombination_rate=rec,
            random_seed=int(seeds[0]),
        )
        ts = msprime.sim_mutations(ts, rate=spec.mutation_rate, random_seed=int(seeds[1]))
        tables = ts.tables
        per_site = np.bincount(tables.mutations.site, minlength=ts.num_sites)
        single = np.flatnonzero(per_site == 1)
        mut_of_site = np.full(ts.num_sites, -1, dtype=np.int64)
        mut_of_site[tables.mutations.site] = np.arange(ts.num_mutations)
        nodes = tables.mutations.node[mut_of_site[single]]
        counts = _derived_counts(ts, single, nodes)
        freq = counts / n_hap
        maf = np.minimum(freq, 1.0 - freq)
        common = single[maf >= spec.min_maf]
        rare = single[(maf >= spec.rare_min_maf) & (maf < spec.min_maf)]
        if common.size >= n_common and rare.size >= n_rare:
            break
        short = max(n_common / max(common.size, 1), n_rare / max(rare.size, 1))
        length *= 1.2 * short
    else:  # pragma: no cover - the density estimate is conservative
        raise ParameterError(f"could not find {n_target} variants on chromosome {chrom}.")
    keep = np.sort(
        np.concatenate([_even_subset(common, n_common, rng), _even_subset(rare, n_rare, rng)])
    )
    ts = ts.delete_sites(np.setdiff1d(np.arange(ts.num_sites), keep), record_provenance=False)
    kept_counts = dict(zip(single.tolist(), counts.tolist(), strict=True))
    freq = np.array([kept_counts[s] for s in keep.tolist()], dtype=np.float64) / n_hap
    # deme frequencies: count again in each deme's sample nodes
    node_pop = ts.tables.nodes.population
    samples_all = ts.samples()
    a_nodes, b_nodes = (
        samples_all[node_pop[samples_all] == 0],
        samples_all[node_pop[samples_all] == 1],
    )
    freq_a = _subset_freq(ts, a_nodes)
    freq_b = _subset_freq(ts, b_nodes)
    offset_max = chrom_length - length - 1_000_000
    offset = int(rng.integers(1_000_000, max(offset_max, 1_000_001)))
    positions = ts.tables.sites.position.astype(np.int64) + offset + 1
    ancestral = np.asarray(
        tskit.unpack_strings(
            ts.tables.sites.ancestral_state, ts.tables.sites.ancestral_state_offset
        )
    )
    derived = np.asarray(
        tskit.unpack_strings(
            ts.tables.mutations.derived_state, ts.tables.mutations.derived_state_offset
        )
    )
    order = np.argsort(ts.tables.mutations.site, kind="stable")
    return Chromosome(
        name=chrom,
        ts=ts,
        offset=offset,
        positions=positions,
        ref=ancestral,
        alt=derived[order],
        freq=freq,
        freq_a=freq_a,
        freq_b=freq_b,
    )


def _subset_freq(ts: tskit.TreeSequence, nodes: np.ndarray) -> np.ndarray:
    """Derived-allele frequency of every site (one mutation each) among ``nodes``."""
    if nodes.size == 0:
        return np.full(ts.num_sites, np.nan)
    mutation_nodes = ts.tables.mutations.node[np.argsort(ts.tables.mutations.site, kind="stable")]
    counts = _derived_counts(ts, np.arange(ts.num_sites), mutation_nodes, tracked=nodes)
    return counts / nodes.size


def _even_subset(sites: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` of ``sites`` spread evenly (one random pick in each of ``k`` equal strata)."""
    if k <= 0:
        return sites[:0]
    edges = np.linspace(0, sites.size, k + 1)
    lo, hi = np.floor(edges[:-1]).astype(np.int64), np.floor(edges[1:]).astype(np.int64)
    hi = np.maximum(hi, lo + 1)
    return sites[lo + (rng.random(k) * (hi - lo)).astype(np.int64)]


def haplotypes(ts: tskit.TreeSequence, nodes: np.ndarray) -> np.ndarray:
    """``(n_sites, len(nodes))`` derived-allele indicators (int32, as tskit gives them),
    columns in ``nodes`` order."""
    sub = ts.simplify(samples=nodes, filter_sites=False, record_provenance=False)
    return sub.genotype_matrix()


def site_haplotypes(ts: tskit.TreeSequence, site: int, nodes: np.ndarray) -> np.ndarray:
    variant = tskit.Variant(ts, samples=nodes)
    variant.decode(site)
    return variant.genotypes.astype(np.int8)
