"""PCA scatter of a cohort's samples: PC1 against PC2, cases and controls coloured."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from gwaskit.errors import ParameterError
from gwaskit.plot._axes import new_axes

#: Colours of controls, cases and samples of unknown status.
STATUS_COLORS = {"control": "#2b5c8a", "case": "#d1495b", "unknown": "#9a9a9a"}


def pca_scatter(
    pc1: np.ndarray,
    pc2: np.ndarray,
    *,
    status: np.ndarray | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw samples on the first two principal components.

    ``status``: per sample ``"case"``, ``"control"`` or anything else (unknown, grey); all
    grey when None. Each group is one collection with ``gid`` its name, drawn controls first.
    """
    x = np.asarray(pc1, dtype=np.float64)
    y = np.asarray(pc2, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size == 0:
        raise ParameterError(
            f"pca_scatter: pc1 and pc2 must be equal-length, non-empty vectors, got {x.shape} "
            f"and {y.shape}."
        )
    groups = np.full(x.size, "unknown", dtype=object)
    if status is not None:
        s = np.asarray(status, dtype=object)
        groups[s == "case"] = "case"
        groups[s == "control"] = "control"
    ax = new_axes(ax, (4.2, 3.8))
    for name in ("control", "case", "unknown"):
        sel = groups == name
        if sel.any():
            ax.scatter(
                x[sel],
                y[sel],
                s=6,
                color=STATUS_COLORS[name],
                alpha=0.7,
                linewidths=0,
                label=f"{name}s ({int(sel.sum()):,})",
                gid=name,
                rasterized=True,
            )
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.legend(fontsize=7, frameon=False, markerscale=2)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)
    return ax
