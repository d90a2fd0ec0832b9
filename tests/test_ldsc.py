"""gwaskit's LD score regression beyond the peer comparison: munging as munge_sumstats.py,
the ``gwaskit ldsc`` verb equal to the library, and bad inputs."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gwaskit.cli import main
from gwaskit.errors import ParameterError
from gwaskit.io.ldscore import read_ld_scores, read_ldsc_sumstats
from gwaskit.ldsc import LdScores, estimate_h2
from gwaskit.ldsc.munge import munge_sumstats
from gwaskit.ldsc.regression import h2_regression


@pytest.fixture(scope="module")
def sim(test_data: Path) -> Path:
    return test_data / "ldsc_simulate_test"


def _daner_as_gwaskit(path: Path) -> pl.DataFrame:
    """munge's ``--daner`` test file as a gwaskit table: OR to beta, FRQ_U as the frequency,
    1234 cases and 5468 controls from the FRQ_A_1234 / FRQ_U_5468 headers."""
    raw = pl.read_csv(path, separator="\t")
    return pl.DataFrame(
        {
            "rsid": raw["SNP"],
            "effect_allele": raw["A1"],
            "other_allele": raw["A2"],
            "beta": np.log(raw["OR"].to_numpy()),
            "p_value": raw["P"],
            "info": raw["INFO"],
            "effect_allele_frequency": raw["FRQ_U_5468"],
            "n_cases": np.full(raw.height, 1234.0),
            "n_controls": np.full(raw.height, 5468.0),
        }
    )


def test_munge_sumstats__equals_ldsc_munge_test(sim):
    """munge_sumstats.py's own end-to-end test: 4 of 9 SNPs kept (INFO < 0.9 drops 4, the
    indel 1), Z to its 8 printed decimals, N = 6702."""
    folder = sim / "munge_test"
    munged = munge_sumstats(_daner_as_gwaskit(folder / "sumstats"))
    expected = pl.read_csv(folder / "correct.sumstats", separator="\t")
    assert munged.table.height == expected.height == 4
    assert munged.table["SNP"].to_list() == expected["SNP"].to_list()
    assert munged.table["A1"].to_list() == expected["A1"].to_list()
    np.testing.assert_allclose(munged.table["Z"], expected["Z"], atol=5e-9)
    assert munged.table["N"].to_list() == expected["N"].to_list() == [6702.0] * 4
    assert munged.dropped["info_below_min"] == 4 and munged.dropped["not_a_valid_snp"] == 1
    assert sum(munged.dropped.values()) == 5


def test_munge_sumstats__log_space_p():
    """z comes from -log10 p in log space: p = 1e-400 gives z = 42.8 where p_value underflows
    to 0; the table has no frequency or INFO column, so nothing is dropped for them."""
    table = pl.DataFrame(
        {
            "variant_id": ["rs1", "rs2"],
            "effect_allele": ["A", "C"],
            "other_allele": ["G", "T"],
            "beta": [0.2, -0.1],
            "neg_log_10_p_value": [400.0, 1.0],
            "n": [1000.0, 1000.0],
        }
    )
    munged = munge_sumstats(table)
    assert munged.table.height == 2
    z = munged.table["Z"].to_numpy()
    # independent: solve log(2 * sf(z)) = -400 log(10) with scipy's log-space normal tail
    from scipy.optimize import brentq
    from scipy.stats import norm

    expected = brentq(lambda x: np.log(2) + norm.logsf(x) + 400 * np.log(10), 1, 100, xtol=1e-12)
    assert z[0] == pytest.approx(expected, rel=1e-8)
    assert z[1] == pytest.approx(-norm.isf(0.05), rel=1e-8)


def test_cli_ldsc_h2__equals_library(sim, tmp_path):
    files = [sim / "sumstats" / f"{i}.gz" for i in (1, 2)]
    code = main(
        [
            "ldsc",
            "h2",
            *map(str, files),
            "--ref-ld",
            str(sim / "ldscore" / "oneld_onefile"),
            "--w-ld",
            str(sim / "ldscore" / "w"),
            "--samp-prev",
            "0.5",
            "--pop-prev",
            "0.01",
            "--out",
            str(tmp_path / "h2"),
            "-q",
        ]
    )
    assert code == 0
    written = pl.read_parquet(tmp_path / "h2.parquet")
    assert written["study"].to_list() == ["1", "2"]
    table, m = read_ld_scores(sim / "ldscore" / "oneld_onefile")
    weights, _ = read_ld_scores(sim / "ldscore" / "w", m_suffix=None)
    for row, path in zip(written.iter_rows(named=True), files, strict=True):
        ours = estimate_h2(
            read_ldsc_sumstats(path),
            LdScores(table, m, m),
            weights,
            sample_prevalence=0.5,
            population_prevalence=0.01,
        )
        assert row["h2"] == ours.h2 and row["intercept"] == ours.intercept
        assert row["h2_liability"] == pytest.approx(ours.h2 * 0.551909, rel=1e-5)


def test_cli_ldsc_rg__pairs_and_munged_tables(sim, tmp_path):
    """Three studies give three pairs; a gwaskit table munged on the fly gives the same rg as
    its LDSC file."""
    paths = []
    for i in (1, 2):
        t = read_ldsc_sumstats(sim / "sumstats" / f"{i}.gz")
        # as a GWAS-SSF-like table: beta = z, se = 1 and p from z
        from scipy.stats import norm

        ssf = pl.DataFrame(
            {
                "chromosome": ["1"] * t.height,
                "base_pair_location": np.arange(1, t.height + 1),
                "effect_allele": t["A1"],
                "other_allele": t["A2"],
                "beta": t["Z"],
                "standard_error": np.ones(t.height),
                "p_value": 2 * norm.sf(np.abs(t["Z"].to_numpy())),
                "n": t["N"],
                "rsid": t["SNP"],
            }
        )
        path = tmp_path / f"study{i}.tsv"
        ssf.write_csv(path, separator="\t")
        paths.append(path)
    args = [
        "--ref-ld",
        str(sim / "ldscore" / "oneld_onefile"),
        "--w-ld",
        str(sim / "ldscore" / "w"),
        "-q",
    ]
    assert main(["ldsc", "rg", *map(str, paths), *args, "--out", str(tmp_path / "a")]) == 0
    ldsc_files = [str(sim / "sumstats" / f"{i}.gz") for i in (1, 2, 3)]
    assert main(["ldsc", "rg", *ldsc_files, *args, "--out", str(tmp_path / "b")]) == 0
    a, b = pl.read_parquet(tmp_path / "a.parquet"), pl.read_parquet(tmp_path / "b.parquet")
    assert a.height == 1 and b.height == 3
    # z from p printed with 3 decimals in the LDSC files: equal to that precision
    assert a["rg"][0] == pytest.approx(b["rg"][0], abs=1e-3)


def test_cli_ldsc__bad_inputs_are_one_line(sim, tmp_path, capsys):
    ref = ["--ref-ld", str(sim / "ldscore" / "oneld_onefile"), "--w-ld", str(sim / "ldscore" / "w")]
    # no variant in common with the LD scores
    other = tmp_path / "other.sumstats.gz"
    other.write_bytes(gzip.compress(b"SNP\tA1\tA2\tZ\tN\nrsX\tA\tG\t1.0\t100\n"))
    assert main(["ldsc", "h2", str(other), *ref, "--out", str(tmp_path / "x")]) == 2
    assert "no variant has an LD score (0 of 1)" in capsys.readouterr().err
    # a missing .M_5_50 beside the LD scores
    assert (
        main(
            [
                "ldsc",
                "h2",
                str(other),
                "--ref-ld",
                str(sim / "ldscore" / "w"),
                "--w-ld",
                str(sim / "ldscore" / "w"),
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )
    assert "w.l2.M_5_50" in capsys.readouterr().err
    # an impossible prevalence is refused at parse time
    code = main(["ldsc", "h2", str(other), *ref, "--samp-prev", "2", "--out", str(tmp_path / "x")])
    assert code == 2
    assert "--samp-prev" in capsys.readouterr().err
    assert not list(tmp_path.glob("x*"))


def test_h2_regression__all_nan_n_and_too_few_variants():
    rng = np.random.default_rng(0)
    ld = rng.uniform(1, 100, 500)
    chisq = 1 + 1000 * 0.5 * ld / 500 + rng.standard_normal(500) * 0.1
    with pytest.raises(ParameterError, match="at least 2 variants"):
        h2_regression(chisq[:1], ld[:1], ld[:1], np.array([1000.0]), np.array([500.0]))
    with pytest.raises(ParameterError, match=r"n must be positive and finite.*500 of 500"):
        h2_regression(chisq, ld, ld, np.full(500, np.nan), np.array([500.0]), two_step=None)


def test_h2_regression__closed_form_without_noise():
    """chi² exactly 1 + N h² l / M: the estimate is h² exactly, the intercept 1."""
    rng = np.random.default_rng(1)
    ld = rng.uniform(1, 200, 2000)
    n, m, h2 = 50_000.0, 2000.0, 0.3
    chisq = 1 + n * h2 * ld / m
    fit = h2_regression(chisq, ld, ld, np.full(2000, n), np.array([m]), two_step=None)
    assert fit.total == pytest.approx(h2, rel=1e-10)
    assert fit.intercept == pytest.approx(1.0, abs=1e-9)
    assert fit.n_snps == 2000 and fit.n_blocks == 200
    assert not math.isnan(fit.total_se)


def _ssf_study(path: Path, sumstats: Path) -> None:
    """An LDSC simulation as a GWAS-SSF table: beta = z / sqrt(N), se = 1 / sqrt(N)."""
    from scipy.stats import norm

    t = read_ldsc_sumstats(sumstats)
    n, z = t["N"].to_numpy(), t["Z"].to_numpy()
    pl.DataFrame(
        {
            "chromosome": ["1"] * t.height,
            "base_pair_location": np.arange(t.height) * 1000 + 10_000,
            "effect_allele": t["A1"],
            "other_allele": t["A2"],
            "beta": z / np.sqrt(n),
            "standard_error": 1 / np.sqrt(n),
            "effect_allele_frequency": np.full(t.height, 0.3),
            "p_value": 2 * norm.sf(np.abs(z)),
            "n": n,
            "rsid": t["SNP"],
        }
    ).write_csv(path, separator="\t")


def test_cli_meta__gc_ldsc_divides_chisq_by_the_intercept(sim, tmp_path):
    """`gwaskit meta --gc ldsc`: each study's SE is inflated by sqrt(its LDSC intercept) (the
    intercept of `estimate_h2` on the same rows), not by its lambda GC (8.5 and 7.7 here, from
    polygenic signal)."""
    for name, i in (("A", 3), ("B", 7)):
        _ssf_study(tmp_path / f"{name}.tsv", sim / "sumstats" / f"{i}.gz")
    ld = sim / "ldscore"
    args = ["meta", "--study", f"A={tmp_path / 'A.tsv'}", "--study", f"B={tmp_path / 'B.tsv'}"]
    ref = ["--ref-ld", str(ld / "oneld_onefile"), "--w-ld", str(ld / "w")]
    assert main([*args, "--gc", "ldsc", *ref, "--out", str(tmp_path / "gc"), "-q"]) == 0
    table, m = read_ld_scores(ld / "oneld_onefile")
    weights, _ = read_ld_scores(ld / "w", m_suffix=None)
    factors = [
        max(estimate_h2(read_ldsc_sumstats(sim / "sumstats" / f"{i}.gz"), LdScores(table, m, m),
                        weights).intercept, 1.0)
        for i in (3, 7)
    ]  # fmt: skip
    assert factors[0] > 1.5 and factors[1] > 1.5  # these simulations' intercepts: 2.0, 3.0
    result = pl.read_parquet(tmp_path / "gc.parquet")
    assert result.height == 1000
    se = 1 / np.sqrt(10_000)
    expected = 1 / np.sqrt(sum(1 / (se**2 * f) for f in factors))
    # the intercepts from munged z (from p) and from the 3-decimal z agree to ~1e-4
    np.testing.assert_allclose(result["standard_error"].to_numpy(), expected, rtol=1e-4)
    # --gc ldsc without LD scores is one line, exit 2
    assert main([*args, "--gc", "ldsc", "--out", str(tmp_path / "x")]) == 2


def test_plan__ldsc_section_checked(tmp_path):
    """`[ldsc] window_kb` must be positive; the section's defaults switch the stage on."""
    from gwaskit.errors import InputError
    from gwaskit.pipeline.plan import parse_plan

    (tmp_path / "s.tsv").write_text("")
    cohort = [{"name": "A", "sumstats": "s.tsv"}]
    with pytest.raises(InputError, match=r"ldsc\.window_kb must be in \(0, 1e\+06\], got -5"):
        parse_plan({"ldsc": {"window_kb": -5}, "cohort": cohort}, source=tmp_path / "plan.toml")
    plan = parse_plan({"cohort": cohort}, source=tmp_path / "plan.toml")
    assert plan.ldsc.enabled and plan.ldsc.window_kb == 1000.0


def test_build_report__intercept_read_against_its_se():
    """The report says 'polygenic' only for an intercept within 2 SE of 1; above it warns of
    confounding, below it points at the LD reference panel."""
    from _report_data import make_results
    from gwaskit.report.build import build_report
    from gwaskit.report.inputs import ReportInputs

    results = make_results()
    results["heritability"] = pl.DataFrame(
        {
            "study": ["above", "below", "within"],
            "h2": [0.2, 0.2, 0.2],
            "intercept": [1.2, 0.8, 1.02],
            "intercept_se": [0.05, 0.05, 0.05],
            "lambda_gc": [1.3, 1.3, 1.3],
        }
    )
    html = build_report(ReportInputs(**results), dpi=40)
    assert "above: the LD score regression intercept 1.200 (SE 0.050) is above 1" in html
    assert "below: the intercept 0.800 (SE 0.050) is below 1" in html
    assert "within: λGC 1.300 with an intercept of 1.020 (SE 0.050), within 2 SE of 1" in html
    assert html.count("within 2 SE of 1") == 1
