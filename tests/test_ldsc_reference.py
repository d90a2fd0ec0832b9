"""LD score regression against the ``ldsc`` package (2.0.1) run in the test on the same files,
and against LDSC's own statistical expectations on its simulate_test data.

The package runs in its own venv (``.venv-ldsc``, made by ``scripts/setup test``) through
``tests/ldsc_driver.py``, which prints its estimates at full precision. gwaskit follows LDSC's
estimator step by step (weights, two rounds of re-weighting, two-step estimator, jackknife), so
the numbers agree to rounding: the tolerance, 1e-9 relative, is far below the 1e-3 the issue asks.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import REPO, run_tool
from gwaskit.io import open_genotypes
from gwaskit.io.ldscore import read_ld_scores, read_ldsc_sumstats, write_ld_scores
from gwaskit.ldsc import LdScores, compute_ld_scores, estimate_h2, estimate_rg, h2_liability

DRIVER = REPO / "tests" / "ldsc_driver.py"
RTOL = 1e-9


@pytest.fixture(scope="module")
def sim(test_data: Path) -> Path:
    return test_data / "ldsc_simulate_test"


def _scores(sim: Path, name: str) -> LdScores:
    table, m = read_ld_scores(sim / "ldscore" / name)
    return LdScores(table, m, m)


def _weights(sim: Path) -> pl.DataFrame:
    return read_ld_scores(sim / "ldscore" / "w", m_suffix=None)[0]


def _ldsc(python: str, args: list[str]) -> dict:
    result = subprocess.run(
        [python, str(DRIVER), *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _close(ours: float, theirs: float) -> None:
    assert ours == pytest.approx(theirs, rel=RTOL, abs=1e-12)


@pytest.mark.parametrize(
    ("ref", "extra", "options"),
    [
        ("oneld_onefile", [], {}),
        ("oneld_onefile", ["--intercept-h2", "1"], {"intercept": 1.0}),
        ("oneld_onefile", ["--two-step", "999"], {"two_step": 999.0}),
        ("oneld_onefile", ["--chisq-max", "50"], {"chisq_max": 50.0}),
        ("twold_onefile", [], {}),
        ("twold_onefile", ["--intercept-h2", "1"], {"intercept": 1.0}),
    ],
)
@pytest.mark.parametrize("replicate", [1, 455])
def test_estimate_h2__equals_ldsc_package(
    sim, ldsc_python, tmp_path, ref, extra, options, replicate
):
    sumstats = tmp_path / "s.sumstats.gz"
    sumstats.write_bytes((sim / "sumstats" / f"{replicate}.gz").read_bytes())
    theirs = _ldsc(
        ldsc_python,
        [
            "--h2",
            str(sumstats),
            "--ref-ld",
            str(sim / "ldscore" / ref),
            "--w-ld",
            str(sim / "ldscore" / "w"),
            *extra,
        ],
    )["h2"]
    ours = estimate_h2(read_ldsc_sumstats(sumstats), _scores(sim, ref), _weights(sim), **options)
    expected_snps = 1000 if "chisq_max" not in options and ref == "oneld_onefile" else None
    if expected_snps:
        assert ours.n_snps == expected_snps
    assert ours.n_snps + ours.n_removed == 1000
    _close(ours.h2, theirs["tot"])
    _close(ours.h2_se, theirs["tot_se"])
    _close(ours.intercept, theirs["intercept"])
    if "intercept" in options:
        assert math.isnan(ours.intercept_se) and math.isnan(ours.ratio)
    else:
        _close(ours.intercept_se, theirs["intercept_se"])
        _close(ours.ratio, theirs["ratio"])
        _close(ours.ratio_se, theirs["ratio_se"])
    _close(ours.mean_chisq, theirs["mean_chisq"])
    _close(ours.lambda_gc, theirs["lambda_gc"])
    n_annot = len(theirs["cat"])
    assert ours.fit.category.size == n_annot
    for name, values in (("category", theirs["cat"]), ("coef", theirs["coef"])):
        np.testing.assert_allclose(getattr(ours.fit, name), values, rtol=RTOL)
    np.testing.assert_allclose(ours.fit.category_se, theirs["cat_se"], rtol=RTOL)
    if n_annot > 1:
        np.testing.assert_allclose(ours.fit.proportion, theirs["prop"], rtol=RTOL)
        np.testing.assert_allclose(ours.fit.proportion_se, theirs["prop_se"], rtol=RTOL)


@pytest.mark.parametrize(
    ("extra", "options"),
    [
        ([], {}),
        (
            ["--intercept-h2", "1,1", "--intercept-gencov", "0,0"],
            {"intercept_h2": (1.0, 1.0), "intercept_gencov": 0.0},
        ),
        (["--two-step", "30"], {"two_step": 30.0}),
    ],
)
def test_estimate_rg__equals_ldsc_package(sim, ldsc_python, tmp_path, extra, options):
    paths = []
    for i in (3, 7):
        path = tmp_path / f"{i}.sumstats.gz"
        path.write_bytes((sim / "sumstats" / f"{i}.gz").read_bytes())
        paths.append(path)
    theirs = _ldsc(
        ldsc_python,
        [
            "--rg",
            ",".join(map(str, paths)),
            "--ref-ld",
            str(sim / "ldscore" / "oneld_onefile"),
            "--w-ld",
            str(sim / "ldscore" / "w"),
            *extra,
        ],
    )["rg"]
    assert len(theirs) == 1
    theirs = theirs[0]
    ours = estimate_rg(
        read_ldsc_sumstats(paths[0]),
        read_ldsc_sumstats(paths[1]),
        _scores(sim, "oneld_onefile"),
        _weights(sim),
        **options,
    )
    assert ours.n_snps == 1000
    _close(ours.rg, theirs["rg"])
    _close(ours.rg_se, theirs["rg_se"])
    for fit, ref in (
        (ours.gencov, theirs["gencov"]),
        (ours.h2_1.fit, theirs["hsq1"]),
        (ours.h2_2.fit, theirs["hsq2"]),
    ):
        _close(fit.total, ref["tot"])
        _close(fit.total_se, ref["tot_se"])
        _close(fit.intercept, ref["intercept"])
        if "intercept_se" in ref:
            _close(fit.intercept_se, ref["intercept_se"])


def test_estimate_rg__swapped_alleles_flip_z(sim):
    """Swapping A1/A2 in one study (and negating its z) leaves rg unchanged."""
    ref, w = _scores(sim, "oneld_onefile"), _weights(sim)
    a = read_ldsc_sumstats(sim / "sumstats" / "3.gz")
    b = read_ldsc_sumstats(sim / "sumstats" / "7.gz")
    swapped = b.with_columns(A1=pl.col("A2"), A2=pl.col("A1"), Z=-pl.col("Z"))
    plain, flipped = estimate_rg(a, b, ref, w), estimate_rg(a, swapped, ref, w)
    assert flipped.n_snps == plain.n_snps == 1000
    assert flipped.rg == pytest.approx(plain.rg, rel=1e-12)


def test_ldsc_simulations__ldsc_own_expectations(sim):
    """LDSC's ``test_sumstats.py`` expectations on simulations 0-499 (true h² 0.9 split 0.3/0.6
    over two annotations, intercept 1, rg 0): the estimates are unbiased and the jackknife SEs
    match the spread across simulations, within LDSC's own tolerances."""
    ref, w = _scores(sim, "twold_onefile"), _weights(sim)
    studies = [read_ldsc_sumstats(sim / "sumstats" / f"{i}.gz") for i in range(500)]
    assert len(studies) == 500
    for options in ({}, {"intercept": 1.0}):
        fits = [estimate_h2(s, ref, w, chisq_max=99999, **options) for s in studies]
        total = np.array([f.h2 for f in fits])
        category = np.array([f.fit.category for f in fits])
        assert abs(total.mean() - 0.9) < 0.05
        np.testing.assert_allclose(category.mean(axis=0), [0.3, 0.6], atol=0.05)
        assert abs(np.mean([f.h2_se for f in fits]) - total.std(ddof=1)) < 0.05
        category_se = np.array([f.fit.category_se for f in fits])
        np.testing.assert_allclose(
            category_se.mean(axis=0), category.std(axis=0, ddof=1), atol=0.05
        )
        if not options:
            intercept = np.array([f.intercept for f in fits])
            assert abs(intercept.mean() - 1) < 0.1
            assert abs(np.mean([f.intercept_se for f in fits]) - intercept.std(ddof=1)) < 0.1
    rgs = [estimate_rg(studies[0], s, ref, w) for s in studies[1:]]
    assert len(rgs) == 499
    rg = np.array([r.rg for r in rgs])
    gencov = np.array([r.gencov.total for r in rgs])
    assert abs(rg.mean()) < 0.02
    assert abs(np.mean([r.rg_se for r in rgs]) - rg.std(ddof=1)) < 0.02
    assert abs(gencov.mean()) < 0.02
    assert abs(np.mean([r.gencov.total_se for r in rgs]) - gencov.std(ddof=1)) < 0.02
    assert abs(np.mean([r.gencov.intercept for r in rgs])) < 0.1
    assert abs(np.mean([r.h2_2.intercept for r in rgs]) - 1) < 0.1


def test_h2_liability__lee_2011_formula(ldsc_python):
    """K = 0.01, P = 0.5: t = 2.326348, phi(t) = 0.0266521, factor = K²(1-K)²/(P(1-P) phi²)
    = 9.801e-5 / (0.25 * 7.10334e-4) = 0.551909; and ldsc's own ``h2_obs_to_liab``."""
    assert h2_liability(1.0, 0.5, 0.01) == pytest.approx(0.551909, rel=1e-5)
    code = "from ldscore.regressions import h2_obs_to_liab as f; print(repr(f(0.3, 0.2, 0.15)))"
    theirs = float(
        subprocess.run([ldsc_python, "-c", code], capture_output=True, text=True, check=True).stdout
    )
    assert h2_liability(0.3, 0.2, 0.15) == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize(
    ("window", "flag"),
    [
        ({"window_kb": 1000}, ["--ld-wind-kb", "1000"]),
        ({"window_snps": 300}, ["--ld-wind-snps", "300"]),
    ],
)
def test_compute_ld_scores__equals_ldsc_l2(test_data, ldsc_python, plink2, tmp_path, window, flag):
    """LD scores of the 1000 Genomes EUR chr20 panel (300 people, 24,990 variants) equal
    ``ldsc.py --l2`` on the same PLINK set to its printed precision (3 decimals)."""
    vcf = test_data / "shapeit4_1kg_eur_chr20" / "reference.vcf.gz"
    run_tool(
        [plink2, "--vcf", str(vcf), "--make-bed", "--threads", "1", "--out", str(tmp_path / "kg")]
    )
    script = Path(ldsc_python).parent / "ldsc.py"
    # ldsc 2.0.1 writes the .ldscore.gz, then fails writing .M (a Python 3 port bug): check
    # only that the scores were written
    subprocess.run(
        [
            ldsc_python,
            str(script),
            "--l2",
            "--bfile",
            str(tmp_path / "kg"),
            *flag,
            "--out",
            str(tmp_path / "ref"),
        ],
        capture_output=True,
        check=False,
    )
    theirs = pl.read_csv(tmp_path / "ref.l2.ldscore.gz", separator="\t")
    with open_genotypes(tmp_path / "kg.bed") as source:
        ours = compute_ld_scores(source, progress=False, **window)
    assert ours.table.height == theirs.height == 20_013
    assert ours.table["SNP"].to_list() == theirs["SNP"].to_list()
    np.testing.assert_allclose(
        ours.table["L2"].to_numpy(), theirs["L2"].to_numpy(), rtol=1e-3, atol=5e-4 + 1e-9
    )
    assert ours.m.tolist() == [20_013.0]
    run_tool(
        [
            plink2,
            "--bfile",
            str(tmp_path / "kg"),
            "--freq",
            "--threads",
            "1",
            "--out",
            str(tmp_path / "f"),
        ]
    )
    freq = pl.read_csv(tmp_path / "f.afreq", separator="\t")["ALT_FREQS"].to_numpy()
    maf = np.minimum(freq, 1 - freq)
    assert ours.m_5_50.tolist() == [float(np.sum(maf > 0.05))]
    # written in LDSC's layout and read back as LDSC reads it (repeated IDs: first kept)
    write_ld_scores(ours.table, ours.m, ours.m_5_50, tmp_path / "mine")
    table, m = read_ld_scores(tmp_path / "mine")
    first = ours.table.unique(subset="SNP", keep="first", maintain_order=True)
    assert table.height == first.height == 20_008 and m.tolist() == ours.m_5_50.tolist()
    assert table["SNP"].to_list() == first["SNP"].to_list()
    np.testing.assert_allclose(table["L2"].to_numpy(), first["L2"].to_numpy(), atol=5e-4 + 1e-9)
