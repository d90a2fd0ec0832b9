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

from gwaskit.simulate.consortium import simulate_consortium
from gwaskit.simulate.effects import liability_effect
from gwaskit.simulate.spec import (
    MISSING,
    Cohort,
    CohortSpec,
    Consortium,
    ConsortiumSpec,
    default_spec,
)
from gwaskit.simulate.write import ConsortiumPaths, write_consortium

__all__ = [
    "MISSING",
    "Cohort",
    "CohortSpec",
    "Consortium",
    "ConsortiumPaths",
    "ConsortiumSpec",
    "default_spec",
    "liability_effect",
    "simulate_consortium",
    "write_consortium",
]
