"""Tests of gwaskit.simulate: determinism, LD, design, planted truth, structure, files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

from conftest import run_tool
from gwaskit.cli import main
from gwaskit.errors import ParameterError
from gwaskit.io import open_genotypes
from gwaskit.simulate import (
    CohortSpec,
    ConsortiumSpec,
    default_spec,
    liability_effect,
    simulate_consortium,
    write_consortium,
)

SEED = 20240611


@pytest.fixture(scope="module")
def consortium():
    """Two cohorts: a 1:1 one large enough to recover effects, and a 1:20 one with flips."""
    spec = ConsortiumSpec(
        cohorts=(
            CohortSpec("big", 4_000, case_fraction=0.5, missing_rate=0.01, subpop_fraction=0.4),
            CohortSpec(
                "small",
                1_050,
                case_fraction=1 / 21,
                missing_rate=0.02,
                allele_flip_fraction=0.1,
            ),
        ),
        n_variants=6_000,
        n_chromosomes=3,
        odds_ratios=(1.5, 1.3, 1.2),
        two_signal_odds_ratios=(1.2, 1.15),
        heterogeneous_odds_ratios=(1.0, 1.4),
        causal_maf=(0.15, 0.5),
        subpop_shift=0.4,
    )
    return simulate_consortium(spec, seed=SEED)


@pytest.fixture(scope="module")
def written(consortium, tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    return write_consortium(consortium, out, subpop_covariate=True)


def _impute(dosage: np.ndarray) -> np.ndarray:
    """Mean-impute missing dosages per variant (for r^2 and regressions in these tests)."""
    mean = np.nanmean(dosage, axis=0)
    return np.where(np.isnan(dosage), mean, dosage)


def _r2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Column-wise squared correlation of two (n, m) matrices."""
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    return (x * y).sum(0) ** 2 / ((x * x).sum(0) * (y * y).sum(0))


def _logistic(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain Newton-Raphson logistic regression: coefficients and standard errors."""
    beta = np.zeros(x.shape[1])
    for _ in range(30):
        mu = 1 / (1 + np.exp(-(x @ beta)))
        info = (x * (mu * (1 - mu))[:, None]).T @ x
        step = np.linalg.solve(info, x.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta, np.sqrt(np.diag(np.linalg.inv(info)))


def _small_spec(**kwargs) -> ConsortiumSpec:
    base = {
        "cohorts": (CohortSpec("a", 300), CohortSpec("b", 200, missing_rate=0.02)),
        "n_variants": 800,
        "n_chromosomes": 2,
        "odds_ratios": (1.2, 1.1),
        "locus_spacing_bp": 300_000.0,  # loci apart matters only in the module fixture
    }
    return ConsortiumSpec(**{**base, **kwargs})


# ------------------------------------------------------------------------------------------


def test_simulate_consortium__same_seed_gives_byte_identical_files(tmp_path):
    spec = _small_spec(heterogeneous_odds_ratios=(1.0, 1.3))
    # chromosomes run in threads; the files must not depend on how many
    first = write_consortium(simulate_consortium(spec, seed=5, threads=1), tmp_path / "one")
    second = write_consortium(simulate_consortium(spec, seed=5, threads=2), tmp_path / "two")
    other = write_consortium(simulate_consortium(spec, seed=6), tmp_path / "three")
    names = sorted(p.name for p in first.out_dir.iterdir())
    assert names == sorted(p.name for p in second.out_dir.iterdir())
    assert len(names) == 12  # 2 cohorts x (bed, bim, fam, pheno, covar) + truth + cohorts
    for name in names:
        assert (first.out_dir / name).read_bytes() == (second.out_dir / name).read_bytes(), name
    assert (first.out_dir / "a.bed").read_bytes() != (other.out_dir / "a.bed").read_bytes()


def test_simulate_consortium__ld_decays_with_distance(consortium):
    cohort = consortium.cohorts[0]
    variants = consortium.variants
    maf = np.minimum(variants["effect_allele_frequency"], 1 - variants["effect_allele_frequency"])
    common = np.flatnonzero(maf.to_numpy() >= 0.05)
    dosage = _impute(cohort.dosages(common))
    pos = variants["base_pair_location"].to_numpy()[common]
    chrom = variants["chromosome"].to_numpy()[common]
    same = chrom[1:] == chrom[:-1]
    near = _r2(dosage[:, :-1], dosage[:, 1:])[same & (np.diff(pos) < 5_000)]
    # distant pairs: the same variants against those on the next chromosome
    shift = np.roll(np.arange(common.size), common.size // 2)
    far = _r2(dosage, dosage[:, shift])[chrom != chrom[shift]]
    # neighbours within 5 kb share most of their genealogy; unlinked pairs only show sampling
    # noise (about 1/n = 0.00025) plus a little from the deme structure
    assert near.size > 100 and far.size > 100
    assert np.mean(near) > 0.15
    assert np.mean(far) < 0.005
    assert np.mean(near) > 30 * np.mean(far)


def test_simulate_consortium__case_fraction_and_prevalence_as_asked(consortium, written):
    big, small = consortium.cohorts
    assert (big.n_cases, big.n_controls) == (2_000, 2_000)
    assert (small.n_cases, small.n_controls) == (50, 1_000)
    # the population each cohort was drawn from holds enough cases at prevalence 1/7
    k = consortium.spec.prevalence
    assert big.population_size * k >= 2_000
    assert small.population_size * (1 - k) >= 1_000
    # the written phenotype file says the same (1 = control, 2 = case)
    pheno = pl.read_csv(written.phenotypes["small"], separator="\t")
    assert pheno.columns == ["FID", "IID", "trait"]
    assert pheno["trait"].value_counts().sort("trait")["count"].to_list() == [1_000, 50]
    table = pl.read_csv(written.cohorts_table, separator="\t")
    assert table.select("cohort", "n_cases", "n_controls").rows() == [
        ("big", 2_000, 2_000),
        ("small", 50, 1_000),
    ]


def test_simulate_consortium__population_sample_has_the_prevalence():
    """A population-based cohort: cases are at the prevalence, and deme B (shifted liability)
    has more of them than deme A, so the sub-population confounds a naive test."""
    spec = _small_spec(
        cohorts=(CohortSpec("pop", 6_000, case_fraction=None, subpop_fraction=0.5),),
        prevalence=0.2,
        subpop_shift=0.5,
    )
    cohort = simulate_consortium(spec, seed=3).cohorts[0]
    assert cohort.population_size == 6_000
    assert cohort.n_cases == 1_200
    sub = cohort.covariates["subpop"].to_numpy() == 1
    case = cohort.phenotype == 2
    rate_a, rate_b = case[~sub].mean(), case[sub].mean()
    # expected with shift 0.5 SD at prevalence 0.2: about 0.15 vs 0.26; binomial SE ~ 0.007
    assert rate_b - rate_a > 0.07
    # liability variance is 1 by construction (SE of a variance over 6000 draws: ~ 0.02)
    assert cohort.liability.var() == pytest.approx(1.0, abs=0.08)


def test_simulate_consortium__planted_odds_ratios_recovered(consortium):
    cohort = consortium.cohorts[0]
    truth = consortium.truth.filter(pl.col("kind") == "single")
    index = {v: i for i, v in enumerate(consortium.variants["variant_id"])}
    y = (cohort.phenotype == 2).astype(float)
    cov = cohort.covariates
    base = np.column_stack(
        [
            np.ones(cohort.n_samples),
            cov["sex"].to_numpy() == 2,
            (cov["age"].to_numpy() - 50) / 12,
            cov["subpop"].to_numpy(),
        ]
    ).astype(float)
    for row in truth.iter_rows(named=True):
        g = _impute(cohort.dosages([index[row["variant_id"]]]))[:, 0]
        beta, se = _logistic(y, np.column_stack([g, base]))
        # the truth lies within the 99.9 % CI (z 3.29) of a covariate-adjusted logistic fit;
        # the slope is the per-allele log OR of the liability model, which the logistic model
        # approximates to well under one SE at these effect sizes
        assert abs(beta[0] - row["beta"]) < 3.29 * se[0], row
        if row["odds_ratio"] >= 1.3:  # expected z about 5 and 8: found, not just a wide CI
            assert beta[0] / se[0] > 3.0, row


def test_simulate_consortium__quantitative_beta_recovered():
    spec = _small_spec(
        cohorts=(CohortSpec("q", 3_000),),
        trait="quantitative",
        odds_ratios=(math.exp(0.2),),
        causal_maf=(0.25, 0.5),
    )
    consortium = simulate_consortium(spec, seed=11)
    cohort = consortium.cohorts[0]
    assert cohort.n_cases == 0 and cohort.n_samples == 3_000
    row = consortium.truth.filter(pl.col("kind") == "single").row(0, named=True)
    assert row["beta"] == pytest.approx(0.2) and row["odds_ratio"] is None
    j = consortium.variants["variant_id"].to_list().index(row["variant_id"])
    g = _impute(cohort.dosages([j]))[:, 0]
    fit = stats.linregress(g, cohort.phenotype)
    assert abs(fit.slope - 0.2) < 3.29 * fit.stderr  # 99.9 % CI
    assert fit.slope / fit.stderr > 3.0  # expected z about 6 (SE ~ 1 / sqrt(n 2pq) ~ 0.033)


def test_simulate_consortium__two_signal_locus_in_moderate_ld(consortium):
    pair = consortium.truth.filter(pl.col("kind") == "two_signal").sort("signal")
    assert pair["signal"].to_list() == [1, 2]
    assert pair["locus_id"].n_unique() == 1
    r2_panel = pair["r2_with_lead"][1]
    assert 0.1 <= r2_panel <= 0.4
    assert abs(pair["base_pair_location"][0] - pair["base_pair_location"][1]) <= 150_000
    ids = consortium.variants["variant_id"].to_list()
    cols = [ids.index(v) for v in pair["variant_id"]]
    for cohort in consortium.cohorts:
        dosage = _impute(cohort.dosages(cols))
        r2 = float(_r2(dosage[:, :1], dosage[:, 1:])[0])
        # picked within [0.16, 0.34] on a 2,000-person panel; a cohort's estimate moves by
        # about 0.03 (1,050 people), so it stays inside [0.1, 0.4]
        assert 0.1 <= r2 <= 0.4, (cohort.name, r2)


def test_simulate_consortium__loci_are_apart(consortium):
    """Distinct loci on a chromosome are at least 0.6 x locus_spacing_bp apart (1.2 Mb)."""
    leads = consortium.truth.group_by("locus_id").agg(
        pl.col("chromosome").first(), pl.col("base_pair_location").min()
    )
    assert leads.height == 5  # 3 single + two-signal + heterogeneous
    for _, group in leads.group_by("chromosome"):
        pos = np.sort(group["base_pair_location"].to_numpy())
        assert np.all(np.diff(pos) >= 0.6 * consortium.spec.locus_spacing_bp - 150_000)


def test_simulate_consortium__heterogeneous_locus_differs_by_cohort(consortium):
    row = consortium.truth.filter(pl.col("kind") == "heterogeneous").row(0, named=True)
    assert row["beta_big"] == pytest.approx(0.0)
    assert row["beta_small"] == pytest.approx(math.log(1.4))
    assert row["odds_ratio"] == pytest.approx(math.sqrt(1.4))  # geometric mean of the two


def test_simulate_consortium__heterogeneous_effects_planted_per_cohort():
    """A quantitative trait (regression has power at small n): the heterogeneous locus has no
    effect in cohort a and beta 0.3 in cohort b, and each cohort's estimate says so."""
    spec = _small_spec(
        cohorts=(CohortSpec("a", 1_500), CohortSpec("b", 1_500)),
        trait="quantitative",
        odds_ratios=(),
        two_signal_odds_ratios=None,
        heterogeneous_odds_ratios=(1.0, math.exp(0.3)),
        causal_maf=(0.25, 0.5),
    )
    consortium = simulate_consortium(spec, seed=23)
    row = consortium.truth.row(0, named=True)
    assert row["kind"] == "heterogeneous"
    j = consortium.variants["variant_id"].to_list().index(row["variant_id"])
    fits = {}
    for cohort in consortium.cohorts:
        g = _impute(cohort.dosages([j]))[:, 0]
        fits[cohort.name] = stats.linregress(g, cohort.phenotype)
    # 99.9 % CIs (z 3.29) around each cohort's own truth; SE about 0.04, so b's z is about 7
    assert abs(fits["a"].slope) < 3.29 * fits["a"].stderr
    assert abs(fits["b"].slope - 0.3) < 3.29 * fits["b"].stderr
    assert fits["b"].slope / fits["b"].stderr > 4.0


def test_simulate_consortium__subpopulations_differ_in_frequency(consortium):
    cohort = consortium.cohorts[0]
    dosage = cohort.dosages()
    sub = cohort.covariates["subpop"].to_numpy() == 1

    def fst(labels: np.ndarray) -> float:
        # Hudson's estimator averaged as a ratio of sums (Bhatia et al. 2013)
        pa = np.nanmean(dosage[~labels], axis=0) / 2
        pb = np.nanmean(dosage[labels], axis=0) / 2
        na, nb = 2 * (~labels).sum(), 2 * labels.sum()
        num = (pa - pb) ** 2 - pa * (1 - pa) / (na - 1) - pb * (1 - pb) / (nb - 1)
        den = pa * (1 - pb) + pb * (1 - pa)
        return float(np.nansum(num) / np.nansum(den))

    rng = np.random.default_rng(0)
    true_fst = fst(sub)
    random_fst = fst(rng.permutation(sub))
    # demes split 400 generations ago with Ne 10,000 and little migration: Fst about 0.01;
    # a random split of the same people has Fst about 0 (+- 0.0005)
    assert true_fst > 0.004
    assert abs(random_fst) < 0.001
    assert consortium.variants["subpop_fst"].mean() > 0.004


def test_simulate_consortium__missing_rate_as_asked(consortium, written):
    for cohort in consortium.cohorts:
        with open_genotypes(written.genotypes[cohort.name]) as source:
            dosage = source.read()
        n = dosage.size
        rate = np.isnan(dosage).mean()
        se = math.sqrt(cohort.missing_rate * (1 - cohort.missing_rate) / n)
        assert abs(rate - cohort.missing_rate) < 5 * se, (cohort.name, rate)  # binomial, 5 SE


def test_simulate_consortium__null_is_calibrated():
    """No causal variant: a quick allelic test adjusted for the deme gives lambda near 1, while
    ignoring the deme (which shifts the liability and the frequencies) inflates it."""
    spec = _small_spec(
        # a population sample at prevalence 0.3: no 3.5-fold population to simulate
        cohorts=(CohortSpec("n", 3_000, case_fraction=None, subpop_fraction=0.5),),
        prevalence=0.3,
        null=True,
        n_variants=4_000,
        subpop_shift=0.6,
    )
    consortium = simulate_consortium(spec, seed=17)
    assert consortium.truth.height == 0
    cohort = consortium.cohorts[0]
    g = _impute(cohort.dosages())
    y = (cohort.phenotype == 2).astype(float)
    sub = cohort.covariates["subpop"].to_numpy().astype(float)

    def lam(covariates: np.ndarray) -> float:
        q, _ = np.linalg.qr(covariates)
        gr = g - q @ (q.T @ g)
        yr = y - q @ (q.T @ y)
        keep = gr.var(axis=0) > 0
        chi2 = cohort.n_samples * _r2(gr[:, keep], yr[:, None].repeat(keep.sum(), 1))
        return float(np.median(chi2) / stats.chi2.ppf(0.5, 1))

    ones = np.ones((cohort.n_samples, 1))
    adjusted = lam(np.column_stack([ones, sub]))
    naive = lam(ones)
    # the median of 4,000 correlated chi-squares has an SE of about 0.04 here
    assert 0.88 < adjusted < 1.12
    assert naive > adjusted + 0.05


def test_write_consortium__readable_by_open_genotypes(consortium, written):
    for cohort in consortium.cohorts:
        with open_genotypes(written.genotypes[cohort.name]) as source:
            assert (
                source.variants["variant_id"].to_list() == cohort.variants["variant_id"].to_list()
            )
            assert (
                source.variants["effect_allele"].to_list()
                == cohort.variants["effect_allele"].to_list()
            )
            assert source.samples["iid"].to_list() == cohort.samples["iid"].to_list()
            np.testing.assert_array_equal(source.read(), cohort.dosages())
    truth = pl.read_csv(written.truth, separator="\t")
    assert truth["variant_id"].to_list() == consortium.truth["variant_id"].to_list()
    covar = pl.read_csv(written.covariates["big"], separator="\t")
    assert covar.columns == ["FID", "IID", "sex", "age", "subpop"]


def test_write_consortium__flipped_alleles_count_the_other_allele(consortium):
    small = consortium.cohorts[1]
    assert 0.05 < small.flipped.mean() < 0.15
    freq = consortium.variants["effect_allele_frequency"].to_numpy()
    observed = np.nanmean(small.dosages(), axis=0) / 2
    expected = np.where(small.flipped, 1 - freq, freq)
    # 1,050 people, mostly controls: frequencies agree to about 0.01 (sampling + demes)
    assert np.mean(np.abs(observed - expected)) < 0.015
    same = small.variants["variant_id"] == consortium.variants["variant_id"]
    assert same.all()


@pytest.mark.plink2
def test_write_consortium__plink2_reads_the_files(consortium, written, plink2, tmp_path):
    cohort = consortium.cohorts[1]
    prefix = written.genotypes[cohort.name].with_suffix("")
    run_tool([plink2, "--bfile", str(prefix), "--freq", "--out", str(tmp_path / "f")])
    freq = pl.read_csv(tmp_path / "f.afreq", separator="\t")
    assert freq.height == cohort.genotypes.shape[1]
    # plink2 calls A1 (bim column 5) ALT: its ALT frequency is our effect-allele frequency,
    # printed to 6 significant digits
    assert freq["ALT"].to_list() == cohort.variants["effect_allele"].to_list()
    ours = np.nanmean(cohort.dosages(), axis=0) / 2
    np.testing.assert_allclose(freq["ALT_FREQS"].to_numpy(), ours, rtol=1e-5, atol=1e-6)


def test_liability_effect__matches_small_effect_closed_form():
    # for small effects the logistic slope per liability SD is phi(t) / (K (1 - K)) (the
    # derivative of logit(P) at the threshold), so a ~ ln(OR) K (1 - K) / phi(t)
    k = 1 / 7
    t = stats.norm.ppf(1 - k)
    approx = math.log(1.02) * k * (1 - k) / stats.norm.pdf(t)
    assert liability_effect(1.02, 0.3, k) == pytest.approx(approx, rel=0.01)
    assert liability_effect(1.0, 0.3, k) == 0.0
    assert liability_effect(1 / 1.2, 0.3, k) < 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prevalence": 1.5}, "prevalence"),
        ({"n_variants": 10}, "n_variants"),
        ({"heterogeneous_odds_ratios": (1.1,)}, "heterogeneous_odds_ratios"),
        ({"odds_ratios": (0.0,)}, "odds ratios"),
        ({"cohorts": (CohortSpec("a", 100), CohortSpec("a", 100))}, "unique"),
        ({"cohorts": (CohortSpec("a b", 100),)}, "cohort name"),
        ({"cohorts": (CohortSpec("a", 100, case_fraction=1.0),)}, "case_fraction"),
    ],
)
def test_simulate_consortium__bad_spec_raises(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        simulate_consortium(_small_spec(**kwargs), seed=1)


def test_default_spec__sizes_and_rates_spread():
    spec = default_spec(n_cohorts=3, n_samples=2_000)
    assert [c.n_samples for c in spec.cohorts] == [2_000, 1_500, 1_000]
    assert [c.missing_rate for c in spec.cohorts] == pytest.approx([0.005, 0.0125, 0.02])


def test_cli_simulate__writes_files_and_summary(tmp_path, capsys):
    out = tmp_path / "sim"
    argv = ["simulate", "--out", str(out), "--cohorts", "2", "--samples", "300,200"]
    code = main([*argv, "--variants", "600", "--chromosomes", "2", "--seed", "4", "--no-progress"])
    assert code == 0
    shown = capsys.readouterr().out
    assert "cohort1" in shown and "cohort2" in shown
    table = pl.read_csv(out / "cohorts.tsv", separator="\t")
    assert table["n_samples"].to_list() == [300, 200]
    assert table["n_cases"].to_list() == [150, 100]
    assert (out / "cohort2.bed").is_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["--prevalence", "0"],
        ["--case-fraction", "1.5"],
        ["--samples", "10,x"],
        ["--samples", "300,200"],  # 3 cohorts by default
        ["--seed", "-1"],
    ],
)
def test_cli_simulate__bad_arguments_exit_2(tmp_path, capsys, argv):
    out = tmp_path / "sim"
    assert main(["simulate", "--out", str(out), "--variants", "600", *argv]) == 2
    assert "error" in capsys.readouterr().err
    assert not out.exists() or not any(Path(out).iterdir())


def test_simulate_module__doctests_pass():
    import doctest

    import gwaskit.simulate

    result = doctest.testmod(gwaskit.simulate)
    assert result.attempted >= 3 and result.failed == 0
