"""Numerical faults through `gwaskit assoc`: a reason code per failed variant, never a crash,
never a silent NaN, never a p-value the reference tool would not give.

One cohort of 300 people holds the awkward variants (monomorphic, constant heterozygous, all
calls missing, perfectly separating the cases, identical to a covariate, a singleton) beside
ordinary ones, and three traits: balanced case/control, a cohort with 5 cases, quantitative.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from assoc_helpers import read_plink2_glm, write_bed, write_table
from conftest import run_tool
from gwaskit.assoc.results import REASONS
from gwaskit.cli import main

N = 300
#: variant index -> what it is
ORDINARY = (0, 1, 2, 3)
MONOMORPHIC, ALL_HET, ALL_MISSING, SEPARATING, AS_COVARIATE, SINGLETON = 4, 5, 6, 7, 8, 9


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    rng = np.random.default_rng(77)
    folder = tmp_path_factory.mktemp("faults")
    g = rng.binomial(2, 0.3, size=(N, 10)).astype(np.float64)
    g[rng.random(g.shape) < 0.01] = np.nan
    balanced = np.arange(N) % 2 == 1
    five = np.zeros(N, dtype=bool)
    five[rng.choice(N, 5, replace=False)] = True
    g[:, MONOMORPHIC] = 0.0
    g[:, ALL_HET] = 1.0
    g[:, ALL_MISSING] = np.nan
    g[:, SEPARATING] = np.where(balanced, 1.0, 0.0)  # every case carries one copy, no control
    g[:, AS_COVARIATE] = rng.binomial(2, 0.4, N)
    g[:, SINGLETON] = 0.0
    g[np.flatnonzero(five)[0], SINGLETON] = 1.0
    iid = write_bed(folder / "c", g)
    quant = 0.3 * np.nan_to_num(g[:, 0]) + rng.normal(size=N)
    write_table(folder / "pheno.txt", iid, {"CC": balanced + 1.0, "FIVE": five + 1.0, "Q": quant})
    age = rng.normal(50, 10, N)
    write_table(folder / "covar.txt", iid, {"AGE": age, "G8": g[:, AS_COVARIATE]})
    write_table(folder / "const.txt", iid, {"AGE": age, "ONE": np.ones(N)})
    write_table(folder / "collinear.txt", iid, {"AGE": age, "AGE2": 2 * age + 1})
    return folder


def _assoc(cohort, tmp_path, name, *extra) -> pl.DataFrame:
    out = tmp_path / name
    argv = ["assoc", str(cohort / "c.bed"), "--pheno", str(cohort / "pheno.txt"), *extra,
            "--threads", "1", "--no-progress", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    return pl.read_parquet(f"{out}.parquet")


def _check_rows(table: pl.DataFrame) -> dict[int, str]:
    """Every variant has a row; a row has a reason code xor finite estimates. Returns the
    reason of each failed variant (by index)."""
    assert table.height == 10  # nothing dropped in silence
    reason = table["reason"].to_list()
    beta = table["beta"].to_numpy()
    se = table["standard_error"].to_numpy()
    nlp = table["neg_log_10_p_value"].to_numpy()
    failed = {}
    for j in range(table.height):
        if reason[j] is None:
            assert np.isfinite(beta[j]) and se[j] > 0 and np.isfinite(se[j]), j
            assert np.isfinite(nlp[j]) and nlp[j] >= 0, j
        else:
            assert reason[j] in REASONS, reason[j]
            assert np.isnan(beta[j]) and np.isnan(nlp[j]), j  # no stale estimate beside a code
            failed[j] = reason[j]
    return failed


def test_assoc__balanced_logistic_separation_goes_to_firth(cohort, tmp_path):
    table = _assoc(cohort, tmp_path, "ff", "--pheno-name", "CC")
    failed = _check_rows(table)
    assert failed == {MONOMORPHIC: "CONST_GENO", ALL_HET: "CONST_GENO", ALL_MISSING: "TOO_FEW_OBS"}
    assert table["method"][SEPARATING] == "firth"
    assert table["beta"][SEPARATING] > 3  # every case a carrier: a large, finite log OR
    assert table["method"][SINGLETON] == "firth"  # one carrier: Firth converges (plink2 does)

    no_fallback = _assoc(cohort, tmp_path, "nf", "--pheno-name", "CC", "--no-firth-fallback")
    assert _check_rows(no_fallback)[SEPARATING] == "SEPARATION"


@pytest.mark.parametrize("test", ["wald", "firth", "score"])
def test_assoc__five_cases_every_variant_accounted_for(cohort, tmp_path, test):
    table = _assoc(cohort, tmp_path, test, "--pheno-name", "FIVE", "--test", test)
    failed = _check_rows(table)
    assert {MONOMORPHIC, ALL_HET, ALL_MISSING} <= set(failed)
    assert set(failed) <= {MONOMORPHIC, ALL_HET, ALL_MISSING, SINGLETON}
    assert table["n_cases"].drop_nulls().max() == 5


@pytest.mark.plink2
@pytest.mark.parametrize("trait", ["FIVE", "CC"])
def test_assoc__faults_match_plink2_firth_fallback(cohort, tmp_path, plink2, trait):
    """5 cases in 300, and the balanced trait with a separating variant and a singleton: the
    p-values plink2 --glm firth-fallback gives on the same files, and the same variants without
    an estimate. Tolerance |delta -log10 p| <= 2e-3: plink2 2.00a3.5 fits Firth in single
    precision with logistf's 1e-4 convergence thresholds (see tests/test_assoc_plink2.py)."""
    run_tool([plink2, "--bfile", str(cohort / "c"), "--pheno", str(cohort / "pheno.txt"),
              "--pheno-name", trait, "--glm", "firth-fallback", "allow-no-covars",
              "cols=+firth,+err,+beta", "--threads", "1", "--out", str(tmp_path / "ref")])  # fmt: skip
    ref = read_plink2_glm(tmp_path / f"ref.{trait}.glm.logistic.hybrid")
    ours = _assoc(cohort, tmp_path, trait, "--pheno-name", trait)
    both = ours["beta"].is_not_null().to_numpy() & ref["beta_effect"].is_not_null().to_numpy()
    assert both.sum() >= 6
    ours_p = ours["neg_log_10_p_value"].to_numpy()[both]
    ref_p = -np.log10(ref["P"].to_numpy()[both])
    np.testing.assert_allclose(ours_p, ref_p, rtol=0, atol=2e-3)
    # the same variants without an estimate
    np.testing.assert_array_equal(
        ours["beta"].is_null().to_numpy(), ref["beta_effect"].is_null().to_numpy()
    )


def test_assoc__variant_equal_to_a_covariate_is_flagged(cohort, tmp_path):
    table = _assoc(cohort, tmp_path, "q", "--pheno-name", "Q", "--covar", str(cohort / "covar.txt"))
    assert _check_rows(table)[AS_COVARIATE] == "VIF_TOO_HIGH"


def test_assoc__zero_variance_covariate_is_dropped_not_fatal(cohort, tmp_path, capsys):
    with_const = _assoc(
        cohort, tmp_path, "c1", "--pheno-name", "Q", "--covar", str(cohort / "const.txt")
    )
    assert "'ONE' is constant" in capsys.readouterr().err  # said, not silent
    without = _assoc(cohort, tmp_path, "c0", "--pheno-name", "Q", "--covar",
                     str(cohort / "const.txt"), "--covar-name", "AGE")  # fmt: skip
    assert with_const.equals(without)  # the same analysis, to the last bit


def test_assoc__collinear_covariates_exit_2_and_write_nothing(cohort, tmp_path, capsys):
    argv = ["assoc", str(cohort / "c.bed"), "--pheno", str(cohort / "pheno.txt"),
            "--pheno-name", "Q", "--covar", str(cohort / "collinear.txt"), "--no-progress",
            "--out", str(tmp_path / "x")]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "collinear" in err and "collinear.txt" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
