"""gwaskit's models against plink2 --glm run in the test on the same generated files.

Data: 2,400 samples, a 1:20 case/control design, 4 covariates (3 continuous, 1 binary),
1.5% missing calls, common and rare variants and a few separated ones (carriers only among the
controls or only among the cases), so that plink2's Firth fallback is exercised.

Tolerances, and why:
* plink2 prints 6 significant digits (relative rounding <= 5e-6), and fits logistic regression
  in single precision (float32, convergence when the summed step < 1e-4). Logistic rows: beta
  and SE within 1e-4 relative or 2e-6 absolute (for betas near 0, where a relative bound means
  nothing), |delta -log10 p| <= 1e-3.
* plink2 2.00a3.5's Firth regression is single precision with logistf's convergence thresholds
  (xconv = gconv = 1e-4), so its Firth estimates are only good to ~1e-3 relative; ours converge
  to 1e-8 in double precision and match an independent optimiser of the penalised likelihood to
  1e-6 (test_assoc_models). Firth rows: beta within 3e-3 relative or 1e-4 absolute, SE within
  1e-3 relative, |delta -log10 p| <= 2e-3.
* Linear regression is double precision in plink2: beta, SE within 1e-4 relative (1e-6 abs),
  |delta -log10 p| <= 1e-3.
* Firth decisions (plink2's FIRTH? column): the same on >= 99% of variants.
"""

from __future__ import annotations

import numpy as np
import pytest

from assoc_helpers import read_plink2_glm, simulate_genotypes, write_bed, write_table
from conftest import run_tool
from gwaskit.assoc.scan import ScanOptions, run_scan

N = 2400


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    rng = np.random.default_rng(20240601)
    folder = tmp_path_factory.mktemp("plink2_cohort")
    mafs = np.concatenate([rng.uniform(0.05, 0.5, 140), rng.uniform(0.002, 0.012, 60)])
    g = simulate_genotypes(rng, N, mafs, missing_rate=0.015)
    covar = np.column_stack(
        [rng.normal(50, 10, N), rng.normal(size=N), rng.normal(size=N), rng.integers(0, 2, N)]
    )
    eta = -3.6 + (covar[:, 0] - 50) * 0.02 + 0.3 * covar[:, 1] + 0.4 * covar[:, 3]
    eta = eta + 0.5 * np.nan_to_num(g[:, 0]) + 0.8 * np.nan_to_num(g[:, 150])
    case = rng.random(N) < 1 / (1 + np.exp(-eta))
    cases, controls = np.flatnonzero(case), np.flatnonzero(~case)
    for j, who in ((195, controls), (196, controls), (197, cases), (198, controls)):
        g[:, j] = 0.0
        g[rng.choice(who, 2 + j % 3, replace=False), j] = 1.0
    quant = covar @ [0.01, 0.5, -0.2, 0.3] + 0.15 * np.nan_to_num(g[:, 1]) + rng.normal(size=N)
    iid = write_bed(folder / "c", g)
    write_table(folder / "pheno.txt", iid, {"CC": case + 1.0, "Q": quant})
    write_table(
        folder / "covar.txt",
        iid,
        {"AGE": covar[:, 0], "PC1": covar[:, 1], "PC2": covar[:, 2], "SEX": covar[:, 3]},
    )
    return folder


def _plink2(plink2, folder, pheno, glm, out):
    run_tool(
        [
            plink2, "--bfile", str(folder / "c"), "--pheno", str(folder / "pheno.txt"),
            "--pheno-name", pheno, "--covar", str(folder / "covar.txt"), "--glm", *glm,
            "hide-covar", "cols=+firth,+err,+beta", "--threads", "1", "--out", str(folder / out),
        ]
    )  # fmt: skip


def _ours(folder, pheno, **options):
    return run_scan(
        folder / "c.bed",
        folder / "pheno.txt",
        pheno_name=pheno,
        covar=folder / "covar.txt",
        options=ScanOptions(**options),
        progress=False,
        threads=1,
    ).sumstats


def _compare(ours, ref, rows, beta_rel, beta_abs, se_rel, dp, *, min_rows):
    """Compare the rows selected by the mask; at least ``min_rows`` of them (an empty
    selection would pass every tolerance)."""
    n = int(np.count_nonzero(rows))
    assert n >= min_rows, (n, min_rows)
    b, rb = ours["beta"].to_numpy()[rows], ref["beta_effect"].to_numpy()[rows]
    s, rs = ours["standard_error"].to_numpy()[rows], ref["SE"].to_numpy()[rows]
    p = ours["neg_log_10_p_value"].to_numpy()[rows]
    rp = -np.log10(ref["P"].to_numpy()[rows])
    assert np.all(np.abs(b - rb) <= beta_rel * np.abs(rb) + beta_abs), np.max(
        np.abs(b - rb) / np.maximum(np.abs(rb), 1e-12)
    )
    assert np.all(np.abs(s - rs) <= se_rel * rs), np.max(np.abs(s - rs) / rs)
    assert np.all(np.abs(p - rp) <= dp), np.max(np.abs(p - rp))


def _same_failures(ours, ref):
    ours_na = ours["beta"].is_null().to_numpy()
    ref_na = ref["beta_effect"].is_null().to_numpy()
    np.testing.assert_array_equal(ours_na, ref_na)
    return ~ours_na


@pytest.mark.plink2
def test_logistic_block__firth_fallback_matches_plink2(plink2, cohort):
    _plink2(plink2, cohort, "CC", ["firth-fallback"], "ff")
    ref = read_plink2_glm(cohort / "ff.CC.glm.logistic.hybrid")
    ours = _ours(cohort, "CC", test="wald", firth_fallback=True)
    ok = _same_failures(ours, ref)
    firth_ref = (ref["FIRTH?"] == "Y").to_numpy()
    firth_ours = (ours["method"] == "firth").to_numpy()
    assert firth_ref.sum() >= 5  # the design does exercise the fallback
    n_cases = ours["n_cases"].max()
    assert 1 / 25 < n_cases / (N - n_cases) < 1 / 15  # about 1:20
    assert np.mean(firth_ref[ok] == firth_ours[ok]) >= 0.99
    same = ok & (firth_ref == firth_ours)
    _compare(ours, ref, same & ~firth_ref, 1e-4, 2e-6, 1e-4, 1e-3, min_rows=150)
    _compare(ours, ref, same & firth_ref, 1e-3, 1e-5, 5e-4, 1e-3, min_rows=5)
    assert set(ours["reason"].drop_nulls()) <= {"CONST_GENO"}


@pytest.mark.plink2
def test_logistic_block__forced_firth_matches_plink2(plink2, cohort):
    _plink2(plink2, cohort, "CC", ["firth"], "fi")
    ref = read_plink2_glm(cohort / "fi.CC.glm.firth")
    ours = _ours(cohort, "CC", test="firth")
    ok = _same_failures(ours, ref)
    assert (ours["method"].to_numpy()[ok] == "firth").all()
    _compare(ours, ref, ok, 1e-3, 1e-5, 5e-4, 1e-3, min_rows=190)


@pytest.mark.plink2
def test_linear_block__matches_plink2(plink2, cohort):
    _plink2(plink2, cohort, "Q", [], "li")
    ref = read_plink2_glm(cohort / "li.Q.glm.linear")
    ours = _ours(cohort, "Q")
    ok = _same_failures(ours, ref)
    np.testing.assert_array_equal(ours["n"].to_numpy()[ok], ref["OBS_CT"].to_numpy()[ok])
    _compare(ours, ref, ok, 1e-4, 1e-6, 1e-4, 1e-3, min_rows=190)


# -- chromosome X: sex as a covariate, unknown sex left out, pseudo-autosomal region diploid --

N_X = 1500


@pytest.fixture(scope="module")
def x_cohort(tmp_path_factory):
    """PAR1 variants coded XY (diploid in males), X variants outside it (males hemizygous,
    stored as homozygous 0/2, as plink2 writes them), then chromosome 1; 25 samples of
    unknown sex; a trait that depends on sex, so leaving sex out would bias the X tests."""
    rng = np.random.default_rng(7)
    folder = tmp_path_factory.mktemp("plink2_x")
    sex = rng.integers(1, 3, N_X)
    male = sex == 1
    n_par, n_x, n_auto = 10, 30, 10
    mafs = rng.uniform(0.05, 0.5, n_par + n_x + n_auto)
    g = simulate_genotypes(rng, N_X, mafs, missing_rate=0.01)
    hemi = 2.0 * rng.binomial(1, mafs[n_par : n_par + n_x], (N_X, n_x))
    x_cols = slice(n_par, n_par + n_x)
    g[:, x_cols] = np.where(male[:, None] & ~np.isnan(g[:, x_cols]), hemi, g[:, x_cols])
    covar = rng.normal(size=(N_X, 2))
    signal = 0.4 * np.nan_to_num(g[:, n_par]) + 0.6 * male + 0.3 * covar[:, 0]
    case = rng.random(N_X) < 1 / (1 + np.exp(-(-1.0 + signal)))
    quant = signal + rng.normal(size=N_X)
    sex[rng.choice(N_X, 25, replace=False)] = 0
    iid = write_bed(folder / "x", g)
    chromosome = ["XY"] * n_par + ["X"] * n_x + ["1"] * n_auto
    position = np.r_[np.arange(n_par) * 200_000 + 100_000, np.arange(n_x + n_auto) * 1000 + 3e6]
    bim = (folder / "x.bim").read_text().splitlines()
    (folder / "x.bim").write_text(
        "".join(
            f"{c}\t{line.split()[1]}\t0\t{int(p)}\t{line.split()[4]}\t{line.split()[5]}\n"
            for c, p, line in zip(chromosome, position, bim, strict=True)
        )
    )
    fam = (folder / "x.fam").read_text().splitlines()
    (folder / "x.fam").write_text(
        "".join(
            " ".join([*line.split()[:4], str(s), "-9"]) + "\n"
            for s, line in zip(sex, fam, strict=True)
        )
    )
    write_table(folder / "pheno.txt", iid, {"CC": case + 1.0, "Q": quant})
    write_table(folder / "covar.txt", iid, {"C1": covar[:, 0], "C2": covar[:, 1]})
    return folder


@pytest.mark.plink2
@pytest.mark.parametrize(("pheno", "suffix"), [("CC", "logistic.hybrid"), ("Q", "linear")])
def test_scan__chromosome_x_matches_plink2(plink2, x_cohort, pheno, suffix):
    run_tool(
        [
            plink2, "--bfile", str(x_cohort / "x"), "--pheno", str(x_cohort / "pheno.txt"),
            "--pheno-name", pheno, "--covar", str(x_cohort / "covar.txt"), "--glm",
            "hide-covar", "cols=+firth,+err,+beta", "--threads", "1",
            "--out", str(x_cohort / "px"),
        ]
    )  # fmt: skip
    ref = read_plink2_glm(x_cohort / f"px.{pheno}.glm.{suffix}")
    result = run_scan(
        x_cohort / "x.bed",
        x_cohort / "pheno.txt",
        pheno_name=pheno,
        covar=x_cohort / "covar.txt",
        build="GRCh37",
        progress=False,
        threads=1,
    )
    ours = result.sumstats
    ok = _same_failures(ours, ref)
    assert ok.all()
    n, ref_n = ours["n"].to_numpy(), ref["OBS_CT"].to_numpy()
    np.testing.assert_array_equal(n, ref_n)
    # the 25 samples of unknown sex (and no one else) leave the haploid-X tests only
    assert 20 <= np.median(n[:10]) - np.median(n[10:40]) <= 30
    _compare(ours, ref, ok, 1e-4, 2e-6, 1e-4, 1e-3, min_rows=ours.height)
    chrx = result.metadata["gwaskit"]["chrX"]
    assert chrx["variants_with_sex_covariate"] == 30
    assert chrx["covariates"] == ["C1", "C2", "SEX"]


def test_scan__chromosome_x_sex_covariate_not_added_twice(x_cohort, tmp_path):
    """A covariate that already codes sex is not joined by a second copy on X: the X tests
    then equal those of the run where gwaskit adds sex itself."""
    sex = np.array(
        [int(line.split()[4]) for line in (x_cohort / "x.fam").read_text().split("\n")[:-1]]
    )
    covar = np.loadtxt(x_cohort / "covar.txt", skiprows=1, usecols=(2, 3))
    iid = [line.split()[1] for line in (x_cohort / "x.fam").read_text().splitlines()]
    coded = np.where(sex == 0, 1.0, sex - 1.0)  # known in the covariate file, 0/1 coding
    write_table(tmp_path / "covar.txt", iid, {"C1": covar[:, 0], "C2": covar[:, 1], "F": coded})

    def scan(covar_file):
        return run_scan(
            x_cohort / "x.bed", x_cohort / "pheno.txt", pheno_name="Q", covar=covar_file,
            build="GRCh37", progress=False, threads=1,
        )  # fmt: skip

    own, added = scan(tmp_path / "covar.txt"), scan(x_cohort / "covar.txt")
    assert own.metadata["gwaskit"]["chrX"]["covariates"] == ["C1", "C2", "F"]
    x = slice(10, 40)
    for column in ("beta", "standard_error", "neg_log_10_p_value"):
        np.testing.assert_allclose(
            own.sumstats[column].to_numpy()[x], added.sumstats[column].to_numpy()[x], rtol=1e-8
        )
