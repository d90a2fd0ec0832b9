"""The fine-mapping part of a locus's section of the report: its credible sets as a table and
the PIP track under its regional plot (inputs: ``finemap.parquet`` and
``credible_sets.parquet`` of the results folder, as ``gwaskit finemap`` writes them)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import polars as pl
from matplotlib.axes import Axes

from gwaskit.plot.finemap import pip_track

#: variants listed per credible set in the table (the rest are counted)
SHOWN = 10


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def locus_rows(table: pl.DataFrame | None, locus_id: str) -> pl.DataFrame | None:
    """Rows of ``table`` for one locus, or None."""
    if table is None or table.height == 0:
        return None
    rows = table.filter(pl.col("locus_id") == locus_id)
    return rows if rows.height else None


def credible_sets_html(variants: pl.DataFrame | None, sets: pl.DataFrame | None) -> str:
    """A table of one locus's credible sets (size, coverage, log10 BF, purity, members with
    their PIPs), or an empty string without fine-mapping results."""
    if sets is None:
        return ""
    pip = {}
    if variants is not None and "variant_id" in variants.columns:
        label = pl.col("rsid") if "rsid" in variants.columns else pl.col("variant_id")
        for vid, name, value in variants.select(
            "variant_id", label.alias("_name"), "pip"
        ).iter_rows():
            pip[str(vid)] = (str(name or vid), value)
    if "requested_coverage" in sets.columns:  # ABF: one row per signal and level
        sets = sets.filter(pl.col("requested_coverage") == pl.col("requested_coverage").min())
    rows = []
    for k, row in enumerate(sets.iter_rows(named=True), start=1):
        members = str(row["variant_ids"]).split(",")
        shown = []
        for vid in members[:SHOWN]:
            name, value = pip.get(vid, (vid, None))
            shown.append(f"{_e(name)}" + (f" ({value:.3f})" if value is not None else ""))
        more = f" and {len(members) - SHOWN} more" if len(members) > SHOWN else ""
        bf = row.get("log10_bf")
        purity = row.get("min_abs_corr")
        rows.append(
            "<tr>"
            f"<td>{_e(row.get('credible_set', row.get('signal', k)))}</td>"
            f'<td class="num">{int(row["n_variants"])}</td>'
            f'<td class="num">{float(row["coverage"]):.3f}</td>'
            f'<td class="num">{"" if bf is None else f"{bf:.2f}"}</td>'
            f'<td class="num">{"" if purity is None else f"{purity:.2f}"}</td>'
            f'<td class="mono">{", ".join(shown)}{_e(more)}</td>'
            "</tr>"
        )
    num_class = ' class="num"'
    head = "".join(
        f"<th{num_class if num else ''}>{_e(h)}</th>"
        for h, num in (
            ("Set", False),
            ("Variants", True),
            ("Coverage", True),
            ("log10 BF", True),
            ("Min |r|", True),
            ("Members (PIP)", False),
        )
    )
    if not rows:
        return '<p class="missing">Fine-mapping found no credible set in this locus.</p>'
    return (
        f'<div class="scroll"><table class="credible-sets"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def coloc_html(rows: pl.DataFrame | None) -> str:
    """One sentence with a locus's coloc posteriors, or an empty string."""
    if rows is None:
        return ""
    r = rows.row(0, named=True)
    return (
        f"<p>Colocalisation with the second trait (coloc.abf): PP.H4 (one shared causal "
        f"variant) = {float(r['pp_h4']):.3f}, PP.H3 (two distinct) = {float(r['pp_h3']):.3f}.</p>"
    )


def draw_pips(variants: pl.DataFrame, ax: Axes) -> Axes:
    """The PIP track of one locus on ``ax`` (the best PIP per variant over ABF signals)."""
    cs = "credible_set" if "credible_set" in variants.columns else None
    if cs is None and "in_credible_set" in variants.columns:  # ABF: signal number when in set
        variants = variants.with_columns(
            pl.when(pl.col("in_credible_set")).then(pl.col("signal")).otherwise(0).alias("_cs")
        )
        cs = "_cs"
    table = (
        variants.group_by("base_pair_location")
        .agg(pl.col("pip").max(), pl.col(cs).max() if cs else pl.lit(0).alias("_none"))
        .sort("base_pair_location")
    )
    sets = table[cs].cast(pl.Float64).fill_null(0).to_numpy() if cs else None
    return pip_track(
        table["base_pair_location"].to_numpy(),
        table["pip"].cast(pl.Float64).fill_null(np.nan).to_numpy(),
        credible_set=sets,
        ax=ax,
    )
