"""The fine-mapping part of the report (credible-set table, PIP track) and of the pipeline
(plan section, finemap stage)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from _report_data import make_results
from gwaskit.errors import InputError
from gwaskit.pipeline.plan import parse_plan
from gwaskit.pipeline.stages import STAGES, build_tasks
from gwaskit.report import ReportInputs, build_report
from gwaskit.report.finemap import credible_sets_html


@pytest.fixture(scope="module")
def results() -> dict:
    return make_results(n_background=2_000)


def _finemap(results: dict) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    locus = results["loci"].row(0, named=True)
    meta = results["meta"].filter(
        (pl.col("chromosome") == locus["chromosome"])
        & pl.col("base_pair_location").is_between(locus["start"], locus["end"])
    )
    pip = np.where(meta["variant_id"] == locus["variant_id"], 0.9, 0.001)
    cs = np.where(pip > 0.5, 1, 0)
    variants = meta.select("variant_id", "base_pair_location").with_columns(
        pl.lit(locus["locus_id"]).alias("locus_id"),
        pl.Series("pip", pip),
        pl.Series("credible_set", cs).replace(0, None),
    )
    sets = pl.DataFrame(
        {
            "locus_id": [locus["locus_id"]],
            "credible_set": [1],
            "n_variants": [1],
            "coverage": [0.9],
            "log10_bf": [12.5],
            "min_abs_corr": [1.0],
            "variant_ids": [locus["variant_id"]],
        }
    )
    return variants, sets, locus["locus_id"]


def test_build_report__credible_sets_and_pip_track(results):
    variants, sets, lid = _finemap(results)
    assert variants.height > 1
    inputs = ReportInputs(**results, finemap=variants, credible_sets=sets)
    text = build_report(inputs, dpi=40)
    assert text.count('class="credible-sets"') == 1
    assert "12.50" in text and "(0.900)" in text
    assert "coloured by credible set" in text  # the regional plot's caption
    plain = build_report(ReportInputs(**results), dpi=40)
    fid = re.escape(f"fig-regional-locus-{re.sub(r'[^A-Za-z0-9]+', '-', lid)}")
    sizes = []
    for html_text in (text, plain):
        found = re.search(
            fid + r'" class="plot[^"]*"><img alt="[^"]*" src="data:image/png;base64,([^"]+)"',
            html_text,
        )
        assert found is not None
        png = base64.b64decode(found.group(1))
        sizes.append(int.from_bytes(png[20:24], "big"))  # PNG height
    assert sizes[0] > sizes[1]  # the PIP track adds a panel
    # the PNG with the PIP track stays on screen beside the interactive plot
    assert re.search(fid + r'" class="plot interactive keep-png">', text)
    assert re.search(fid + r'" class="plot interactive">', plain)


def test_credible_sets_html__escapes_and_truncates():
    variants = pl.DataFrame({"variant_id": [f"<v{i}>" for i in range(15)], "pip": [0.05] * 15})
    sets = pl.DataFrame(
        {
            "credible_set": [1],
            "n_variants": [15],
            "coverage": [0.95],
            "log10_bf": [3.0],
            "min_abs_corr": [0.8],
            "variant_ids": [",".join(f"<v{i}>" for i in range(15))],
        }
    )
    out = credible_sets_html(variants, sets)
    assert "<v0>" not in out and "&lt;v0&gt; (0.050)" in out
    assert "and 5 more" in out
    assert credible_sets_html(None, None) == ""
    assert "no credible set" in credible_sets_html(variants, sets.clear())


def _plan(tmp_path: Path, finemap: dict | None = None) -> dict:
    data = {
        "consortium": {"build": "GRCh37"},
        "loci": {"ld_reference": "panel"},
        "cohort": [{"name": "a", "sumstats": "a.tsv.gz"}],
    }
    if finemap is not None:
        data["finemap"] = finemap
    (tmp_path / "a.tsv.gz").write_bytes(b"")
    (tmp_path / "panel").write_bytes(b"")
    return data


def test_parse_plan__finemap_section(tmp_path):
    plan = parse_plan(
        _plan(tmp_path, {"method": "abf", "max_effects": 3}), source=tmp_path / "p.toml"
    )
    assert plan.finemap.method == "abf" and plan.finemap.max_effects == 3
    with pytest.raises(InputError, match=r"finemap.method must be one of susie, abf, none"):
        parse_plan(_plan(tmp_path, {"method": "finemap"}), source=tmp_path / "p.toml")


def test_build_tasks__finemap_stage(tmp_path):
    assert STAGES.index("finemap") == STAGES.index("loci") + 1
    plan = parse_plan(_plan(tmp_path), source=tmp_path / "p.toml")
    tasks = {f"{t.stage}/{t.key}": t for t in build_tasks(plan)}
    task = tasks["finemap/discovery"]
    assert "loci/discovery" in task.depends
    assert "finemap/discovery" in tasks["report/all"].depends
    off = parse_plan(_plan(tmp_path, {"method": "none"}), source=tmp_path / "p.toml")
    assert "finemap/discovery" not in {f"{t.stage}/{t.key}" for t in build_tasks(off)}


@pytest.mark.parametrize("method", ["susie", "abf"])
def test_finemap_loci__no_loci_gives_empty_tables_the_report_reads(results, method):
    """A plan whose meta-analysis finds no locus still writes fine-mapping tables with their
    columns, which the report accepts (it failed on a bare locus_id column)."""
    from gwaskit.finemap.loci import finemap_loci

    empty = results["loci"].clear()
    variants, sets = finemap_loci(results["meta"], empty, None, method=method)
    assert variants.height == 0 and sets.height == 0
    assert {"locus_id", "base_pair_location", "pip"} <= set(variants.columns)
    assert {"locus_id", "n_variants", "coverage", "variant_ids"} <= set(sets.columns)
    inputs = ReportInputs(**results, finemap=variants, credible_sets=sets)
    assert "credible-sets" not in build_report(inputs, dpi=30)


def test_build_report__coloc_sentence(results):
    lid = results["loci"]["locus_id"][0]
    coloc = pl.DataFrame({"locus_id": [lid], "pp_h3": [0.0123], "pp_h4": [0.9871]})
    text = build_report(ReportInputs(**results, coloc=coloc), dpi=30)
    assert text.count("Colocalisation with the second trait") == 1
    assert "PP.H4 (one shared causal variant) = 0.987" in text
    with pytest.raises(InputError, match=r"coloc\.parquet: missing column"):
        ReportInputs(**results, coloc=coloc.drop("pp_h4"))
