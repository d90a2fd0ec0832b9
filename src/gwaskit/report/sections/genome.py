"""Genome-wide results (Manhattan, QQ) and the loci table."""

from __future__ import annotations

import numpy as np
import polars as pl
from markupsafe import Markup
from matplotlib.figure import Figure

from gwaskit.plot import manhattan, qq
from gwaskit.report.facts import is_binary
from gwaskit.report.html import (
    Cell,
    chrom_key,
    count,
    finite,
    locus_anchor,
    missing,
    num,
    p_cell,
    render,
    table,
    try_figure,
)
from gwaskit.report.inputs import ReportInputs
from gwaskit.report.interactive import manhattan_data, qq_data, to_json


def genome_section(inputs: ReportInputs, dpi: int) -> Markup:
    gw = inputs.genome_wide
    if gw is None:
        return missing(
            "No genome-wide results (meta.parquet): Manhattan and QQ plots are not available."
        )

    def make_manhattan() -> Figure:
        ax = manhattan(gw, loci=inputs.loci)
        return ax.figure

    def make_qq() -> Figure:
        f = (
            gw["effect_allele_frequency"].cast(pl.Float64).to_numpy()
            if "effect_allele_frequency" in gw.columns
            else None
        )
        has_f = f is not None and np.isfinite(f).mean() > 0.5
        ax = qq(gw["neg_log_10_p_value"].cast(pl.Float64).to_numpy(), maf=f if has_f else None)
        return ax.figure

    what = "meta-analysis" if inputs.meta is not None else "study"
    m = try_figure(
        make_manhattan,
        "fig-manhattan",
        f"Manhattan plot of the {what}: each point is a variant, placed by chromosome position, "
        "higher means stronger association. Dashed red line: genome-wide significance "
        "(p = 5×10⁻⁸); dotted line: suggestive (p = 10⁻⁵). Loci are labelled by gene; new loci are "
        "shown in red, known loci in amber. In the printed image the axis is logarithmic above "
        "the dotted break, so very strong signals are shown at their true value. On screen: "
        "drag to zoom, "
        "double-click to reset, hover a point for its variant (the non-significant points are "
        "thinned to one per pixel cell).",
        dpi,
        "Manhattan plot",
        data=lambda: to_json(
            manhattan_data(gw, inputs.loci, inputs.genes, binary=is_binary(inputs))
        ),
    )
    q = try_figure(
        make_qq,
        "fig-qq",
        "QQ plot: observed against expected -log10 p if no variant were associated, with the 95% "
        "band of that null, by minor-allele frequency. Points rising above the band only at the "
        "top are the expected signature of true associations; an early lift suggests inflation.",
        dpi,
        "QQ plot",
        data=lambda: to_json(qq_data(gw)),
    )
    return m + render("row", q)


def loci_section(inputs: ReportInputs) -> Markup:
    """The loci table. Effects are odds ratios for a binary trait and betas for a quantitative
    one; the status column (new/known) appears only when a known-loci table was given, and the
    replication and heterogeneity columns only when the results have them (so the table fits
    the page)."""
    loci = inputs.loci
    if loci is None:
        return missing("No loci table (loci.parquet): risk loci are not available.")
    if loci.height == 0:
        return render("paragraph", "No locus reached genome-wide significance.")
    binary = is_binary(inputs)
    headers = [
        ("Locus", False), ("Lead variant", False), ("Position", True), ("EA/OA", False),
        ("EAF", True), ("p", True), ("OR (95% CI)" if binary else "Beta (95% CI)", True),
        ("Genes", False), ("Status", False), ("Replication p", True), ("Replicated", False),
        ("I²", True), ("Het. p", True),
    ]  # fmt: skip
    optional = {8: "known", 9: "rep_neg_log_10_p_one_sided", 10: "replicated", 11: "i2"}
    optional[12] = "het_neg_log_10_p"
    keep = [
        i
        for i in range(len(headers))
        if i not in optional
        or (optional[i] in loci.columns and loci[optional[i]].null_count() < loci.height)
    ]
    rows = []
    for r in loci.iter_rows(named=True):
        beta, se = r.get("beta"), r.get("standard_error")
        if finite(beta) and finite(se):
            tr = np.exp if binary else (lambda v: v)
            lo, hi = tr(beta - 1.96 * se), tr(beta + 1.96 * se)
            effect = Cell(f"{tr(beta):.2f} ({lo:.2f}–{hi:.2f})", repr(float(tr(beta))))
        else:
            effect = Cell("NA", "")
        known = r.get("known")
        if known is None:
            status = Cell("NA", "")
        else:
            note = r.get("known_variant") if known else None
            label, tag = ("known", "known") if known else ("new", "novel")
            status = Cell(label, label, kind="tag", tag=tag, note=note)
        replicated = r.get("replicated")
        i2 = r.get("i2")
        if finite(i2) and i2 <= 1:
            i2 = i2 * 100
        lead = r.get("rsid") or r.get("variant_id") or ""
        anchor = locus_anchor(str(r["locus_id"]))
        title = str(r.get("name") or r["locus_id"])
        position = r["base_pair_location"]
        rows.append(
            [
                Cell(title, title, kind="link", href=anchor),
                Cell(lead, kind="mono"),
                Cell(
                    f"{r['chromosome']}:{count(position)}",
                    f"{chrom_key(r['chromosome']):03d}{count(position, '{:012d}')}",
                ),
                Cell(f"{r.get('effect_allele') or ''}/{r.get('other_allele') or ''}"),
                num(r.get("effect_allele_frequency"), "{:.3f}"),
                p_cell(r.get("neg_log_10_p_value")),
                effect,
                Cell(str(r.get("genes") or r.get("nearest_gene") or "").replace(",", ", ")),
                status,
                p_cell(r.get("rep_neg_log_10_p_one_sided")),
                Cell("yes" if replicated else "no" if replicated is not None else "NA"),
                num(i2, "{:.0f}%"),
                p_cell(r.get("het_neg_log_10_p")),
            ]
        )
        rows[-1] = [rows[-1][i] for i in keep]
    headers = [headers[i] for i in keep]
    effect_note = (
        "OR: odds ratio per copy of the effect allele (EA)."
        if binary
        else "Beta: change in the trait per copy of the effect allele (EA)."
    )
    text = (
        "Click a column header to sort. p: two-sided p of the lead variant (from -log10 p, "
        f"so values below 10⁻³⁰⁸ are exact); {effect_note}"
    )
    if 9 in keep:
        text += " Replication p is one-sided in the direction of discovery."
    if 11 in keep:
        text += " I² and Het. p describe heterogeneity of the effect across studies."
    if 8 in keep:
        text += " Status: new, or known (with the known variant) from the known-loci table."
    note = render("paragraph", text)
    search = render("search", "loci-table", "loci-count")
    return search + table(headers, rows, table_id="loci-table", sortable=True) + note
