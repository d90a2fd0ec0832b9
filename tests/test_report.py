"""Tests of the HTML report (gwaskit.report) and the `gwaskit report` verb, on synthetic
results that follow the SumStats / MetaStats / Loci contracts (tests/_report_data.py)."""

from __future__ import annotations

import base64
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from _report_data import make_results, write_results
from gwaskit.cli import main
from gwaskit.errors import InputError
from gwaskit.report import (
    ReportInputs,
    build_report,
    load_report_inputs,
    locus_file_name,
    write_report,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results() -> dict:
    return make_results()


@pytest.fixture(scope="module")
def results_dir(results, tmp_path_factory) -> Path:
    return write_results(tmp_path_factory.mktemp("results") / "run1", results)


@pytest.fixture(scope="module")
def full_html(results) -> str:
    return build_report(ReportInputs(**results), dpi=60)  # small images: faster, same content


def _images(text: str) -> dict[str, bytes]:
    found = re.findall(
        r'<figure id="([^"]+)" class="plot(?: interactive)?"><img alt="[^"]*" '
        r'src="data:image/png;base64,([^"]+)"',
        text,
    )
    return {fid: base64.b64decode(data) for fid, data in found}


def test_build_report__self_contained(full_html: str) -> None:
    # nothing that a browser would fetch: no external src/href, no url(), no @import
    assert not re.search(r'(src|href)="(?!data:|#)', full_html)
    assert "url(" not in full_html and "@import" not in full_html
    assert "default-src 'none'" in full_html  # and the CSP forbids it anyway
    assert full_html.count("<script>") == 1 and full_html.count("<style>") == 1


def test_build_report__figures_are_png(full_html: str) -> None:
    images = _images(full_html)
    # + the rg heat map, + 3 cohorts x (QQ, P-Z/EAF checks; no PCA in these results)
    assert len(images) == 2 + 1 + 4 * 2 + 1 + 3 + 3 * 2
    for fid, data in images.items():
        assert data[:8] == b"\x89PNG\r\n\x1a\n", fid
    assert "fig-manhattan" in images and "fig-qq" in images


def test_build_report__sections_and_tables(full_html: str, results) -> None:
    text = html.unescape(re.sub(r"<[^>]+>", " ", full_html))
    for heading in (
        "Studies",
        "Genome-wide results",
        "Risk loci",
        "Loci in detail",
        "Tissue enrichment",
        "Summary-statistics QC",
        "Methods and provenance",
        "What a p-value means",
        "5×10⁻⁸",
    ):
        assert heading in text
    # the p of the 400 locus is exact, not 0 (p underflows below 1e-308)
    assert "1.0e-400" in text
    # study table: cases, controls and lambda GC of each study
    assert re.search(r"COHORT_A\s+4,000\s+6,000\s+10,000\s+1\.\d{3}", text)
    # loci table: one row per locus, known and new tagged, sortable and searchable
    table = re.search(r'<table id="loci-table" class="sortable">.*?</table>', full_html).group(0)
    assert table.count("<tr>") == 1 + results["loci"].height
    assert table.count('class="tag known"') == 1 and table.count('class="tag novel"') == 3
    assert 'class="search"' in full_html
    # provenance: versions, flattened parameters, input checksums
    assert "matplotlib" in text and "window_kb" in text and "cohorts/COHORT_A.tsv.gz" in text
    # methods come from the recorded parameters (method "fixed", p 5e-8)
    assert "3 studies were combined by inverse-variance weighted fixed-effect" in text
    assert "Loci are defined around variants with p < 5e-08" in text
    # one section per locus, linked from the loci table
    for lid in results["loci"]["locus_id"]:
        anchor = "locus-" + re.sub(r"[^A-Za-z0-9_-]", "-", lid)
        assert f'id="{anchor}"' in full_html and f'href="#{anchor}"' in full_html


def test_build_report__says_what_is_missing(results) -> None:
    text = build_report(ReportInputs(meta=results["meta"]))
    assert len(_images(text)) == 2  # Manhattan and QQ only
    for what in (
        "No loci table (loci.parquet)",
        "No tissue enrichment results (tissues.parquet)",
        "No per-study results (per_study/)",
        "No input checksums recorded",
    ):
        assert what in html.unescape(text)


def test_build_report__escapes_names(results) -> None:
    studies = results["studies"].with_columns(
        pl.Series("study", ["<script>alert(1)</script>", "B", "C"])
    )
    text = build_report(ReportInputs(meta=results["meta"], studies=studies))
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_build_report__forest_aligns_swapped_alleles(results) -> None:
    """A study reporting the other allele as effect allele (beta negated) gives the same forest
    plots, byte for byte."""
    swapped = results["per_study"]["COHORT_B"].with_columns(
        pl.col("other_allele").alias("effect_allele"),
        pl.col("effect_allele").alias("other_allele"),
        -pl.col("beta"),
        1 - pl.col("effect_allele_frequency"),
    )
    loci = results["loci"].head(2)
    plain = ReportInputs(meta=results["meta"], loci=loci, per_study=results["per_study"])
    flipped = ReportInputs(
        meta=results["meta"], loci=loci, per_study={**results["per_study"], "COHORT_B": swapped}
    )
    forests = [
        {k: v for k, v in _images(build_report(x, dpi=40)).items() if "forest" in k}
        for x in (plain, flipped)
    ]
    assert len(forests[0]) == 2 and forests[0] == forests[1]


def test_report_inputs__checks_columns_and_is_frozen(results) -> None:
    with pytest.raises(InputError, match=r"loci.parquet: missing column\(s\) locus_id"):
        ReportInputs(meta=results["meta"], loci=results["loci"].drop("locus_id"))
    with pytest.raises(InputError, match=r"per_study/X\.parquet"):
        ReportInputs(per_study={"X": pl.DataFrame({"chromosome": ["1"]})})
    inputs = ReportInputs(meta=results["meta"], per_study=results["per_study"])
    with pytest.raises(AttributeError):
        inputs.meta = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        inputs.per_study["new"] = results["meta"]  # type: ignore[index]


def test_load_report_inputs__round_trip(results_dir: Path, results) -> None:
    inputs = load_report_inputs(results_dir)
    assert inputs.meta is not None and inputs.meta.height == results["meta"].height
    assert inputs.loci["locus_id"].to_list() == results["loci"]["locus_id"].to_list()
    assert list(inputs.per_study) == list(results["per_study"])
    assert set(inputs.ld) == set(results["ld"])
    assert inputs.manifest["trait"] == "Synthetic disease"
    assert inputs.study_names == ["COHORT_A", "COHORT_B", "COHORT_C"]
    # every file read is checksummed (7 tables + 3 studies + 4 LD tables + manifest)
    assert len(inputs.checksums) == 6 + 2 + 3 + 4 + 1  # + ldsc_h2, ldsc_rg
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in inputs.checksums.values())
    assert "ld/" + locus_file_name(results["loci"]["locus_id"][1]) + ".parquet" in inputs.checksums


def test_load_report_inputs__single_study_stands_in_for_meta(tmp_path: Path, results) -> None:
    (tmp_path / "per_study").mkdir()
    results["per_study"]["COHORT_B"].write_parquet(tmp_path / "per_study" / "COHORT_B.parquet")
    inputs = load_report_inputs(tmp_path)
    assert inputs.meta is None and inputs.genome_wide is not None
    text = build_report(inputs, dpi=40)
    # Manhattan, QQ, SE-N and P-Z (no loci, no reference), the cohort's QQ and P-Z
    assert len(_images(text)) == 2 + 2 + 2
    assert "Results of a single study are shown" in text


def test_load_report_inputs__errors(tmp_path: Path, results) -> None:
    with pytest.raises(InputError, match="results folder not found"):
        load_report_inputs(tmp_path / "absent")
    with pytest.raises(InputError, match="no genome-wide results"):
        load_report_inputs(tmp_path)
    (tmp_path / "meta.parquet").write_text("not parquet")
    with pytest.raises(InputError, match=r"meta.parquet: not a readable Parquet table"):
        load_report_inputs(tmp_path)
    results["meta"].write_parquet(tmp_path / "meta.parquet")
    (tmp_path / "manifest.json").write_text("{oops")
    with pytest.raises(InputError, match=r"manifest\.json: not valid JSON"):
        load_report_inputs(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"title": "ok"}))
    results["loci"].drop("neg_log_10_p_value").write_parquet(tmp_path / "loci.parquet")
    with pytest.raises(InputError, match=r"loci.parquet: missing column\(s\) neg_log_10_p_value"):
        load_report_inputs(tmp_path)


def test_write_report__atomic_and_readable(tmp_path: Path, results) -> None:
    out = write_report(ReportInputs(meta=results["meta"]), tmp_path / "r.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert list(tmp_path.iterdir()) == [out]  # no temporary left behind
    assert out.stat().st_mode & 0o044  # group/others can read it (umask permitting)


def test_cli_report__writes_html(results_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    args = ["report", str(results_dir), "--out", str(out), "--no-progress", "--dpi", "50"]
    assert main(args) == 0
    text = out.read_text(encoding="utf-8")
    assert "<title>Synthetic case-control meta-analysis</title>" in text
    assert len(_images(text)) == 2 + 1 + 4 * 2 + 1 + 3 + 3 * 2


def test_cli_report__user_mistake_is_one_line_exit_2(tmp_path: Path, results_dir: Path) -> None:
    out = tmp_path / "report.html"
    result = subprocess.run(
        [sys.executable, "-m", "gwaskit", "report", str(tmp_path / "nope"), "--out", str(out)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "results folder not found" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    missing_folder = tmp_path / "no" / "report.html"
    assert main(["report", str(tmp_path), "--out", str(missing_folder)]) == 2
    assert main(["report", str(results_dir), "--out", str(out), "--dpi", "0"]) == 2
    assert not out.exists()
