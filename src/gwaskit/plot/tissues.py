"""Tissue enrichment bar chart: -log10 p of each tissue, Bonferroni line across tissues."""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.axes import Axes

from gwaskit.errors import ParameterError
from gwaskit.plot._axes import finite, new_axes


def tissue_enrichment(
    tissues: pl.DataFrame, *, ax: Axes | None = None, alpha: float = 0.05, top: int | None = 30
) -> Axes:
    """Horizontal bars of ``neg_log_10_p_value`` per ``tissue``, most significant on top, with
    the Bonferroni threshold ``alpha / n_tissues``; bars past it are highlighted.

    ``top`` limits the bars to the most significant tissues (None: all)."""
    missing = [c for c in ("tissue", "neg_log_10_p_value") if c not in tissues.columns]
    if missing:
        raise ParameterError(f"tissue_enrichment: tissues must have column(s) {missing}.")
    n = tissues.height
    t = tissues.sort("neg_log_10_p_value", descending=True, nulls_last=True)
    if top is not None:
        t = t.head(top)
    y = finite(t["neg_log_10_p_value"].cast(pl.Float64).to_numpy(), "neg_log_10_p_value")
    ax = new_axes(ax, (6.0, 0.6 + 0.22 * max(t.height, 1)))
    threshold = -np.log10(alpha / max(n, 1))
    colours = np.where(y >= threshold, "#d1495b", "#8fb3d3")
    rows = np.arange(t.height)[::-1]
    ax.barh(rows, np.nan_to_num(y), color=colours, gid="bars")
    ax.set_yticks(rows, [str(v) for v in t["tissue"]], fontsize=7)
    ax.axvline(threshold, color="#b22222", lw=0.8, ls="--")
    ax.annotate(
        f"Bonferroni ({n} tissues)",
        xy=(threshold, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -2),
        textcoords="offset points",
        fontsize=7,
        va="top",
    )
    ax.set_xlim(0, max(float(np.nanmax(y, initial=0.0)), threshold) * 1.1)
    ax.set_xlabel(r"$-\log_{10}\,p$ of enrichment")
    ax.spines[["top", "right"]].set_visible(False)
    return ax
