"""The report reads a results folder assembled from the verbs' own outputs (docs/tutorial.md):
`gwaskit annotate --out RESULTS/loci` writes the tissues beside the loci, the studies' counts come
from their summary statistics, and loci whose novelty was never assessed are not called new."""

from __future__ import annotations

import html
import re
from pathlib import Path

import polars as pl
import pytest

from _report_data import make_results
from gwaskit.report import ReportInputs, build_report, load_report_inputs


@pytest.fixture(scope="module")
def results() -> dict:
    return make_results(n_background=3_000)


def _section(text: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', text, re.S)
    assert match, section_id
    return html.unescape(match.group(0))


def test_load_report_inputs__tissues_as_annotate_names_them(tmp_path: Path, results) -> None:
    results["meta"].write_parquet(tmp_path / "meta.parquet")
    results["loci"].write_parquet(tmp_path / "loci.parquet")
    results["tissues"].write_parquet(tmp_path / "loci.tissues.parquet")
    inputs = load_report_inputs(tmp_path)
    assert inputs.tissues is not None
    assert inputs.tissues.equals(results["tissues"])
    assert "loci.tissues.parquet" in inputs.checksums
    # the layout's own name wins when both exist
    results["tissues"].head(2).write_parquet(tmp_path / "tissues.parquet")
    assert load_report_inputs(tmp_path).tissues.height == 2


def test_build_report__study_counts_from_per_study(results) -> None:
    inputs = ReportInputs(meta=results["meta"], per_study=results["per_study"])
    studies = _section(build_report(inputs, dpi=30), "studies")
    for cases, controls in ((4000, 6000), (2500, 2500), (1200, 3100)):
        assert f"{cases:,}" in studies and f"{controls:,}" in studies
        assert f"{cases + controls:,}" in studies


def test_build_report__novelty_not_assessed_is_not_new(results) -> None:
    loci = results["loci"].with_columns(pl.lit(None, dtype=pl.Boolean).alias("known"))
    summary = _section(
        build_report(ReportInputs(meta=results["meta"], loci=loci), dpi=30), "summary"
    )
    assert "risk loci" in summary
    assert "new loci" not in summary
    known = results["loci"]["known"].fill_null(False)
    assessed = _section(
        build_report(ReportInputs(meta=results["meta"], loci=results["loci"]), dpi=30), "summary"
    )
    assert f"<b>{int((~known).sum())}</b><span>new loci</span>" in assessed
