"""Simulated case/control consortia with real linkage disequilibrium and a known truth.

One call simulates a *consortium*: several cohorts of different sizes that share the same causal
variants, for the demo and for every test of association, meta-analysis and loci.

How a consortium is made
------------------------
1. **Ancestry** (msprime). Each chromosome ``1..K`` is simulated separately with
   :func:`msprime.sim_ancestry` (Hudson coalescent with recombination, a hotspot recombination map
   or a uniform rate) under a two-deme demography: demes ``A`` and ``B`` split from an ancestral
   deme ``split_time`` generations ago and exchange migrants since (Fst about 0.01-0.03 with the
   defaults). :func:`msprime.sim_mutations` (Jukes-Cantor, discrete genome) adds mutations; only
   sites with exactly one mutation are kept (biallelic, no recurrent or back mutation). The
   simulated segment is placed at a random offset inside the GRCh37 chromosome, so positions are
   GRCh37-plausible.
2. **Variants.** From the sites polymorphic in the whole simulated population, ``n_variants``
   are drawn: mostly common ones (MAF >= ``min_maf``) and a fraction ``rare_fraction`` of rare ones
   (MAF in [``rare_min_maf``, ``min_maf``)), evenly thinned so that LD is kept between the chosen
   sites. Each variant is named ``chromosome:position:ref:alt`` with ``ref`` the ancestral allele
   (``other_allele``) and ``alt`` the derived one (``effect_allele``, the allele counted, PLINK A1).
   The id stays the same in every cohort even where a cohort stores the alleles swapped
   (``allele_flip_fraction``), as a real cohort would.
3. **Population and ascertainment.** Every individual simulated belongs to one cohort's
   *population*. The liability of each is
   ``sum_j a_j (g_ij - 2 p_j) + subpop_shift * [deme B] + sex_effect * [female]
   + age_effect * (age - 50) / 12 + e``, with ``e`` normal so that the liability variance is 1.
   The planted per-allele liability effects ``a_j`` are solved from the requested odds ratios
   (the per-allele log odds ratio of a logistic fit to the liability-threshold risks at the
   prevalence), so the odds ratio in the truth table is what a logistic regression estimates.
   The top ``prevalence`` fraction of each cohort's population are its cases. A cohort of
   ``n`` samples with case fraction ``c`` at prevalence ``K`` needs a population of
   ``N = max(c n / K, (1 - c) n / (1 - K))`` (plus 2 %), from which its ``c n`` cases and
   ``(1 - c) n`` controls are drawn without replacement: a 1:1 design at ``K = 1/7`` simulates
   3.5 times the sample, a 1:20 design about 1.1 times. ``case_fraction=None`` takes a
   population-based sample (``N = n``, cases at the prevalence). A quantitative trait is the
   same liability with per-allele betas, unascertained.
4. **Genotypes.** Only the chosen individuals' genotypes are materialised (the tree sequence is
   simplified to their nodes), as int8 allele counts; missing calls are then set at the cohort's
   rate (independently per call, after the phenotype).

Speed. msprime simulates the whole population directly (about 5 s for 100,000 diploids on
5 Mb on one core), chromosomes in parallel threads, so no haplotype-resampling fast path is
needed: every individual is a distinct draw from the coalescent, with real LD and no duplicated
haplotypes. Measured with ``bench/bench_simulate.py`` on the 2-core development machine (shared,
so noisy): 2,000 samples x 20,000 variants (1:1, a population of 7,142) in 4-13 s plus 0.4 s
to write; 10,000 x 100,000 (10 chromosomes, a population of 35,702) in 100-215 s plus 7 s to
write, peak memory 2.8 GiB. Genotypes are held as int8 (1 byte a call, 1 GB at 10,000 x
100,000); :meth:`Cohort.dosages` gives float32 for any block of variants.

The whole consortium is a deterministic function of ``seed``: a :class:`numpy.random.Generator`
is seeded with it and draws every msprime ``random_seed``.

Example
-------
>>> spec = ConsortiumSpec(cohorts=(CohortSpec("c1", 400),), n_variants=600, n_chromosomes=2)
>>> consortium = simulate_consortium(spec, seed=1)
>>> consortium.cohorts[0].genotypes.shape
(400, 600)
>>> int(consortium.cohorts[0].n_cases)
200
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import msprime
import numpy as np
import polars as pl
import tskit
from scipy import optimize, special

from gwaskit.build.check import CHROMOSOME_LENGTHS
from gwaskit.engine import LocalEngine
from gwaskit.errors import ParameterError
from gwaskit.io.packed import pack_dosages
from gwaskit.io.tables import atomic_path

log = logging.getLogger(__name__)

#: Missing-call code in the int8 genotype arrays (bed-reader's convention).
MISSING = np.int8(-127)

_DOSAGE_LUT = np.full(256, np.nan, dtype=np.float32)
_DOSAGE_LUT[[0, 1, 2]] = [0.0, 1.0, 2.0]


# --------------------------------------------------------------------------------------------
# Specification
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortSpec:
    """One cohort of a consortium.

    Parameters
    ----------
    name
        Cohort name: file prefix and sample-id prefix (letters, digits, ``_`` and ``-``).
    n_samples
        Samples genotyped (cases + controls for a binary trait).
    case_fraction
        Fraction of cases among the samples (0.5 for 1:1, 1/21 for 1:20); ``None`` for a
        population-based sample (cases at the prevalence). Ignored for a quantitative trait.
    missing_rate
        Probability that a genotype call is missing, independently per call.
    subpop_fraction
        Fraction of the cohort's population drawn from deme ``B`` (the rest from ``A``).
    allele_flip_fraction
        Fraction of variants whose alleles this cohort stores swapped (A1 = ``ref``), to test
        allele harmonisation; the variant id does not change.
    pheno_missing_rate
        Fraction of samples whose phenotype is written as ``-9``.
    """

    name: str
    n_samples: int
    case_fraction: float | None = 0.5
    missing_rate: float = 0.01
    subpop_fraction: float = 0.3
    allele_flip_fraction: float = 0.0
    pheno_missing_rate: float = 0.0


@dataclass(frozen=True)
class ConsortiumSpec:
    """What to simulate; every cohort shares the variants and the causal effects.

    Parameters
    ----------
    cohorts
        The cohorts, each its own individuals.
    n_variants
        Variants per cohort in total, split evenly over the chromosomes.
    n_chromosomes
        Chromosomes ``1..n_chromosomes``, each simulated separately.
    trait
        ``"binary"`` (liability threshold) or ``"quantitative"``.
    prevalence
        Population prevalence of the binary trait (default 1/7, migraine-like).
    odds_ratios
        One single-signal locus per value: the odds ratio per effect allele. For a quantitative
        trait each value ``x`` plants ``beta = ln(x)`` trait SDs per allele.
    two_signal_odds_ratios
        The two odds ratios of the locus with two independent signals in moderate LD
        (``r2`` within ``two_signal_r2``); ``None`` for no such locus.
    heterogeneous_odds_ratios
        One odds ratio per cohort for a locus whose effect differs between cohorts; ``None``
        for no such locus.
    null
        No causal variant at all (for calibration); overrides the three effect options.
    subpop_shift
        Liability (or trait) shift of deme ``B``, in liability SDs: with deme B's allele
        frequencies drifted apart, this confounds a test that ignores ancestry.
    sex_effect, age_effect
        Liability shift of females, and per 12 years of age above 50.
    min_maf, rare_min_maf, rare_fraction
        Common variants have population MAF >= ``min_maf``; a fraction ``rare_fraction`` of
        the variants are rare, MAF in [``rare_min_maf``, ``min_maf``).
    causal_maf
        Population MAF range of the causal variants.
    two_signal_r2
        Range of r^2 (population) between the two causal variants of the two-signal locus.
    variant_spacing_bp
        Mean distance between kept variants; sets the simulated length of each chromosome
        (1 kb: 5,000 variants span 5 Mb). Longer segments cost proportionally more time.
    locus_spacing_bp
        Each causal locus gets a slot of at least this many bp of its chromosome and sits in
        the middle 40 % of it, so loci are at least 0.6 times this apart (1.2 Mb by default):
        a short simulation is lengthened (its variants spread out) to make room.
    recombination
        ``"hotspots"`` (recombination concentrated in 2 kb hotspots about every 100 kb, which
        makes LD blocks) or ``"uniform"``; the mean rate is ``recombination_rate`` per bp.
    effective_size, split_time, migration_rate, mutation_rate
        Demography: each deme and the ancestral deme have ``effective_size`` diploids; demes
        split ``split_time`` generations ago and exchange ``migration_rate`` migrants per
        generation per deme since.
    recent_growth, growth_time
        Each deme grows exponentially ``recent_growth``-fold over the last ``growth_time``
        generations, as human populations did. Off by default (1.0) for speed: with a constant
        ``effective_size`` a cohort population larger than it holds more close relatives than
        a real one (``recent_growth=100`` halves the kinship outliers but runs 5-6 times slower).
    trait_name
        Column name of the trait in the phenotype file.
    build
        Genome build whose chromosome lengths bound the positions (``GRCh37``).
    """

    cohorts: tuple[CohortSpec, ...]
    n_variants: int = 20_000
    n_chromosomes: int = 4
    trait: Literal["binary", "quantitative"] = "binary"
    prevalence: float = 1.0 / 7.0
    odds_ratios: tuple[float, ...] = (1.25, 1.20, 1.15, 1.12, 1.10)
    two_signal_odds_ratios: tuple[float, float] | None = (1.20, 1.15)
    heterogeneous_odds_ratios: tuple[float, ...] | None = None
    null: bool = False
    subpop_shift: float = 0.3
    sex_effect: float = 0.2
    age_effect: float = -0.1
    min_maf: float = 0.01
    rare_min_maf: float = 0.002
    rare_fraction: float = 0.02
    causal_maf: tuple[float, float] = (0.05, 0.5)
    two_signal_r2: tuple[float, float] = (0.1, 0.4)
    variant_spacing_bp: float = 1_000.0
    locus_spacing_bp: float = 2_000_000.0
    recombination: Literal["hotspots", "uniform"] = "hotspots"
    recombination_rate: float = 1e-8
    effective_size: float = 10_000.0
    split_time: float = 400.0
    migration_rate: float = 5e-5
    recent_growth: float = 1.0
    growth_time: float = 100.0
    mutation_rate: float = 1.25e-8
    trait_name: str = "trait"
    build: str = "GRCh37"


def default_spec(
    *,
    n_cohorts: int = 3,
    n_samples: int | tuple[int, ...] = 2_000,
    n_variants: int = 20_000,
    n_chromosomes: int = 4,
    prevalence: float = 1.0 / 7.0,
    case_fraction: float | None = 0.5,
    missing_rate: float | tuple[float, ...] | None = None,
    quantitative: bool = False,
    null: bool = False,
    heterogeneous: bool = False,
) -> ConsortiumSpec:
    """A consortium of ``n_cohorts`` cohorts named ``cohort1..``, as the command line makes it.

    With one ``n_samples``, cohort sizes fall evenly from ``n_samples`` to half of it; with no
    ``missing_rate``, rates rise evenly from 0.5 % to 2 %. ``heterogeneous`` adds a locus with
    odds ratio 1.0 in the first cohort rising to 1.3 in the last.
    """
    if n_cohorts < 1:
        raise ParameterError(f"n_cohorts must be at least 1, got {n_cohorts!r}.")
    if isinstance(n_samples, int):
        sizes = np.linspace(n_samples, n_samples / 2, n_cohorts) if n_cohorts > 1 else [n_samples]
        n_samples = tuple(round(s) for s in sizes)
    if len(n_samples) != n_cohorts:
        raise ParameterError(
            f"n_samples must give one size per cohort ({n_cohorts}), got {len(n_samples)}."
        )
    if missing_rate is None:
        missing_rate = (
            tuple(float(r) for r in np.linspace(0.005, 0.02, n_cohorts))
            if n_cohorts > 1
            else (0.01,)
        )
    elif isinstance(missing_rate, int | float):
        missing_rate = (float(missing_rate),) * n_cohorts
    cohorts = tuple(
        CohortSpec(
            name=f"cohort{k + 1}",
            n_samples=n_samples[k],
            case_fraction=case_fraction,
            missing_rate=missing_rate[k],
            subpop_fraction=float(np.linspace(0.2, 0.4, n_cohorts)[k]) if n_cohorts > 1 else 0.3,
        )
        for k in range(n_cohorts)
    )
    het = tuple(float(x) for x in np.linspace(1.0, 1.3, n_cohorts)) if heterogeneous else None
    return ConsortiumSpec(
        cohorts=cohorts,
        n_variants=n_variants,
        n_chromosomes=n_chromosomes,
        trait="quantitative" if quantitative else "binary",
        prevalence=prevalence,
        heterogeneous_odds_ratios=het,
        null=null,
    )


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Cohort:
    """One simulated cohort, in memory.

    Attributes
    ----------
    name
        Cohort name.
    samples
        Table ``fid, iid, sex`` (sex 1 male, 2 female).
    variants
        Table ``chromosome, base_pair_location, variant_id, effect_allele, other_allele`` of
        this cohort (alleles as stored: swapped where the cohort flips them).
    genotypes
        int8 ``(n_samples, n_variants)`` copies of the effect allele, ``-127`` missing (the
        layout :func:`bed_reader.to_bed` writes). :meth:`dosages` gives float32 with NaN.
    phenotype
        float64 ``(n_samples,)``: 1 control / 2 case for a binary trait, the value for a
        quantitative one; NaN where the phenotype is missing.
    covariates
        Table ``fid, iid, sex, age, subpop`` (subpop 0 = deme A, 1 = deme B).
    liability
        float64 ``(n_samples,)``, the simulated liability (or trait value before missingness).
    flipped
        bool ``(n_variants,)``: variants whose alleles this cohort stores swapped.
    """

    name: str
    samples: pl.DataFrame
    variants: pl.DataFrame
    genotypes: np.ndarray
    phenotype: np.ndarray
    covariates: pl.DataFrame
    liability: np.ndarray
    flipped: np.ndarray
    trait: str
    missing_rate: float
    population_size: int

    @property
    def n_samples(self) -> int:
        return self.genotypes.shape[0]

    @property
    def n_cases(self) -> int:
        return int(np.sum(self.phenotype == 2)) if self.trait == "binary" else 0

    @property
    def n_controls(self) -> int:
        return int(np.sum(self.phenotype == 1)) if self.trait == "binary" else 0

    def dosages(self, variant_index: np.ndarray | slice | None = None) -> np.ndarray:
        """float32 ``(n_samples, n_selected_variants)`` effect-allele dosages, NaN missing."""
        block = self.genotypes if variant_index is None else self.genotypes[:, variant_index]
        return _DOSAGE_LUT[block.view(np.uint8)]


@dataclass(frozen=True, eq=False)
class Consortium:
    """A simulated consortium: the cohorts, the shared variants and the truth.

    Attributes
    ----------
    spec, seed
        What was simulated, and from which seed.
    variants
        Shared variant table (effect allele = alt = derived) with ``effect_allele_frequency``
        (population frequency over every individual simulated) and ``subpop_fst``.
    truth
        One row per causal variant: ``variant_id, chromosome, base_pair_location,
        effect_allele, other_allele, effect_allele_frequency, locus_id, signal, kind,
        odds_ratio, beta, liability_effect, variance_explained, r2_with_lead`` and
        ``beta_<cohort>`` per cohort. ``beta`` is ln(odds ratio) (binary) or the per-allele
        beta in trait SDs (quantitative); for the heterogeneous locus, the mean over cohorts.
        ``liability_effect`` is per allele in liability SDs; ``variance_explained`` is its
        square times 2pq (the effect squared on the standardised genotype scale).
    cohorts
        The cohorts, in spec order.
    """

    spec: ConsortiumSpec
    seed: int
    variants: pl.DataFrame
    truth: pl.DataFrame
    cohorts: tuple[Cohort, ...] = field(default_factory=tuple)

    def cohort(self, name: str) -> Cohort:
        for cohort in self.cohorts:
            if cohort.name == name:
                return cohort
        raise ParameterError(
            f"cohort must be one of {[c.name for c in self.cohorts]}, got {name!r}."
        )


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _check_spec(spec: ConsortiumSpec) -> None:
    def fail(name: str, expectation: str, value: object) -> None:
        raise ParameterError(f"{name} must be {expectation}, got {value!r}.")

    if not spec.cohorts:
        fail("cohorts", "at least one CohortSpec", spec.cohorts)
    names = [c.name for c in spec.cohorts]
    if len(set(names)) != len(names):
        fail("cohort names", "unique", names)
    for c in spec.cohorts:
        if not c.name or not all(ch.isalnum() or ch in "_-" for ch in c.name):
            fail("cohort name", "letters, digits, '_' or '-'", c.name)
        if not isinstance(c.n_samples, int | np.integer) or c.n_samples < 10:
            fail(f"{c.name}: n_samples", "an integer of at least 10", c.n_samples)
        if c.case_fraction is not None and not 0 < c.case_fraction < 1:
            fail(f"{c.name}: case_fraction", "in (0, 1) or None", c.case_fraction)
        if not 0 <= c.missing_rate < 0.5:
            fail(f"{c.name}: missing_rate", "in [0, 0.5)", c.missing_rate)
        if not 0 <= c.subpop_fraction <= 1:
            fail(f"{c.name}: subpop_fraction", "in [0, 1]", c.subpop_fraction)
        if not 0 <= c.allele_flip_fraction <= 1:
            fail(f"{c.name}: allele_flip_fraction", "in [0, 1]", c.allele_flip_fraction)
        if not 0 <= c.pheno_missing_rate < 1:
            fail(f"{c.name}: pheno_missing_rate", "in [0, 1)", c.pheno_missing_rate)
    if spec.trait not in ("binary", "quantitative"):
        fail("trait", "'binary' or 'quantitative'", spec.trait)
    if not 0 < spec.prevalence < 1:
        fail("prevalence", "in (0, 1)", spec.prevalence)
    if not 1 <= spec.n_chromosomes <= 22:
        fail("n_chromosomes", "in 1..22", spec.n_chromosomes)
    if spec.n_variants < 50 * spec.n_chromosomes:
        fail(
            "n_variants", f"at least 50 per chromosome ({50 * spec.n_chromosomes})", spec.n_variants
        )
    effects = list(spec.odds_ratios) + list(spec.two_signal_odds_ratios or ())
    effects += list(spec.heterogeneous_odds_ratios or ())
    if any(not (x > 0 and math.isfinite(x)) for x in effects):
        fail("odds ratios", "positive and finite", effects)
    if spec.two_signal_odds_ratios is not None and len(spec.two_signal_odds_ratios) != 2:
        fail("two_signal_odds_ratios", "two odds ratios", spec.two_signal_odds_ratios)
    if spec.heterogeneous_odds_ratios is not None and len(spec.heterogeneous_odds_ratios) != len(
        spec.cohorts
    ):
        fail(
            "heterogeneous_odds_ratios",
            f"one odds ratio per cohort ({len(spec.cohorts)})",
            spec.heterogeneous_odds_ratios,
        )
    if not 0 < spec.rare_min_maf < spec.min_maf < 0.5:
        fail("rare_min_maf < min_maf", "within (0, 0.5)", (spec.rare_min_maf, spec.min_maf))
    if not 0 <= spec.rare_fraction < 0.5:
        fail("rare_fraction", "in [0, 0.5)", spec.rare_fraction)
    lo, hi = spec.causal_maf
    if not spec.min_maf <= lo < hi <= 0.5:
        fail("causal_maf", f"a range within [{spec.min_maf}, 0.5]", spec.causal_maf)
    lo, hi = spec.two_signal_r2
    if not 0 < lo < hi < 1:
        fail("two_signal_r2", "a range within (0, 1)", spec.two_signal_r2)
    if spec.recombination not in ("hotspots", "uniform"):
        fail("recombination", "'hotspots' or 'uniform'", spec.recombination)
    if spec.build not in CHROMOSOME_LENGTHS:
        fail("build", "GRCh37 or GRCh38", spec.build)
    for name in ("variant_spacing_bp", "recombination_rate", "effective_size", "mutation_rate"):
        if not getattr(spec, name) > 0:
            fail(name, "positive", getattr(spec, name))
    if not spec.recent_growth >= 1 or not 0 < spec.growth_time < spec.split_time:
        fail(
            "recent_growth, growth_time",
            "at least 1, and positive below split_time",
            (spec.recent_growth, spec.growth_time),
        )
    if not spec.locus_spacing_bp >= 0:
        fail("locus_spacing_bp", "non-negative", spec.locus_spacing_bp)
    if spec.split_time <= 0 or spec.migration_rate < 0:
        fail(
            "split_time, migration_rate",
            "positive, non-negative",
            (spec.split_time, spec.migration_rate),
        )


def _population_size(cohort: CohortSpec, spec: ConsortiumSpec) -> tuple[int, int, int]:
    """``(N, n_cases, n_controls)``: the population to simulate for a cohort, and its design."""
    n = int(cohort.n_samples)
    if spec.trait == "quantitative" or cohort.case_fraction is None:
        return n, 0, 0
    n_cases = round(cohort.case_fraction * n)
    n_cases = min(max(n_cases, 1), n - 1)
    n_controls = n - n_cases
    k = spec.prevalence
    need = max(n_cases / k, n_controls / (1.0 - k))
    return math.ceil(need * 1.02) + 2, n_cases, n_controls


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
class _Chromosome:
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


def _simulate_chromosome(
    chrom: str,
    n_target: int,
    n_a: int,
    n_b: int,
    spec: ConsortiumSpec,
    rng: np.random.Generator,
    min_length: float = 0.0,
) -> _Chromosome:
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
    return _Chromosome(
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


def _haplotypes(ts: tskit.TreeSequence, nodes: np.ndarray) -> np.ndarray:
    """``(n_sites, len(nodes))`` derived-allele indicators (int32, as tskit gives them),
    columns in ``nodes`` order."""
    sub = ts.simplify(samples=nodes, filter_sites=False, record_provenance=False)
    return sub.genotype_matrix()


def _site_haplotypes(ts: tskit.TreeSequence, site: int, nodes: np.ndarray) -> np.ndarray:
    variant = tskit.Variant(ts, samples=nodes)
    variant.decode(site)
    return variant.genotypes.astype(np.int8)


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
class _Causal:
    chrom_index: int
    site: int
    locus_id: str
    signal: int
    kind: str
    odds_ratios: tuple[float, ...]  # one per cohort
    r2_with_lead: float


def _n_loci(spec: ConsortiumSpec) -> int:
    if spec.null:
        return 0
    return (
        len(spec.odds_ratios)
        + (spec.two_signal_odds_ratios is not None)
        + (spec.heterogeneous_odds_ratios is not None)
    )


def _pick_causal(
    chromosomes: list[_Chromosome],
    spec: ConsortiumSpec,
    panel_nodes: np.ndarray,
    rng: np.random.Generator,
) -> list[_Causal]:
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
    causal: list[_Causal] = []
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
                causal.append(
                    _Causal(ci, int(candidates[0]), locus_id, 1, kind, effects[0], np.nan)
                )
                continue
            pair = _two_signal_pair(chrom, candidates, spec, panel_nodes, maf, rng)
            if pair is None:
                raise ParameterError(
                    f"could not find two variants with r2 in {spec.two_signal_r2} on chromosome "
                    f"{chrom.name}; simulate more variants or widen two_signal_r2."
                )
            (lead, second, r2) = pair
            causal.append(_Causal(ci, lead, locus_id, 1, kind, effects[0], np.nan))
            causal.append(_Causal(ci, second, locus_id, 2, kind, effects[1], r2))
    return causal


def _two_signal_pair(
    chrom: _Chromosome,
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
    hap = _haplotypes(chrom.ts, panel_nodes)
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
    _check_spec(spec)
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}.")
    rng = np.random.default_rng(int(seed))
    designs = [_population_size(c, spec) for c in spec.cohorts]
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
    # causal loci go round-robin over the chromosomes (as _pick_causal places them)
    loci_per_chrom = np.bincount(
        np.arange(_n_loci(spec)) % spec.n_chromosomes, minlength=spec.n_chromosomes
    )
    # one generator per chromosome, seeded up front: results do not depend on the threads
    chrom_seeds = rng.integers(0, 2**63 - 1, size=spec.n_chromosomes)

    def one_chromosome(k: int) -> _Chromosome:
        chrom_rng = np.random.default_rng(int(chrom_seeds[k]))
        return _simulate_chromosome(
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
    causal = _pick_causal(chromosomes, spec, panel_nodes, rng)

    # causal genotypes for the whole population, and per-allele effects
    all_nodes = individual_nodes.ravel()
    causal_dosage = np.zeros((total_a + total_b, len(causal)), dtype=np.float64)
    freqs = np.zeros(len(causal))
    for j, c in enumerate(causal):
        hap = _site_haplotypes(chromosomes[c.chrom_index].ts, c.site, all_nodes)
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
    chromosomes: list[_Chromosome],
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
        hap = _haplotypes(chrom.ts, nodes)  # (sites, 2n)
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


def _variant_table(chromosomes: list[_Chromosome]) -> pl.DataFrame:
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
    causal: list[_Causal],
    chromosomes: list[_Chromosome],
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


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsortiumPaths:
    """Files written by :func:`write_consortium`."""

    out_dir: Path
    truth: Path
    cohorts_table: Path
    genotypes: dict[str, Path]  # cohort -> .bed
    phenotypes: dict[str, Path]
    covariates: dict[str, Path]


def write_consortium(
    consortium: Consortium, out_dir: str | Path, *, subpop_covariate: bool = False
) -> ConsortiumPaths:
    """Write every cohort's PLINK 1 fileset, phenotype and covariate files, and the tables.

    Files, for each cohort ``C``: ``C.bed/.bim/.fam`` (A1 = the effect allele, the allele
    counted), ``C.pheno`` (``FID IID <trait>``: 1 control, 2 case, or the value; ``-9`` missing)
    and ``C.covar`` (``FID IID sex age``, plus ``subpop`` with ``subpop_covariate``); and
    ``truth.tsv`` and ``cohorts.tsv`` (cohort, path, n_samples, n_cases, n_controls, trait,
    missing_rate). Every file is written under a temporary name and renamed when complete.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"out_dir must be a folder, got the file {str(out_dir)!r}.")
    out_dir.mkdir(parents=True, exist_ok=True)
    trait_name = consortium.spec.trait_name
    bed_paths, pheno_paths, covar_paths = {}, {}, {}
    rows = []
    for cohort in consortium.cohorts:
        prefix = out_dir / cohort.name
        bed = prefix.with_name(cohort.name + ".bed")
        tmp_prefix = out_dir / f".{cohort.name}.{os.getpid()}.tmp"
        tmp_files = [
            tmp_prefix.with_name(tmp_prefix.name + ext) for ext in (".bed", ".bim", ".fam")
        ]
        try:
            _write_plink1(tmp_files, cohort)
            for tmp, ext in zip(tmp_files, (".bed", ".bim", ".fam"), strict=True):
                os.replace(tmp, prefix.with_name(cohort.name + ext))
        finally:
            for tmp in tmp_files:
                tmp.unlink(missing_ok=True)
        pheno = prefix.with_name(cohort.name + ".pheno")
        lines = [f"FID\tIID\t{trait_name}"]
        for fid, iid, value in zip(
            cohort.samples["fid"], cohort.samples["iid"], cohort.phenotype, strict=True
        ):
            lines.append(f"{fid}\t{iid}\t{_format_pheno(value, cohort.trait)}")
        _write_text(pheno, "\n".join(lines) + "\n")
        covar = prefix.with_name(cohort.name + ".covar")
        cov = cohort.covariates if subpop_covariate else cohort.covariates.drop("subpop")
        _write_text(covar, _tsv(cov.rename({"fid": "FID", "iid": "IID"})))
        bed_paths[cohort.name], pheno_paths[cohort.name], covar_paths[cohort.name] = (
            bed,
            pheno,
            covar,
        )
        rows.append(
            {
                "cohort": cohort.name,
                "path": bed.name,
                "n_samples": cohort.n_samples,
                "n_cases": cohort.n_cases,
                "n_controls": cohort.n_controls,
                "trait": cohort.trait,
                "missing_rate": cohort.missing_rate,
            }
        )
    truth = out_dir / "truth.tsv"
    _write_text(truth, _tsv(consortium.truth))
    cohorts_table = out_dir / "cohorts.tsv"
    _write_text(cohorts_table, _tsv(pl.DataFrame(rows)))
    return ConsortiumPaths(out_dir, truth, cohorts_table, bed_paths, pheno_paths, covar_paths)


#: PLINK 1 two-bit codes by copies of A1 (0, 1, 2; 3 = missing): 11, 10, 00, 01.
def _write_plink1(paths: list[Path], cohort: Cohort, block_bytes: int = 64 * 2**20) -> None:
    """Write ``.bed`` (variant-major, A1 counted), ``.bim`` and ``.fam`` to ``paths``, packing
    blocks of variants with :func:`gwaskit.io.packed.pack_dosages` (bed-reader's ``to_bed`` took
    10 s for 4,000 x 6,000 calls here); bed-reader and plink2 read the result (tests).
    """
    n, m = cohort.genotypes.shape
    step = max(1, block_bytes // (4 * max(n, 1)))
    with open(paths[0], "wb") as bed:
        bed.write(b"\x6c\x1b\x01")
        for lo in range(0, m, step):
            block = np.ascontiguousarray(cohort.dosages(slice(lo, lo + step)).T)
            bed.write(pack_dosages(block).tobytes())
    v = cohort.variants
    bim = pl.DataFrame(
        {
            "chromosome": v["chromosome"],
            "variant_id": v["variant_id"],
            "cm": pl.Series([0] * v.height, dtype=pl.Int64),
            "position": v["base_pair_location"],
            "a1": v["effect_allele"],
            "a2": v["other_allele"],
        }
    )
    paths[1].write_text(bim.write_csv(separator="\t", include_header=False))
    pheno = [_format_pheno(x, cohort.trait) for x in cohort.phenotype]
    fam = pl.DataFrame(
        {
            "fid": cohort.samples["fid"],
            "iid": cohort.samples["iid"],
            "father": ["0"] * n,
            "mother": ["0"] * n,
            "sex": cohort.samples["sex"],
            "pheno": pheno,
        }
    )
    paths[2].write_text(fam.write_csv(separator="\t", include_header=False))


def _format_pheno(value: float, trait: str) -> str:
    if not np.isfinite(value) or value == -9:
        return "-9"
    return str(int(value)) if trait == "binary" else f"{value:.6f}"


def _tsv(table: pl.DataFrame) -> str:
    return table.write_csv(separator="\t", null_value="NA", float_precision=6)


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
