"""The report reads a results folder assembled from the verbs' own outputs (docs/tutorial.md):
`gwaskit annotate --out RESULTS/loci` writes the tissues beside the loci, the studies' counts come
from their summary statistics, and loci whose novelty was never assessed are not called new."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from bed_reader import to_bed

from _report_data import make_results
from gwaskit.cli import main
from gwaskit.io import open_genotypes
from gwaskit.loci.ld import lead_r2
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


def _panel(tmp_path: Path) -> tuple[Path, pl.DataFrame, np.ndarray]:
    """A PLINK 1 panel of 6 chromosome-1 variants (v2 copies v0) and their summary statistics."""
    rng = np.random.default_rng(3)
    dosages = rng.binomial(2, [0.3, 0.4, 0.3, 0.2, 0.5, 0.35], size=(300, 6)).astype(np.float32)
    dosages[:, 2] = dosages[:, 0]
    positions = [100_000, 150_000, 200_000, 250_000, 300_000, 2_000_000]
    ids = [f"1:{p}:C:A" for p in positions]
    to_bed(
        tmp_path / "panel.bed",
        dosages,
        properties={
            "chromosome": ["1"] * 6,
            "bp_position": positions,
            "sid": ids,
            "allele_1": ["A"] * 6,
            "allele_2": ["C"] * 6,
        },
    )
    meta = pl.DataFrame(
        {
            "chromosome": ["1"] * 6,
            "base_pair_location": positions,
            "effect_allele": ["A", "C", "A", "A", "A", "A"],  # v1 reported for the other allele
            "other_allele": ["C", "A", "C", "C", "C", "C"],
            "variant_id": ids,
            "beta": [0.3, -0.1, 0.3, 0.05, 0.0, 0.01],
            "standard_error": [0.05] * 6,
            "neg_log_10_p_value": [9.0, 2.0, 9.0, 0.5, 0.1, 0.2],
        }
    )
    return tmp_path / "panel.bed", meta, dosages


def test_lead_r2__matches_correlation_on_the_panel(tmp_path: Path) -> None:
    panel, meta, dosages = _panel(tmp_path)
    with open_genotypes(panel, build="GRCh37") as source:
        r2 = lead_r2(source, meta.head(5), "1:100000:C:A")
        assert lead_r2(source, meta.head(5), "absent").height == 0
        assert lead_r2(source, meta.clear(), "1:100000:C:A").height == 0
    expected = np.corrcoef(dosages[:, :5], rowvar=False)[0] ** 2
    # r² is the same for either allele; 1e-6 covers float32 dosages
    assert r2["variant_id"].to_list() == meta["variant_id"].head(5).to_list()
    np.testing.assert_allclose(r2["r2"].to_numpy(), expected, atol=1e-6)
    assert r2["r2"][2] == pytest.approx(1.0, abs=1e-6)


def test_cli_report__ld_and_genes_for_a_folder_from_the_verbs(tmp_path: Path) -> None:
    panel, meta, _ = _panel(tmp_path)
    folder = tmp_path / "results"
    folder.mkdir()
    meta.write_parquet(folder / "meta.parquet")
    loci = meta.head(1).with_columns(
        pl.lit("chr1:100000-300000").alias("locus_id"),
        pl.lit(100_000).alias("start"),
        pl.lit(300_000).alias("end"),
    )
    loci.write_parquet(folder / "loci.parquet")
    bare, full = tmp_path / "bare.html", tmp_path / "full.html"
    assert main(["report", str(folder), "--out", str(bare), "--dpi", "30", "-q"]) == 0
    argv = ["report", str(folder), "--out", str(full), "--dpi", "30", "-q"]
    assert main([*argv, "--build", "GRCh37", "--ld-ref", str(panel.with_suffix(""))]) == 0
    assert "no LD table for this locus" in bare.read_text()
    assert "no gene table" in bare.read_text()
    assert "no LD table for this locus" not in full.read_text()
    assert "no gene table" not in full.read_text()
    assert sorted(p.name for p in folder.iterdir()) == ["loci.parquet", "meta.parquet"]
