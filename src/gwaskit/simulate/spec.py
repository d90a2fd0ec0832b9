"""Specification of a simulated consortium (cohorts, trait, loci), its checks, and the
simulated cohorts and consortium it yields."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from gwaskit.build.check import CHROMOSOME_LENGTHS
from gwaskit.errors import ParameterError

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


def check_spec(spec: ConsortiumSpec) -> None:
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


def population_size(cohort: CohortSpec, spec: ConsortiumSpec) -> tuple[int, int, int]:
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
