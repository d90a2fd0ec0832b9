"""Regional plot of one locus: -log10 p by position, coloured by LD (r²) with the lead variant,
and the genes of the region in a track below (LocusZoom style).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from mpl_toolkits.axes_grid1 import make_axes_locatable

from gwaskit.errors import ParameterError
from gwaskit.plot._axes import GENOME_WIDE, finite, neg_log10_axis, new_axes

#: LocusZoom's r² classes and colours: [0, .2), [.2, .4), [.4, .6), [.6, .8), [.8, 1].
R2_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
R2_COLORS = ("#2a3a8c", "#87cefa", "#2e8b57", "#ffa500", "#e3242b")
NO_R2_COLOR = "#b0b0b0"
LEAD_COLOR = "#7b2d8e"


def regional(
    position: np.ndarray,
    neg_log10_p: np.ndarray,
    *,
    r2: np.ndarray | None = None,
    lead: int | None = None,
    labels: np.ndarray | None = None,
    genes: pl.DataFrame | None = None,
    chromosome: str | None = None,
    ax: Axes | None = None,
    genes_ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw -log10 p against position for one region, points coloured by r² with the lead.

    Parameters
    ----------
    position
        Base-pair positions (1-based) of the variants, shape ``(n_variants,)``.
    neg_log10_p
        -log10 p of each variant.
    r2
        r² of each variant with the lead variant (NaN where unknown: grey).
    lead
        Index of the lead variant; the largest -log10 p if None.
    labels
        Variant names; the lead's is written beside it.
    genes
        Gene table with ``chromosome``, ``start``, ``end``, ``strand`` (``+``/``-``) and
        ``gene_name``; the genes overlapping the plotted range (on ``chromosome`` if given) are
        drawn in a track below, stacked so names do not overlap.
    ax, genes_ax
        Axes for the points and for the gene track. With ``genes`` and no ``genes_ax``, the gene
        track is split off below ``ax`` (or below a new figure's axes).

    Returns
    -------
    The axes of the points; the gene track is ``ax.gwaskit_genes_ax`` when drawn.
    """
    pos = np.asarray(position, dtype=np.float64)
    y = finite(neg_log10_p, "neg_log10_p")
    if pos.shape != y.shape or pos.ndim != 1 or pos.size == 0:
        raise ParameterError(
            f"regional: position and neg_log10_p must be equal-length 1-d arrays, got "
            f"{pos.shape} and {y.shape}."
        )
    r = np.full(pos.shape, np.nan) if r2 is None else np.asarray(r2, dtype=np.float64)
    if r.shape != pos.shape:
        raise ParameterError(f"regional: r2 must have shape {pos.shape}, got {r.shape}.")
    if lead is None:
        lead = int(np.nanargmax(np.where(np.isfinite(y), y, -np.inf)))
    ax = new_axes(ax, (7.5, 4.6))
    top = float(np.nanmax(y))
    neg_log10_axis(ax, top)
    lo, hi = float(np.nanmin(pos)), float(np.nanmax(pos))
    pad = max((hi - lo) * 0.03, 1000.0)
    ax.set_xlim(lo - pad, hi + pad)

    known = np.isfinite(r)
    others = np.arange(pos.size) != lead
    ax.scatter(
        pos[~known & others],
        y[~known & others],
        s=14,
        color=NO_R2_COLOR,
        edgecolors="0.3",
        linewidths=0.3,
        gid="no-r2",
    )
    order = np.flatnonzero(known & others)
    order = order[np.argsort(r[order], kind="stable")]  # high r² on top
    cmap = ListedColormap(R2_COLORS)
    norm = BoundaryNorm(R2_EDGES, cmap.N)
    points = ax.scatter(
        pos[order],
        y[order],
        c=np.clip(r[order], 0, 1),
        cmap=cmap,
        norm=norm,
        s=16,
        edgecolors="0.3",
        linewidths=0.3,
        gid="r2",
    )
    ax.scatter(
        [pos[lead]],
        [y[lead]],
        s=70,
        marker="D",
        color=LEAD_COLOR,
        edgecolors="black",
        linewidths=0.6,
        gid="lead",
        zorder=4,
    )
    if labels is not None:
        ax.annotate(
            str(np.asarray(labels)[lead]),
            xy=(pos[lead], y[lead]),
            xytext=(6, 4),
            textcoords="offset points",
            fontsize=8,
        )
    ax.axhline(GENOME_WIDE, color="#b22222", lw=0.8, ls="--", zorder=0.5)
    bar = ax.figure.colorbar(points, ax=ax, ticks=R2_EDGES, fraction=0.04, pad=0.01)
    bar.set_label("r² with lead", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    ax.set_ylabel(r"$-\log_{10}\,p$")
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    where = f"chromosome {chromosome} position (Mb)" if chromosome else "position (Mb)"
    if genes is not None:
        if genes_ax is None:
            genes_ax = make_axes_locatable(ax).append_axes(
                "bottom", size="32%", pad=0.08, sharex=ax
            )
        gene_track(genes, lo - pad, hi + pad, chromosome=chromosome, ax=genes_ax)
        genes_ax.set_xlabel(where)
        ax.tick_params(labelbottom=False)
        ax.gwaskit_genes_ax = genes_ax  # type: ignore[attr-defined]
    else:
        ax.set_xlabel(where)
    axis = ax if genes is None else genes_ax
    axis.xaxis.set_major_formatter(lambda v, _: f"{v / 1e6:.2f}")
    return ax


def gene_track(
    genes: pl.DataFrame,
    start: float,
    end: float,
    *,
    chromosome: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw the genes overlapping ``[start, end]`` as arrows (strand) stacked in rows."""
    need = ("start", "end", "gene_name")
    missing = [c for c in need if c not in genes.columns]
    if missing:
        raise ParameterError(
            f"gene_track: genes must have column(s) {missing}, got {genes.columns}."
        )
    ax = new_axes(ax, (7.5, 1.5))
    sel = genes.filter((pl.col("end") >= start) & (pl.col("start") <= end))
    if chromosome is not None and "chromosome" in sel.columns:
        sel = sel.filter(pl.col("chromosome").cast(pl.String) == str(chromosome))
    sel = sel.sort("start")
    rows_end: list[float] = []
    width = end - start
    label_room = width * 0.12  # room for a name beside the previous gene of the row
    for gene in sel.iter_rows(named=True):
        g0, g1 = max(float(gene["start"]), start), min(float(gene["end"]), end)
        row = next((i for i, e in enumerate(rows_end) if e + label_room < g0), len(rows_end))
        if row == len(rows_end):
            rows_end.append(g1)
        rows_end[row] = max(g1, (g0 + g1) / 2 + label_room / 2)
        yy = -row
        ax.plot([g0, g1], [yy, yy], color="#1b4f72", lw=3, solid_capstyle="butt")
        strand = gene.get("strand")
        if strand in ("+", "-"):
            tip, tail = (g1, g0) if strand == "+" else (g0, g1)
            ax.annotate(
                "",
                xy=(tip, yy),
                xytext=(tip + (tail - tip) * 0.001 - np.sign(tip - tail) * width * 0.012, yy),
                arrowprops={"arrowstyle": "-|>", "color": "#1b4f72", "lw": 0.8},
            )
        ax.text(
            (g0 + g1) / 2,
            yy - 0.3,
            str(gene["gene_name"]),
            ha="center",
            va="top",
            fontsize=7,
            fontstyle="italic",
        )
    n_rows = max(len(rows_end), 1)
    ax.set_ylim(-n_rows + 0.2, 0.6)
    ax.set_yticks([])
    ax.spines[["top", "right", "left"]].set_visible(False)
    if sel.height == 0:
        ax.text(
            0.5,
            0.5,
            "no genes in this region",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=8,
            color="0.4",
        )
    return ax


def recombination_track(ax: Axes, position: np.ndarray, rate: np.ndarray) -> Axes:
    """The recombination rate (cM/Mb) as a step line on a right-hand axis over ``ax`` (as
    LocusZoom draws it); returns that axis (``gid`` of the line: ``"recombination"``)."""
    twin = ax.twinx()
    twin.step(position, rate, where="post", color="#5ab4e5", lw=1.0, gid="recombination")
    top = float(np.nanmax(rate)) if np.size(rate) else 1.0
    twin.set_ylim(0, max(top * 1.1, 1.0))
    twin.set_ylabel("recombination rate (cM/Mb)", fontsize=8, color="#3a8cc0")
    twin.tick_params(labelsize=7, colors="#3a8cc0")
    twin.set_zorder(ax.get_zorder() - 1)
    ax.patch.set_visible(False)
    twin.spines[["top"]].set_visible(False)
    return twin
