"""Manhattan plot: -log10 p along the genome, chromosomes in alternating colours.

Fast for tens of millions of variants: the dense, non-significant part (below ``dense_below``)
is quantised to the pixel grid of the axes and one point is drawn per occupied pixel cell, as a
rasterised layer; the variants above it are drawn exactly. The picture is the same as drawing
every point (a point is larger than a cell), in a fraction of the time and file size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from matplotlib.axes import Axes
from matplotlib.transforms import offset_copy

from gwaskit.errors import ParameterError
from gwaskit.io.chromosomes import chromosome_order
from gwaskit.plot._axes import finite, neg_log10_axis, new_axes

#: Chromosome colours, alternating, and the colours of novel and known loci.
COLORS = ("#2b5c8a", "#8fb3d3")
NOVEL_COLOR = "#d1495b"
KNOWN_COLOR = "#edae49"


@dataclass(frozen=True)
class GenomeAxis:
    """Where each chromosome sits on a genome-wide x axis (base pairs plus small gaps)."""

    names: list[str]
    offsets: np.ndarray
    lengths: np.ndarray

    @property
    def midpoints(self) -> np.ndarray:
        return self.offsets + self.lengths / 2


def genome_positions(
    chromosome: pl.Series, position: np.ndarray, *, gap_fraction: float = 0.006
) -> tuple[np.ndarray, np.ndarray, GenomeAxis]:
    """Cumulative x coordinates of variants along the genome, chromosomes in 1..22, X, Y, MT order.

    Returns ``(x, chromosome_index, genome)``: ``x`` in base pairs from the start of the first
    chromosome plus a small gap between chromosomes (NaN for a null chromosome), the index of each
    variant's chromosome in ``genome.names`` (-1 for null), and the :class:`GenomeAxis`.

    >>> x, i, g = genome_positions(pl.Series(["2", "1", "2"]), np.array([10, 100, 50]))
    >>> g.names, i.tolist(), (x - g.offsets[i]).tolist()
    (['1', '2'], [1, 0, 1], [10.0, 100.0, 50.0])
    """
    names = sorted(
        chromosome.unique().drop_nulls().to_list(), key=lambda c: (chromosome_order(c), c)
    )
    index = chromosome.replace_strict(
        {c: i for i, c in enumerate(names)}, default=-1, return_dtype=pl.Int32
    ).to_numpy()
    position = np.asarray(position, dtype=np.float64)
    lengths = np.zeros(len(names))
    ok = index >= 0
    np.maximum.at(lengths, index[ok], position[ok])
    gap = gap_fraction * max(lengths.sum(), 1.0)
    offsets = np.concatenate([[0.0], np.cumsum(lengths + gap)[:-1]])
    x = np.where(ok, offsets[np.maximum(index, 0)] + position, np.nan)
    return x, index, GenomeAxis(names, offsets, lengths)


def manhattan(
    sumstats: pl.DataFrame,
    *,
    loci: pl.DataFrame | None = None,
    ax: Axes | None = None,
    genome_wide: float = 5e-8,
    suggestive: float | None = 1e-5,
    dense_below: float | None = None,
    colors: Sequence[str] = COLORS,
    label_column: str = "name",
    max_labels: int | None = None,
    title: str | None = None,
    point_size: float = 4.0,
) -> Axes:
    """Draw a Manhattan plot of a SumStats or MetaStats table.

    Parameters
    ----------
    sumstats
        Table with ``chromosome``, ``base_pair_location`` and ``neg_log_10_p_value``.
    loci
        Optional Loci table (:data:`gwaskit.loci.schema.LOCI_SCHEMA`). Each locus is labelled at its
        lead variant with ``label_column`` (falling back to ``nearest_gene``, then ``locus_id``);
        the variants of novel loci (``known`` false or null) are highlighted, known loci are
        marked in another colour.
    ax
        Axes to draw on; a new 12 x 4.2 inch figure if None.
    genome_wide, suggestive
        p-value thresholds drawn as horizontal lines (suggestive: None for none).
    dense_below
        -log10 p under which variants are drawn binned to pixels; default the suggestive line
        (or 3 if None), capped at the genome-wide line.
    colors
        Colours alternating between chromosomes.
    label_column, max_labels
        Every locus is labelled (the strongest ``max_labels`` when given). Labels that would
        overlap are spread apart along the axis (at least 1.3% of its width between two) and
        joined to their lead by a thin line, so none collides and none is dropped.

    Returns
    -------
    The axes. ``ax.collections`` holds the binned layer (``gid`` ``"dense"``), the exact
    points (``"points"``), highlighted loci (``"loci"``) and lead variants (``"leads"``).
    """
    missing = [
        c for c in ("chromosome", "base_pair_location", "neg_log_10_p_value") if c not in sumstats
    ]
    if missing:
        raise ParameterError(
            f"manhattan: sumstats must have column(s) {missing}, got {sumstats.columns}."
        )
    ax = new_axes(ax, (12, 4.2))
    gw = -np.log10(genome_wide)
    sg = None if suggestive is None else -np.log10(suggestive)
    if dense_below is None:
        dense_below = min(sg if sg is not None else 3.0, gw)

    x, chrom_index, genome = genome_positions(
        sumstats["chromosome"].cast(pl.String), sumstats["base_pair_location"].to_numpy()
    )
    y = finite(sumstats["neg_log_10_p_value"].to_numpy(), "neg_log_10_p_value")
    keep = np.isfinite(x) & np.isfinite(y)
    top = float(np.max(y[keep])) if keep.any() else gw
    if loci is not None and loci.height:
        top = max(top, float(np.nanmax(loci["neg_log_10_p_value"].cast(pl.Float64).to_numpy())))
    neg_log10_axis(ax, top)
    x_max = float(genome.offsets[-1] + genome.lengths[-1]) if genome.names else 1.0
    ax.set_xlim(-0.005 * x_max, x_max * 1.005)
    colour_of = np.asarray([colors[i % 2] for i in range(max(len(genome.names), 1))])

    dense = keep & (y < dense_below)
    _draw_dense(ax, x[dense], y[dense], chrom_index[dense] % 2, colors, point_size)
    sparse = keep & ~dense
    ax.scatter(
        x[sparse],
        y[sparse],
        s=point_size,
        c=colour_of[chrom_index[sparse]] if sparse.any() else None,
        linewidths=0,
        rasterized=True,
        gid="points",
    )

    ax.axhline(gw, color="#b22222", lw=0.9, ls="--", zorder=0.6)
    if sg is not None:
        ax.axhline(sg, color="0.45", lw=0.7, ls=":", zorder=0.6)
    if loci is not None and loci.height:
        position = sumstats["base_pair_location"].to_numpy()
        _draw_loci(
            ax,
            loci,
            x,
            y,
            chrom_index,
            position,
            genome,
            label_column,
            point_size,
            dense_below,
            max_labels,
        )

    if len(genome.names) <= 40:
        ax.set_xticks(genome.midpoints, genome.names, fontsize=7)
    ax.set_xlabel("chromosome")
    ax.set_ylabel(r"$-\log_{10}\,p$")
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    return ax


def _draw_dense(
    ax: Axes, x: np.ndarray, y: np.ndarray, parity: np.ndarray, colors: Sequence[str], size: float
) -> None:
    """One point per occupied (pixel cell, colour): O(n) with a boolean grid, no sort."""
    if x.size == 0:
        ax.scatter([], [], gid="dense")
        return
    fig = ax.figure
    width_in, height_in = fig.get_size_inches()
    pos = ax.get_position()
    dpi = max(fig.dpi, 100.0)
    nx = int(min(max(width_in * pos.width * dpi * 2, 200), 6000))
    ny = int(min(max(height_in * pos.height * dpi * 2, 100), 3000))
    x0, x1 = ax.get_xlim()
    y1 = float(np.max(y)) if y.size else 1.0
    xi = np.clip(((x - x0) / (x1 - x0) * nx).astype(np.int64), 0, nx - 1)
    yi = np.clip((y / max(y1, 1e-12) * ny).astype(np.int64), 0, ny - 1)
    grid = np.zeros(2 * nx * ny, dtype=bool)
    grid[(parity.astype(np.int64) * nx + xi) * ny + yi] = True
    cells = np.flatnonzero(grid)
    cell_parity, rest = np.divmod(cells, nx * ny)
    cx, cy = np.divmod(rest, ny)
    px = x0 + (cx + 0.5) / nx * (x1 - x0)
    py = (cy + 0.5) / ny * y1
    ax.scatter(
        px,
        py,
        s=size,
        c=np.asarray(colors[:2])[cell_parity],
        linewidths=0,
        rasterized=True,
        gid="dense",
    )


def _draw_loci(
    ax: Axes,
    loci: pl.DataFrame,
    x: np.ndarray,
    y: np.ndarray,
    chrom_index: np.ndarray,
    position: np.ndarray,
    genome: GenomeAxis,
    label_column: str,
    size: float,
    dense_below: float,
    max_labels: int,
) -> None:
    """Highlight the variants of novel loci, mark every lead, label the strongest loci that do
    not crowd each other (loop over loci, vectorised over the few variants above
    ``dense_below``)."""
    chrom_of = {c: i for i, c in enumerate(genome.names)}
    strong = np.flatnonzero(np.isfinite(y) & (y >= dense_below))
    sx, sy, schrom, spos = x[strong], y[strong], chrom_index[strong], position[strong]
    labels = _locus_labels(loci, label_column)
    known = (
        loci["known"].fill_null(False).to_numpy()
        if "known" in loci.columns
        else np.zeros(loci.height, dtype=bool)
    )
    rows = list(loci.iter_rows(named=True))
    x_lo, x_hi = ax.get_xlim()
    order = np.argsort([-float(r["neg_log_10_p_value"] or 0) for r in rows], kind="stable")
    hx, hy, lx, ly, lc, labelled = [], [], [], [], [], []
    for k in order:
        row, label, is_known = rows[k], labels[k], bool(known[k])
        c = str(row["chromosome"])
        if c not in chrom_of:
            continue
        colour = KNOWN_COLOR if is_known else NOVEL_COLOR
        start = row.get("start") or row["base_pair_location"]
        end = row.get("end") or row["base_pair_location"]
        if not is_known:
            inside = (schrom == chrom_of[c]) & (spos >= start) & (spos <= end)
            hx.append(sx[inside])
            hy.append(sy[inside])
        lead_x = genome.offsets[chrom_of[c]] + float(row["base_pair_location"])
        lead_y = float(row["neg_log_10_p_value"])
        lx.append(lead_x)
        ly.append(lead_y)
        lc.append(colour)
        if max_labels is None or len(labelled) < max_labels:
            labelled.append((lead_x, lead_y, label, is_known))
    text_x = spread_labels(np.array([p[0] for p in labelled]), x_lo, x_hi, 0.013 * (x_hi - x_lo))
    above = offset_copy(ax.transData, fig=ax.figure, y=6, units="points")
    for (lead_x, lead_y, label, is_known), tx in zip(labelled, text_x, strict=True):
        moved = abs(tx - lead_x) > 1e-9 * (x_hi - x_lo)
        ax.annotate(
            label,
            xy=(lead_x, lead_y),
            xytext=(tx, lead_y),
            textcoords=above,
            rotation=90,
            ha="center",
            va="bottom",
            fontsize=7,
            fontstyle="normal" if is_known else "italic",
            color="0.15",
            annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.5, "shrinkA": 0, "shrinkB": 2}
            if moved
            else None,
            gid="locus-label",
        )
    if hx:
        ax.scatter(
            np.concatenate(hx),
            np.concatenate(hy),
            s=size * 1.3,
            color=NOVEL_COLOR,
            linewidths=0,
            rasterized=True,
            gid="loci",
            zorder=3,
        )
    ax.scatter(
        lx,
        ly,
        s=size * 6,
        c=lc or None,
        marker="D",
        edgecolors="black",
        linewidths=0.5,
        gid="leads",
        zorder=4,
    )


def spread_labels(x: np.ndarray, lo: float, hi: float, gap: float) -> np.ndarray:
    """Label positions as close to ``x`` as possible, at least ``gap`` apart and inside
    ``[lo, hi]`` (returned in the order of ``x``): a left-to-right pass pushes crowded labels
    right, a right-to-left pass pulls those past ``hi`` back, and each crowded run is then
    centred on its leads.

    >>> spread_labels(np.array([5.0, 5.0, 20.0]), 0, 100, 2).tolist()
    [4.0, 6.0, 20.0]
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    order = np.argsort(x, kind="stable")
    want = x[order]
    out = want.copy()
    # runs of labels closer than gap, each centred on the mean of its leads
    runs: list[list[int]] = [[0]]
    for i in range(1, out.size):
        runs.append([i])
        while len(runs) > 1:
            a, b = runs[-2], runs[-1]
            if _run_positions(want[b], gap)[0] - _run_positions(want[a], gap)[-1] >= gap:
                break
            runs[-2:] = [a + b]
    for run in runs:
        out[run] = _run_positions(want[run], gap)
    out = np.clip(out, lo, hi)
    for i in range(1, out.size):  # keep the spacing after clipping at the edges
        out[i] = max(out[i], out[i - 1] + gap)
    for i in range(out.size - 2, -1, -1):
        if out[i + 1] > hi:
            out[i + 1] = hi
        out[i] = min(out[i], out[i + 1] - gap)
    result = np.empty_like(out)
    result[order] = out
    return result


def _run_positions(want: np.ndarray, gap: float) -> np.ndarray:
    """Positions ``gap`` apart centred on the mean of ``want`` (sorted)."""
    n = want.size
    return want.mean() + (np.arange(n) - (n - 1) / 2) * gap


def _locus_labels(loci: pl.DataFrame, label_column: str) -> list[str]:
    out = []
    for row in loci.iter_rows(named=True):
        label = None
        for column in (label_column, "nearest_gene", "locus_id", "variant_id"):
            value = row.get(column)
            if value:
                label = str(value)
                break
        out.append(label or "")
    return out
