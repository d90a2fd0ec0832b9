"""λGC above a threshold is a warning on the terminal and in the report (issue 12, item 8)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from _report_data import make_results
from gwaskit.cli import main
from gwaskit.qc.inflation import LAMBDA_WARN, inflation_warning
from gwaskit.report import ReportInputs, build_report
from gwaskit.stats import lambda_gc
from structured_data import make_cohort


def test_inflation_warning__threshold() -> None:
    assert LAMBDA_WARN == 1.2
    assert inflation_warning("x", 1.2) is None  # above, not at
    assert inflation_warning("x", float("nan")) is None
    message = inflation_warning("phenotype y", 5.43)
    assert message is not None and message.startswith("phenotype y: lambda GC 5.43 is above 1.2")
    assert inflation_warning("x", 5.43, threshold=math.inf) is None


@pytest.fixture(scope="module")
def structured(tmp_path_factory) -> tuple[Path, Path]:
    """Two populations (Fst 0.1) whose phenotype means differ: without PCs every variant
    that differs in frequency between them is associated."""
    folder = tmp_path_factory.mktemp("lambda")
    cohort = make_cohort(folder, n_per_pop=(150, 150), n_variants=400, fst=0.1, seed=3)
    rng = np.random.default_rng(3)
    y = cohort.population * 1.5 + rng.normal(0, 1, cohort.population.size)
    pheno = folder / "pheno.txt"
    pheno.write_text("FID IID Y\n" + "".join(f"F{i} I{i} {v:.6f}\n" for i, v in enumerate(y)))
    return cohort.path.with_suffix(""), pheno


@pytest.mark.parametrize("threshold", [None, "inf"])
def test_cli_assoc__warns_on_lambda(structured, tmp_path: Path, capsys, threshold) -> None:
    bed, pheno = structured
    extra = [] if threshold is None else ["--lambda-warn", threshold]
    out = tmp_path / "scan"
    args = ["assoc", str(bed), "--pheno", str(pheno), "--out", str(out), "--no-progress"]
    assert main([*args, *extra]) == 0
    table = pl.read_parquet(tmp_path / "scan.parquet")
    assert table.height == 400
    lam = lambda_gc(table["neg_log_10_p_value"].to_numpy())
    assert lam > 3.0
    warned = [line for line in capsys.readouterr().err.splitlines() if "lambda GC" in line]
    warned = [line for line in warned if "is above" in line]
    if threshold is None:
        assert len(warned) == 1
        assert f"lambda GC {lam:.2f} is above 1.2" in warned[0]
    else:
        assert warned == []


def test_cli_assoc__lambda_warn_must_be_positive(structured, tmp_path: Path, capsys) -> None:
    bed, pheno = structured
    args = ["assoc", str(bed), "--pheno", str(pheno), "--out", str(tmp_path / "s")]
    assert main([*args, "--lambda-warn", "0"]) == 2
    assert "--lambda-warn must be a number > 0" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_build_report__lambda_warning_visible() -> None:
    results = make_results(n_background=2000)
    inputs = ReportInputs(**results)
    lams = {
        name: lambda_gc(t["neg_log_10_p_value"].cast(pl.Float64).to_numpy())
        for name, t in inputs.per_study.items()
    }
    if inputs.studies is not None and "lambda_gc" in inputs.studies.columns:
        lams.update(
            zip(
                inputs.studies["study"].to_list(),
                inputs.studies["lambda_gc"].to_list(),
                strict=True,
            )
        )
    values = sorted(lams.values())
    assert len(values) >= 2
    threshold = (values[0] + values[-1]) / 2  # some studies above, some not
    html = build_report(inputs, dpi=20, lambda_warn=threshold)
    above = [n for n, v in lams.items() if v > threshold]
    assert html.count('<p class="warning">') == len(above) + (
        lambda_gc(inputs.meta["neg_log_10_p_value"].cast(pl.Float64).to_numpy()) > threshold
    )
    for name in above:
        assert f"study {name}: lambda GC" in html
    assert '<p class="warning">' not in build_report(inputs, dpi=20, lambda_warn=math.inf)


def test_cli_meta__warns_on_lambda(test_data: Path, tmp_path: Path, capsys) -> None:
    """METAL's glucose example (three loci: enriched for signal) has study λGC of 1.2-1.6;
    each study above the threshold is named, and the meta-analysis."""
    from gwaskit.io.sumstats import read_sumstats
    from gwaskit.qc.sumstats import qc_sumstats

    inputs = test_data / "metal_glucose_example" / "inputs"
    files = {"DGI": "DGI_three_regions.txt", "FUSION": "MAGIC_FUSION_Results.txt.gz"}
    lams = {
        name: qc_sumstats(read_sumstats(inputs / f)[0], population=None).summary["lambda_gc"]
        for name, f in files.items()
    }
    threshold = (
        0.5 * (min(lams.values()) + max(lams.values())) if len(set(lams.values())) > 1 else 1.0
    )
    args = [f"--study={n}={inputs / f}" for n, f in files.items()]
    out = str(tmp_path / "m")
    assert main(["meta", *args, "--population", "none", "--lambda-warn", f"{threshold}",
                 "--out", out, "--no-progress"]) == 0  # fmt: skip
    err = [line for line in capsys.readouterr().err.splitlines() if "is above" in line]
    above = sorted(n for n, v in lams.items() if v > threshold)
    assert len(above) >= 1
    assert sorted(n for n in files if any(f"study {n}: lambda GC" in e for e in err)) == above
    table = pl.read_parquet(tmp_path / "m.parquet")
    meta_lam = lambda_gc(table["neg_log_10_p_value"].to_numpy())
    assert any("meta-analysis: lambda GC" in e for e in err) == (meta_lam > threshold)
