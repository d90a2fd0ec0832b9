"""Case subtypes with shared controls on a simulated consortium (migraine with / without aura).

:func:`simulate_subtypes` gives every sample of a simulated consortium
(:func:`gwaskit.simulate.simulate_consortium`, best with ``null=True``) one of three outcomes,
control, subtype A or subtype B, by a multinomial logistic model with planted loci::

    log P(A | g) / P(control | g) = alpha_a + sum_j beta_aj (g_j - 2 p_j)
    log P(B | g) / P(control | g) = alpha_b + sum_j beta_bj (g_j - 2 p_j)

with ``g_j`` the effect-allele dosage (missing calls at the mean ``2 p_j``). Restricted to
controls and A cases, this is exactly a logistic model with log odds ratio ``beta_aj`` per allele
(and likewise for B), so each subtype's planted log odds ratio is what its case/control
regression estimates. One locus acts on A only (``beta_b = 0``), one on B only, one on both
equally. The intercepts are solved so that the expected subtype fractions are ``fractions``.

Three phenotypes per cohort, written as columns of one phenotype file (1 control, 2 case,
``NA`` not in the analysis): the whole trait (A or B cases against all controls) and each
subtype (its cases against all controls, the other subtype's cases left out). The two subtypes'
analyses share every control, so their estimates correlate at every variant by
:func:`gwaskit.subtypes.correlation.shared_controls_correlation` of the cohorts' case and control
counts (its docstring derives the closed form), which :attr:`SubtypeSimulation.implied_r` holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl
from scipy import optimize

from gwaskit.errors import ParameterError
from gwaskit.io.tables import atomic_path
from gwaskit.simulate import Consortium
from gwaskit.subtypes.correlation import shared_controls_correlation

#: Kinds of planted locus and their (effect on A, effect on B) as multiples of the log OR.
KINDS = {"a_only": (1.0, 0.0), "b_only": (0.0, 1.0), "both": (1.0, 1.0)}


@dataclass(frozen=True)
class SubtypeSimulation:
    """Subtype outcomes of a consortium's samples.

    Attributes
    ----------
    names
        The phenotype names: (whole trait, subtype A, subtype B).
    outcomes
        ``{cohort: int8 (n_samples,)}``: 0 control, 1 subtype A, 2 subtype B.
    truth
        One row per planted locus: ``kind`` (a_only, b_only, both), ``variant_id``,
        ``chromosome``, ``base_pair_location``, ``effect_allele``, ``effect_allele_frequency``,
        ``beta_a``, ``beta_b`` (log odds ratios per effect allele).
    counts
        One row per cohort: ``cohort``, ``n_cases_a``, ``n_cases_b``, ``n_controls``.
    implied_r
        The correlation of the two subtypes' meta-analysed estimates implied by the shared
        controls (inverse-variance weights).
    """

    names: tuple[str, str, str]
    outcomes: dict[str, np.ndarray]
    truth: pl.DataFrame
    counts: pl.DataFrame
    implied_r: float


def with_unlinked_variants(
    consortium: Consortium,
    n_variants: int,
    *,
    chromosome: str = "22",
    spacing_bp: int = 2_500,
    maf: tuple[float, float] = (0.05, 0.5),
    seed: int = 0,
) -> Consortium:
    """``consortium`` with ``n_variants`` more variants in linkage equilibrium appended.

    A simulated genome of a few Mb holds few independent variants (r² between variants decays
    only as ``1 / (4 N_e c)``), while the null correlation of two traits' z-scores is estimated
    from independent variants: its sampling SD is about ``(1 - r²) / sqrt(M_eff)``. Unlinked
    variants stand in for a genome larger than simulated: each draws its genotypes
    independently from Binomial(2, p), with ``p`` uniform over ``maf`` and shared by every
    cohort, at positions ``spacing_bp`` apart on ``chromosome`` (which the consortium must not
    use). They carry no effect.
    """
    if chromosome in set(consortium.variants["chromosome"].to_list()):
        raise ParameterError(
            f"with_unlinked_variants: chromosome {chromosome!r} is already simulated."
        )
    rng = np.random.default_rng(seed)
    freq = rng.uniform(maf[0], maf[1], n_variants)
    pos = (np.arange(n_variants, dtype=np.int64) + 1) * spacing_bp
    pairs = np.array([("A", "G"), ("C", "T"), ("A", "C"), ("G", "T")])
    alleles = pairs[rng.integers(0, len(pairs), n_variants)]
    extra = pl.DataFrame(
        {
            "chromosome": chromosome,
            "base_pair_location": pos,
            "variant_id": [
                f"{chromosome}:{p}:{a}:{b}" for p, (a, b) in zip(pos, alleles, strict=True)
            ],
            "effect_allele": alleles[:, 1],
            "other_allele": alleles[:, 0],
        }
    )
    shared = extra.with_columns(
        effect_allele_frequency=freq,
        frequency_deme_a=freq,
        frequency_deme_b=freq,
        subpop_fst=0.0,
    ).select(consortium.variants.columns)
    cohorts = []
    for cohort in consortium.cohorts:
        calls = rng.binomial(2, freq, (cohort.n_samples, n_variants)).astype(np.int8)
        cohorts.append(
            replace(
                cohort,
                variants=pl.concat([cohort.variants, extra.select(cohort.variants.columns)]),
                genotypes=np.hstack([cohort.genotypes, calls]),
                flipped=np.concatenate([cohort.flipped, np.zeros(n_variants, dtype=bool)]),
            )
        )
    variants = pl.concat([consortium.variants, shared], how="vertical_relaxed")
    return replace(consortium, variants=variants, cohorts=tuple(cohorts))


def _pick_loci(consortium: Consortium, rng: np.random.Generator, maf: tuple[float, float]):
    """One variant per kind, on different chromosomes (else far apart), in the MAF range."""
    variants = consortium.variants.with_row_index("_index")
    freq = variants["effect_allele_frequency"].to_numpy()
    ok = (np.minimum(freq, 1 - freq) >= maf[0]) & (np.minimum(freq, 1 - freq) <= maf[1])
    chromosomes = variants["chromosome"].unique(maintain_order=True).to_list()
    picked = []
    for k in range(len(KINDS)):
        chrom = chromosomes[k % len(chromosomes)]
        on_chrom = variants["chromosome"].to_numpy() == chrom
        candidates = np.flatnonzero(ok & on_chrom)
        if chromosomes.index(chrom) != k:  # sharing a chromosome: keep 5 Mb from the others
            pos = variants["base_pair_location"].to_numpy()
            for other in picked:
                candidates = candidates[np.abs(pos[candidates] - pos[other]) > 5_000_000]
        if candidates.size == 0:
            raise ParameterError(
                f"simulate_subtypes: no variant with MAF in {maf} to plant a locus on "
                f"chromosome {chrom}; simulate more variants or chromosomes."
            )
        picked.append(int(rng.choice(candidates)))
    return picked


def _intercepts(eta_a: np.ndarray, eta_b: np.ndarray, fractions: tuple[float, float]):
    """``alpha_a, alpha_b`` giving mean P(A) and P(B) equal to ``fractions`` over samples."""

    def gap(alpha: np.ndarray) -> np.ndarray:
        la, lb = alpha[0] + eta_a, alpha[1] + eta_b
        top = np.maximum(0.0, np.maximum(la, lb))
        denom = np.exp(-top) + np.exp(la - top) + np.exp(lb - top)
        return np.array(
            [np.mean(np.exp(la - top) / denom), np.mean(np.exp(lb - top) / denom)]
        ) - np.asarray(fractions)

    control = 1.0 - sum(fractions)
    start = np.log(np.asarray(fractions) / control)
    return optimize.fsolve(gap, start, xtol=1e-12)


def simulate_subtypes(
    consortium: Consortium,
    *,
    log_odds_ratio: float = 0.3,
    fractions: tuple[float, float] = (0.25, 0.25),
    names: tuple[str, str, str] = ("trait", "subtype_a", "subtype_b"),
    causal_maf: tuple[float, float] = (0.2, 0.5),
    seed: int = 0,
) -> SubtypeSimulation:
    """Draw subtype outcomes (control, A, B) for every sample of ``consortium``.

    Parameters
    ----------
    consortium
        A simulated consortium; its own phenotype is ignored (simulate it with ``null=True``).
    log_odds_ratio
        Per-allele log odds ratio of each planted locus on the subtype(s) it acts on.
    fractions
        Expected fractions of subtype A and B cases among all samples (the rest are controls).
    names
        Phenotype names: whole trait, subtype A, subtype B.
    causal_maf
        Population minor allele frequency range of the planted variants.
    seed
        Seed of the draws.
    """
    if not (min(fractions) > 0 and sum(fractions) < 1):
        raise ParameterError(
            f"simulate_subtypes: fractions must be positive and sum below 1, got {fractions!r}."
        )
    if len(set(names)) != 3:
        raise ParameterError(f"simulate_subtypes: names must be 3 distinct, got {names!r}.")
    rng = np.random.default_rng(seed)
    picked = _pick_loci(consortium, rng, causal_maf)
    variants = consortium.variants
    freq = variants["effect_allele_frequency"].to_numpy()[picked]
    effects = np.array([KINDS[k] for k in KINDS]) * log_odds_ratio  # (3 loci, 2 subtypes)
    ids = variants["variant_id"].to_numpy()[picked]
    outcomes: dict[str, np.ndarray] = {}
    rows = []
    for cohort in consortium.cohorts:
        # columns by id: a cohort may store a variant's alleles swapped (its dosage counts the
        # other allele then)
        index = {v: i for i, v in enumerate(cohort.variants["variant_id"].to_list())}
        columns = [index[v] for v in ids]
        dosage = cohort.dosages(np.array(columns)).astype(np.float64)
        dosage = np.where(cohort.flipped[columns], 2.0 - dosage, dosage)
        dosage = np.where(np.isnan(dosage), 2.0 * freq, dosage) - 2.0 * freq
        eta = dosage @ effects  # (n_samples, 2)
        alpha = _intercepts(eta[:, 0], eta[:, 1], fractions)
        logits = np.column_stack([np.zeros(len(eta)), alpha[0] + eta[:, 0], alpha[1] + eta[:, 1]])
        prob = np.exp(logits - logits.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)
        draw = rng.random(len(eta))[:, None] > np.cumsum(prob, axis=1)
        outcome = draw.sum(axis=1).astype(np.int8)
        outcomes[cohort.name] = outcome
        rows.append(
            {
                "cohort": cohort.name,
                "n_cases_a": int((outcome == 1).sum()),
                "n_cases_b": int((outcome == 2).sum()),
                "n_controls": int((outcome == 0).sum()),
            }
        )
    counts = pl.DataFrame(rows)
    truth = variants[picked].select(
        "variant_id", "chromosome", "base_pair_location", "effect_allele",
        "effect_allele_frequency",
    ).with_columns(
        kind=pl.Series(list(KINDS)), beta_a=effects[:, 0], beta_b=effects[:, 1]
    ).select("kind", pl.exclude("kind"))  # fmt: skip
    implied = shared_controls_correlation(
        counts["n_cases_a"].to_numpy(), counts["n_cases_b"].to_numpy(),
        counts["n_controls"].to_numpy(),
    )  # fmt: skip
    return SubtypeSimulation(
        names=names, outcomes=outcomes, truth=truth, counts=counts, implied_r=implied
    )


def write_subtype_phenotypes(
    simulation: SubtypeSimulation, consortium: Consortium, out_dir: str | Path
) -> dict[str, Path]:
    """Write ``COHORT.subtypes.pheno`` per cohort (``FID IID <trait> <A> <B>``: 1 control, 2
    case, ``NA`` left out) and ``subtypes_truth.tsv``; return the phenotype paths by cohort."""
    out_dir = Path(out_dir)
    trait, a, b = simulation.names
    paths = {}
    for cohort in consortium.cohorts:
        outcome = simulation.outcomes[cohort.name]
        coded = {
            trait: np.where(outcome == 0, "1", "2"),
            a: np.select([outcome == 0, outcome == 1], ["1", "2"], "NA"),
            b: np.select([outcome == 0, outcome == 2], ["1", "2"], "NA"),
        }
        table = pl.DataFrame({"FID": cohort.samples["fid"], "IID": cohort.samples["iid"], **coded})
        path = out_dir / f"{cohort.name}.subtypes.pheno"
        with atomic_path(path) as tmp:
            table.write_csv(tmp, separator="\t")
        paths[cohort.name] = path
    with atomic_path(out_dir / "subtypes_truth.tsv") as tmp:
        simulation.truth.write_csv(tmp, separator="\t")
    return paths
