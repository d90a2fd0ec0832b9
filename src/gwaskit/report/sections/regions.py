"""One section per locus: regional plot, forest plot, fine-mapping and colocalisation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from markupsafe import Markup
from matplotlib.figure import Figure

from gwaskit.io.genetic_map import rate_in_window
from gwaskit.plot import forest, format_p, regional
from gwaskit.plot.regional import recombination_track
from gwaskit.report.facts import is_binary
from gwaskit.report.finemap import coloc_html, credible_sets_html, draw_pips, locus_rows
from gwaskit.report.html import finite, join, locus_anchor, missing, render, try_figure
from gwaskit.report.inputs import ReportInputs
from gwaskit.report.interactive import regional_data, to_json


def regions_section(inputs: ReportInputs, dpi: int) -> Markup:
    loci, gw = inputs.loci, inputs.genome_wide
    if loci is None or loci.height == 0:
        return missing("No loci: regional and forest plots are not available.")
    # the studies' and the meta-analysis's rows of the lead variants, found in one pass each
    leads = loci["variant_id"].drop_nulls().unique() if "variant_id" in loci.columns else []
    lead_rows = {
        name: t.filter(pl.col("variant_id").is_in(leads))
        for name, t in inputs.per_study.items()
        if "variant_id" in t.columns
    }
    meta = inputs.meta
    meta_leads = (
        meta.filter(pl.col("variant_id").is_in(leads))
        if meta is not None and "variant_id" in meta.columns
        else None
    )
    studies = [n for n in inputs.study_names if n in inputs.per_study]
    binary = is_binary(inputs)
    forest_caption = (
        f"Forest plot of the lead variant: {'odds ratio' if binary else 'beta'} and 95% CI in "
        "each study (square size: weight), with the fixed- and random-effects summaries of the "
        "meta-analysis table (diamonds) and I²."
    )
    parts = []
    for r in loci.iter_rows(named=True):
        lid = str(r["locus_id"])
        nlp = r.get("neg_log_10_p_value")
        # fine-mapping and coloc: HTML whose every value is escaped (report/finemap.py)
        finemapped = Markup(
            credible_sets_html(
                locus_rows(inputs.finemap, lid), locus_rows(inputs.credible_sets, lid)
            )
            + coloc_html(locus_rows(inputs.coloc, lid))
        )
        figs = []
        if gw is None:
            figs.append(missing("No genome-wide results: regional plot not available."))
        else:
            figs.append(
                try_figure(
                    lambda r=r: _regional_figure(inputs, gw, r),
                    f"fig-regional-{locus_anchor(lid)}",
                    _regional_caption(inputs, lid),
                    dpi,
                    f"Regional plot of {lid}",
                    data=lambda r=r: _regional_data(inputs, gw, r, binary),
                    # the PNG's PIP track of fine-mapping is not in the interactive plot
                    keep_png=locus_rows(inputs.finemap, lid) is not None,
                )
            )
        if inputs.per_study:
            figs.append(
                try_figure(
                    lambda r=r: _forest_figure(studies, lead_rows, meta_leads, r, binary),
                    f"fig-forest-{locus_anchor(lid)}",
                    forest_caption,
                    dpi,
                    f"Forest plot of {lid}",
                )
            )
        else:
            figs.append(missing("No per-study results (per_study/): forest plot not available."))
        parts.append(
            render(
                "locus",
                locus_anchor(lid),
                r.get("name") or lid,
                lid,
                r.get("rsid") or r.get("variant_id"),
                format_p(nlp) if finite(nlp) else "NA",
                r.get("n_signals"),
                r.get("nearest_gene"),
                join(figs),
                finemapped,
            )
        )
    return join(parts)


def _regional_caption(inputs: ReportInputs, lid: str) -> str:
    ld = (
        "colour: r² with the lead variant (purple diamond)"
        if lid in inputs.ld
        else "no LD table for this locus: grey points"
    )
    genes = "genes below (arrow: strand)" if inputs.genes is not None else "no gene table"
    if locus_rows(inputs.finemap, lid) is not None:
        genes = (
            "posterior inclusion probabilities (PIP) of fine-mapping below, coloured by credible set; "
            + genes
        )
    recomb = (
        "; light blue line: recombination rate (cM/Mb, right axis) from the genetic map"
        if inputs.genetic_map is not None
        else ""
    )
    return (
        f"Regional plot: -log10 p of the variants of the locus by position, the window centred "
        f"on the lead; {ld}; {genes}{recomb}. On screen: drag to zoom, hover a point."
    )


def locus_window(r: Mapping[str, Any], *, margin: float = 0.15) -> tuple[float, float]:
    """The regional plot's window: centred on the lead, wide enough for the whole locus plus
    ``margin`` of its half-width on each side (at least 50 kb; 250 kb each side when the
    locus has no bounds)."""
    lead = float(r["base_pair_location"])
    start, end = r.get("start"), r.get("end")
    half = 250_000.0 if start is None or end is None else max(lead - start, end - lead, 0.0)
    half = max(half * (1 + margin), 50_000.0)
    return lead - half, lead + half


def _region(
    inputs: ReportInputs, gw: pl.DataFrame, r: Mapping[str, Any]
) -> tuple[pl.DataFrame, np.ndarray | None, int | None, tuple[float, float]]:
    """The variants of a locus's window, their r² with the lead, the lead's row, the window."""
    c = str(r["chromosome"])
    window = locus_window(r)
    region = gw.filter(
        (pl.col("chromosome").cast(pl.String) == c)
        & pl.col("base_pair_location").is_between(window[0], window[1])
    )
    if region.height == 0:
        raise ValueError("no variants of the genome-wide results fall in the locus")
    ld = inputs.ld.get(str(r["locus_id"]))
    if ld is not None and "variant_id" in region.columns:
        region = region.join(
            ld.select("variant_id", pl.col("r2").cast(pl.Float64)).unique("variant_id"),
            on="variant_id",
            how="left",
            maintain_order="left",
        )
        r2 = region["r2"].fill_null(np.nan).to_numpy()
    else:
        r2 = None
    lead = None
    if r.get("variant_id") and "variant_id" in region.columns:
        hits = np.flatnonzero((region["variant_id"] == r["variant_id"]).fill_null(False).to_numpy())
        lead = int(hits[0]) if hits.size else None
    return region, r2, lead, window


def _regional_data(
    inputs: ReportInputs, gw: pl.DataFrame, r: Mapping[str, Any], binary: bool
) -> Markup:
    region, r2, lead, window = _region(inputs, gw, r)
    data = regional_data(
        region,
        r2=r2,
        lead=lead,
        chromosome=str(r["chromosome"]),
        window=window,
        genes=inputs.genes,
        binary=binary,
    )
    if inputs.genetic_map is not None:
        bp, rate = rate_in_window(inputs.genetic_map, str(r["chromosome"]), *window)
        if bp.size:
            data["recomb"] = {"x": bp.tolist(), "y": np.round(rate, 3).tolist()}
    return to_json(data)


def _regional_figure(inputs: ReportInputs, gw: pl.DataFrame, r: Mapping[str, Any]) -> Figure:
    c = str(r["chromosome"])
    region, r2, lead, window = _region(inputs, gw, r)
    labels = None
    if "variant_id" in region.columns:
        ids = region["rsid"] if "rsid" in region.columns else region["variant_id"]
        labels = ids.fill_null(region["variant_id"]).to_numpy()
    pips = locus_rows(inputs.finemap, str(r["locus_id"]))
    ratios = (3, *((1,) if pips is not None else ()), *((1,) if inputs.genes is not None else ()))
    fig = Figure(figsize=(7.2, 5.0 + (1.2 if pips is not None else 0)), layout="constrained")
    grid = fig.add_gridspec(len(ratios), 1, height_ratios=ratios)
    ax = fig.add_subplot(grid[0])
    genes_ax = fig.add_subplot(grid[-1], sharex=ax) if inputs.genes is not None else None
    regional(
        region["base_pair_location"].to_numpy(),
        region["neg_log_10_p_value"].cast(pl.Float64).to_numpy(),
        r2=r2,
        lead=lead,
        labels=labels,
        genes=inputs.genes,
        chromosome=c,
        ax=ax,
        genes_ax=genes_ax,
        title=str(r.get("name") or r["locus_id"]),
    )
    ax.set_xlim(window)  # centred on the lead, the whole locus and a margin in view
    if inputs.genetic_map is not None:
        bp, rate = rate_in_window(inputs.genetic_map, c, *window)
        if bp.size:
            recombination_track(ax, bp, rate)
    if pips is not None:  # the PIP track between the points and the genes
        pip_ax = draw_pips(pips, fig.add_subplot(grid[1], sharex=ax))
        pip_ax.tick_params(labelbottom=genes_ax is None)
        if genes_ax is None:
            pip_ax.set_xlabel(ax.get_xlabel())
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)
    return fig


def _forest_figure(
    study_names: Sequence[str],
    lead_rows: Mapping[str, pl.DataFrame],
    meta: pl.DataFrame | None,
    r: Mapping[str, Any],
    binary: bool,
) -> Figure:
    names = list(study_names)
    betas, ses = [], []
    ea, oa = r.get("effect_allele"), r.get("other_allele")
    for name in names:
        t = lead_rows.get(name)
        hit = t.filter(pl.col("variant_id") == r["variant_id"]) if t is not None else None
        if hit is None or hit.height == 0:
            betas.append(np.nan)
            ses.append(np.nan)
            continue
        h = hit.row(0, named=True)
        sign = -1.0 if (h.get("effect_allele") == oa and h.get("other_allele") == ea) else 1.0
        betas.append(sign * float(h["beta"]) if h.get("beta") is not None else np.nan)
        ses.append(float(h["standard_error"]) if h.get("standard_error") is not None else np.nan)
    fixed = random = i2 = None
    if meta is not None:
        hit = meta.filter(pl.col("variant_id") == r["variant_id"])
        if hit.height:
            m = hit.row(0, named=True)
            if m.get("beta") is not None and m.get("standard_error") is not None:
                fixed = (float(m["beta"]), float(m["standard_error"]))
            if m.get("beta_random") is not None and m.get("standard_error_random") is not None:
                random = (float(m["beta_random"]), float(m["standard_error_random"]))
            i2 = m.get("i2")
    ax = forest(
        names,
        np.array(betas),
        np.array(ses),
        fixed=fixed,
        random=random,
        i2=i2,
        odds_ratio=binary,
        title=str(r.get("rsid") or r["variant_id"]),
    )
    return ax.figure
