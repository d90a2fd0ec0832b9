"""The report speaks of the analysis that was run: the random-effects estimator named in the
methods (DerSimonian–Laird or REML) with its citation, betas (not odds ratios) and no cases for
a quantitative trait, the status column only when known loci were given, and forest plots that
draw the meta-analysis table's own summaries."""

from __future__ import annotations

import re

import polars as pl
import pytest

from _report_data import make_results
from gwaskit.report import ReportInputs, build_report
from gwaskit.report.methods import methods_text


@pytest.fixture(scope="module")
def results() -> dict:
    return make_results(n_background=3_000)


def _with(results: dict, **manifest) -> ReportInputs:
    return ReportInputs(**{**results, "manifest": {**results["manifest"], **manifest}})


@pytest.mark.parametrize(
    ("random_method", "name", "doi"),
    [
        ("dl", "DerSimonian–Laird", "10.1016/0197-2456(86)90046-2"),
        ("reml", "REML", "10.3102/10769986030003261"),
    ],
)
def test_methods_text__names_the_random_effects_estimator(
    results: dict, random_method: str, name: str, doi: str
) -> None:
    params = {"meta": {"method": "random", "random_method": random_method}, "p": 5e-8}
    inputs = _with(results, parameters=params)
    paragraphs, keys = methods_text(inputs)
    text = " ".join(paragraphs)
    assert f"τ² estimated by {name}" in text
    other = {"dl": "REML", "reml": "DerSimonian–Laird"}[random_method]
    assert other not in text
    assert keys[0] == random_method
    html = build_report(inputs, dpi=30)
    assert f'<span class="mono doi">doi:{doi}</span>' in html  # text: no link leaves the file


def test_methods_text__fixed_effect_cites_metal_and_heterogeneity(results: dict) -> None:
    paragraphs, keys = methods_text(_with(results))
    assert paragraphs[0].startswith("The 3 studies were combined by inverse-variance weighted")
    # the fixture's meta table has I²: heterogeneity and the forest's random estimate cited
    assert keys[:3] == ["metal", "i2", "dl"]


def _quantitative(results: dict) -> ReportInputs:
    strip = ("n_cases", "n_controls")
    return ReportInputs(
        **{
            **results,
            "studies": results["studies"].drop(strip, strict=False),
            "per_study": {k: t.drop(strip, strict=False) for k, t in results["per_study"].items()},
            "meta": results["meta"].drop(strip, strict=False),
            "manifest": {
                **results["manifest"],
                "title": "Synthetic quantitative meta-analysis",
                "parameters": {"association": {"model": "linear"}, "meta": {"method": "fixed"}},
            },
        }
    )


def test_report__quantitative_trait_says_beta_and_no_cases(results: dict) -> None:
    html = build_report(_quantitative(results), dpi=30)
    assert "Beta (95% CI)" in html
    assert "OR (95% CI)" not in html and "odds ratio" not in html.lower()
    assert '<th class="num">Cases</th>' not in html
    assert re.search(r"\bcases\b", html.lower()) is None
    # the loci table shows the beta itself: the first locus's lead beta, 2 decimals
    loci = results["loci"]
    beta = float(loci["beta"][0])
    assert f">{beta:.2f} (" in html
    binary = build_report(ReportInputs(**results), dpi=30)
    assert "OR (95% CI)" in binary and "between cases and controls" in binary


def test_report__status_column_only_with_known_loci(results: dict) -> None:
    with_known = build_report(ReportInputs(**results), dpi=30)
    assert "<th>Status</th>" in with_known
    assert with_known.count('class="tag novel"') == 3  # 3 new loci, 1 known
    loci = results["loci"].with_columns(pl.lit(None, dtype=pl.Boolean).alias("known"))
    without = build_report(ReportInputs(**{**results, "loci": loci}), dpi=30)
    assert "<th>Status</th>" not in without and ">NA</span>" not in without


def test_report__result_tables_embedded_as_downloads(results: dict) -> None:
    import base64
    import io

    html = build_report(ReportInputs(**results), dpi=30)
    found = dict(
        re.findall(r'download="([^"]+)" href="data:text/tab-separated-values;base64,([^"]+)"', html)
    )
    assert set(found) == {"loci.tsv", "studies.tsv", "variants_p_below_1e-5.tsv", "ldsc_h2.tsv"}
    loci = pl.read_csv(io.BytesIO(base64.b64decode(found["loci.tsv"])), separator="\t")
    assert loci.height == results["loci"].height == 4
    assert loci["variant_id"].to_list() == results["loci"]["variant_id"].to_list()
    top = pl.read_csv(
        io.BytesIO(base64.b64decode(found["variants_p_below_1e-5.tsv"])), separator="\t"
    )
    expected = results["meta"].filter(pl.col("neg_log_10_p_value") > 5)
    assert top.height == expected.height > 0
    assert top["neg_log_10_p_value"].max() == pytest.approx(expected["neg_log_10_p_value"].max())
