"""PIP track of a fine-mapped locus: posterior inclusion probability by position, coloured by
credible set (grey: in no set)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from gwaskit.errors import ParameterError
from gwaskit.plot._axes import new_axes

#: one colour per credible set (cycled), grey outside any set
SET_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
NO_SET_COLOR = "#b0b0b0"


def pip_track(
    position: np.ndarray,
    pip: np.ndarray,
    *,
    credible_set: np.ndarray | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw PIPs against position.

    Parameters
    ----------
    position
        Base-pair positions, shape ``(n_variants,)``.
    pip
        Posterior inclusion probabilities in [0, 1], same shape.
    credible_set
        Credible-set number of each variant (1, 2, ...; 0 or NaN: none).
    ax
        Axes to draw on (a new figure's when None).
    """
    pos = np.asarray(position, dtype=np.float64)
    p = np.asarray(pip, dtype=np.float64)
    if pos.shape != p.shape or pos.ndim != 1:
        raise ParameterError(
            f"pip_track: position and pip must be equal-length 1-d arrays, got {pos.shape} "
            f"and {p.shape}."
        )
    cs = np.zeros(pos.shape) if credible_set is None else np.asarray(credible_set, float)
    cs = np.where(np.isfinite(cs), cs, 0).astype(int)
    ax = new_axes(ax, (7.5, 1.6))
    none = cs == 0
    ax.scatter(pos[none], p[none], s=10, color=NO_SET_COLOR, edgecolors="0.4", linewidths=0.2)
    for k in np.unique(cs[~none]):
        sel = cs == k
        ax.scatter(
            pos[sel],
            p[sel],
            s=18,
            color=SET_COLORS[(k - 1) % len(SET_COLORS)],
            edgecolors="black",
            linewidths=0.3,
            label=f"CS{k}",
            zorder=3,
        )
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("PIP")
    ax.spines[["top", "right"]].set_visible(False)
    if (~none).any():
        ax.legend(fontsize=7, frameon=False, loc="upper right", ncols=min(4, int(cs.max())))
    return ax
