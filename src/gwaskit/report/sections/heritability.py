"""LD score regression, genetic correlation, tissue enrichment and subtypes."""

from __future__ import annotations

from markupsafe import Markup

from gwaskit.plot import tissue_enrichment
from gwaskit.plot.rg import rg_heatmap
from gwaskit.report.html import (
    Cell,
    estimate,
    finite,
    join,
    missing,
    num,
    p_cell,
    render,
    table,
    try_figure,
)
from gwaskit.report.inputs import ReportInputs


def heritability_section(inputs: ReportInputs, dpi: int) -> Markup:
    """LD score regression: λGC beside the intercept, ratio and h² per study and for the
    meta-analysis; rg and the cross-trait intercept between studies (sample overlap)."""
    h2 = inputs.heritability
    if h2 is None or h2.height == 0:
        return missing(
            "No LD score regression results (ldsc_h2.parquet): run `gwaskit ldsc h2`, or the "
            "pipeline's ldsc stage (it needs an LD reference panel)."
        )
    liability = "h2_liability" in h2.columns and any(finite(v) for v in h2["h2_liability"])
    headers = [
        ("Study", False), ("λGC", True), ("Mean χ²", True), ("LDSC intercept (SE)", True),
        ("Ratio (SE)", True), ("h² observed (SE)", True),
    ] + ([("h² liability (SE)", True)] if liability else [])  # fmt: skip
    rows, notes = [], []
    for r in h2.iter_rows(named=True):
        row = [
            Cell(r["study"]),
            num(r.get("lambda_gc"), "{:.3f}"),
            num(r.get("mean_chisq"), "{:.3f}"),
            estimate(r.get("intercept"), r.get("intercept_se")),
            estimate(r.get("ratio"), r.get("ratio_se")),
            estimate(r.get("h2"), r.get("h2_se"), "{:.4f}"),
        ]
        if liability:
            row.append(estimate(r.get("h2_liability"), r.get("h2_liability_se"), "{:.4f}"))
        rows.append(row)
        icpt, se, lam = r.get("intercept"), r.get("intercept_se"), r.get("lambda_gc")
        if finite(icpt) and finite(se) and se > 0 and finite(lam):
            if icpt - 1 > 2 * se:
                notes.append(
                    render(
                        "warning",
                        f"{r['study']}: the LD score regression intercept {icpt:.3f} (SE "
                        f"{se:.3f}) is above 1: part of the inflation (λGC {lam:.3f}) is "
                        "confounding (population structure, relatedness) or sample overlap.",
                    )
                )
            elif 1 - icpt > 2 * se:
                notes.append(
                    render(
                        "paragraph",
                        f"{r['study']}: the intercept {icpt:.3f} (SE {se:.3f}) is below 1, "
                        "which confounding cannot do: the LD reference panel likely fits the "
                        "study poorly (few variants, another population), so read its h² with "
                        "care.",
                    )
                )
            elif lam > 1.1:
                notes.append(
                    render(
                        "paragraph",
                        f"{r['study']}: λGC {lam:.3f} with an intercept of {icpt:.3f} (SE "
                        f"{se:.3f}), within 2 SE of 1: the inflation is polygenic signal, not "
                        "confounding.",
                    )
                )
    parts = [
        render(
            "paragraph",
            "LD score regression (Bulik-Sullivan et al. 2015) separates polygenic signal from "
            "confounding: confounding raises the intercept above 1, polygenicity raises the "
            "slope. The ratio is the share of the inflation of the mean χ² that the intercept "
            "explains.",
        ),
        *notes,
        table(headers, rows, table_id="heritability-table", sortable=True),
    ]
    rg = inputs.genetic_correlation
    if rg is not None and rg.height:
        parts.append(
            try_figure(
                lambda: rg_heatmap(rg).figure,
                "fig-rg",
                "Genetic correlation between studies (above the diagonal) and the cross-trait "
                "LD score regression intercept (below): an intercept near 0 means the two "
                "studies share no samples.",
                dpi,
                "Genetic correlation heat map",
            )
        )
        rg_rows = [
            [
                Cell(r["study1"]),
                Cell(r["study2"]),
                estimate(r.get("rg"), r.get("rg_se")),
                estimate(r.get("gencov_intercept"), r.get("gencov_intercept_se")),
            ]
            for r in rg.iter_rows(named=True)
        ]
        parts.append(
            table(
                [
                    ("Study", False),
                    ("Study", False),
                    ("rg (SE)", True),
                    ("Cross-trait intercept (SE)", True),
                ],
                rg_rows,
                table_id="rg-table",
                sortable=True,
            )
        )
    return join(parts)


def tissues_section(inputs: ReportInputs, dpi: int) -> Markup:
    t = inputs.tissues
    if t is None:
        return missing("No tissue enrichment results (tissues.parquet): this analysis was not run.")
    if t.height == 0:
        return missing("The tissue enrichment table is empty.")
    fig = try_figure(
        lambda: tissue_enrichment(t).figure,
        "fig-tissues",
        "Enrichment of the genes at the loci for expression specific to each tissue; red bars pass the Bonferroni threshold across tissues.",
        dpi,
        "Tissue enrichment",
    )
    t = t.sort("neg_log_10_p_value", descending=True, nulls_last=True)
    cols = [c for c in ("n_genes", "beta", "standard_error") if c in t.columns]
    headers = [("Tissue", False), *[(c.replace("_", " "), True) for c in cols], ("p", True)]
    rows = [
        [
            Cell(r["tissue"]),
            *[num(r[c], "{:.3g}") for c in cols],
            p_cell(r["neg_log_10_p_value"]),
        ]
        for r in t.iter_rows(named=True)
    ]
    return fig + table(headers, rows, table_id="tissues-table", sortable=True)


def subtypes_sections(inputs: ReportInputs, dpi: int) -> list[tuple[str, str, Markup]]:
    """The subtype section, only when the analysis was run (``subtypes.parquet``); its HTML
    escapes every value itself (report/subtypes.py)."""
    if inputs.subtypes is None:
        return []
    from gwaskit.report.subtypes import subtypes_section

    content = subtypes_section(inputs.subtypes, inputs.subtype_correlations, dpi=dpi)
    return [("subtypes", "Subtypes", Markup(content))]
