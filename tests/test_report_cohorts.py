"""The per-cohort section: every study has one, with its PCA and QQ figures, its λGC, its QC
removals by reason and its summary-statistics QC warnings as red lines; flagged cohorts first."""

from __future__ import annotations

import re

import polars as pl
import pytest

from _report_data import STUDIES, cohort_tables, make_results, write_results
from gwaskit.report import ReportInputs, build_report, load_report_inputs
from gwaskit.report.sections.cohorts import qc_warnings


@pytest.fixture(scope="module")
def cohort_results() -> dict:
    results = make_results(n_background=3_000)
    warning = "EAF differs from the reference by more than 0.2 for 12 variants"
    studies = results["studies"].with_columns(
        qc_warnings=pl.Series([None, "", f"{warning} | N is half the stated sample size"]),
        lambda_gc=pl.Series([1.05, 1.3, 1.1]),  # COHORT_B above the 1.2 warning level
    )
    return {**results, **cohort_tables(), "studies": studies, "warning": warning}


def _html(results: dict) -> str:
    inputs = {k: v for k, v in results.items() if k != "warning"}
    return build_report(ReportInputs(**inputs), dpi=30)


def test_report__a_section_per_cohort_with_pca_and_qq(cohort_results: dict) -> None:
    text = _html(cohort_results)
    cohorts = text[text.index('<section id="cohorts">') :]
    cohorts = cohorts[: cohorts.index("</section>")]
    ids = re.findall(r'<div class="cohort(?: flagged)?" id="cohort-([^"]+)">', cohorts)
    # flagged first (B: λGC 1.3; C: QC warnings), each group in plan order
    assert ids == ["COHORT_B", "COHORT_C", "COHORT_A"]
    for name in STUDIES:
        for kind in ("pca", "qq", "checks"):
            assert f'<figure id="fig-cohort-{name}-{kind}" class="plot">' in cohorts
    # removals by reason, with totals: 2 call_rate, 1 heterozygosity, 1 hwe, 1 maf per cohort
    assert cohorts.count("<td>call_rate</td>") == 3
    assert len(re.findall(r'data-sort="2">2</td>', cohorts)) >= 3
    # the warnings as red lines, one per sentence, only in the cohort that has them
    assert cohorts.count('class="qc-warning"') == 3  # C's two sentences, B's λGC
    assert '<p class="qc-warning">λGC 1.300 is above 1.2.</p>' in cohorts
    assert f'<p class="qc-warning">{cohort_results["warning"]}</p>' in cohorts
    assert "λGC" in cohorts


def test_qc_warnings__sentences_split_empty_ignored(cohort_results: dict) -> None:
    inputs = ReportInputs(**{k: v for k, v in cohort_results.items() if k != "warning"})
    assert qc_warnings(inputs) == {
        "COHORT_C": [cohort_results["warning"], "N is half the stated sample size"]
    }


def test_load_report_inputs__reads_cohort_folders(cohort_results: dict, tmp_path) -> None:
    write_results(tmp_path, {k: v for k, v in cohort_results.items() if k != "warning"})
    for folder, key in (("pca", "pca"), ("qc_samples", "sample_qc"), ("qc_variants", "variant_qc")):
        (tmp_path / folder).mkdir()
        for name, table in cohort_results[key].items():
            table.write_parquet(tmp_path / folder / f"{name}.parquet")
    inputs = load_report_inputs(tmp_path)
    assert sorted(inputs.pca) == sorted(STUDIES) and inputs.pca["COHORT_A"].height == 300
    assert sum(t.height for t in inputs.variant_qc.values()) == 6
