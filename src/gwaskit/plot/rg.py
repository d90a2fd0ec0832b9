"""Genetic-correlation heat map: rg between every pair of studies, cross-trait intercepts."""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.axes import Axes

from gwaskit.errors import ParameterError
from gwaskit.plot._axes import new_axes


def rg_heatmap(rg: pl.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Square heat map of ``rg`` (rows ``study1, study2, rg``; -1 blue to 1 red) with each
    cell's value, and below the diagonal the cross-trait intercept (``gencov_intercept``) when
    present: near 0 when the two studies share no samples."""
    missing = [c for c in ("study1", "study2", "rg") if c not in rg.columns]
    if missing:
        raise ParameterError(f"rg_heatmap: rg must have column(s) {missing}.")
    names = list(dict.fromkeys([*map(str, rg["study1"]), *map(str, rg["study2"])]))
    k = len(names)
    index = {n: i for i, n in enumerate(names)}
    upper = np.full((k, k), np.nan)
    lower = np.full((k, k), np.nan)
    np.fill_diagonal(upper, 1.0)
    has_intercept = "gencov_intercept" in rg.columns
    for row in rg.iter_rows(named=True):
        i, j = sorted((index[str(row["study1"])], index[str(row["study2"])]))
        value = row["rg"]
        upper[i, j] = value if isinstance(value, int | float) else np.nan
        if has_intercept:
            icpt = row["gencov_intercept"]
            lower[j, i] = icpt if isinstance(icpt, int | float) else np.nan
    ax = new_axes(ax, (1.6 + 0.55 * k, 1.2 + 0.5 * k))
    ax.imshow(np.clip(upper, -1, 1), cmap="RdBu_r", vmin=-1, vmax=1, gid="rg")
    for i in range(k):
        for j in range(k):
            if i < j and np.isfinite(upper[i, j]):
                ax.text(j, i, f"{upper[i, j]:.2f}", ha="center", va="center", fontsize=7)
            elif i > j and np.isfinite(lower[i, j]):
                ax.text(j, i, f"{lower[i, j]:+.2f}", ha="center", va="center", fontsize=7,
                        color="#555555")  # fmt: skip
    ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(k), names, fontsize=7)
    ax.set_title("rg (above) and cross-trait intercept (below)", fontsize=8)
    return ax
