"""Shared plumbing of the figures: the Agg backend, new axes, a -log10 p axis that never clips.

Figures are made with :class:`matplotlib.figure.Figure` directly, never through pyplot, so they
render with Agg whatever the session's backend is and are freed when no longer referenced.

A -log10 p axis is linear up to a break and logarithmic above it when the largest value is far
above genome-wide significance, so a variant at -log10 p = 400 is drawn at 400 (its data value is
400 and the axis reaches it) while the ordinary range keeps its resolution. Values are never
clipped and never infinite: gwaskit keeps -log10 p in log space (see :mod:`gwaskit.stats`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator

from gwaskit.errors import ParameterError

#: -log10 of the conventional genome-wide (5e-8) and suggestive (1e-5) thresholds.
GENOME_WIDE = -np.log10(5e-8)
SUGGESTIVE = 5.0
#: Above this -log10 p (top of the data), the axis switches to linear-then-log.
AUTO_BREAK_ABOVE = 60.0


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` itself, or the axes of a new Agg figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def finite(values: Any, name: str) -> np.ndarray:
    """A float64 copy of ``values``; +inf is refused (gwaskit never produces it)."""
    arr = np.asarray(values, dtype=np.float64)
    if np.any(np.isposinf(arr)):
        raise ParameterError(
            f"{name} must be finite -log10 p-values, got +inf. Compute -log10 p in log space "
            "(gwaskit.stats.neg_log10_p_from_z) instead of -log10(p) of an underflowed p."
        )
    return arr


def neg_log10_axis(
    ax: Axes, top_value: float, *, break_at: float | None = None, axis: str = "y"
) -> float | None:
    """Set a -log10 p axis from 0 to a little above ``top_value``, never below 8.5.

    When ``top_value`` exceeds :data:`AUTO_BREAK_ABOVE` (or ``break_at`` is given), the axis is
    linear up to the break and logarithmic above it, the log part taking a third of the height;
    data keep their values (a point at 400 is at 400). Returns the break, or None if linear.
    """
    top = max(float(top_value) * 1.06, GENOME_WIDE + 1.2) if np.isfinite(top_value) else 10.0
    set_lim = ax.set_ylim if axis == "y" else ax.set_xlim
    set_scale = ax.set_yscale if axis == "y" else ax.set_xscale
    target = ax.yaxis if axis == "y" else ax.xaxis
    if break_at is None and top_value <= AUTO_BREAK_ABOVE:
        set_lim(0, top)
        return None
    b = float(break_at) if break_at is not None else 30.0
    if top <= b * 1.5:
        set_lim(0, top)
        return None
    c = 0.5 * b / np.log10(top / b)

    def forward(y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y <= b, y, b + c * np.log10(np.maximum(y, b) / b))

    def inverse(u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(u <= b, u, b * np.power(10.0, (np.maximum(u, b) - b) / c))

    set_scale("function", functions=(forward, inverse))
    set_lim(0, top)
    low = [t for t in MaxNLocator(5, integer=True).tick_values(0, b) if 0 <= t <= b]
    high = [
        m * 10.0**e
        for e in range(int(np.floor(np.log10(b))), int(np.ceil(np.log10(top))) + 1)
        for m in (1, 2, 5)
        if b * 1.3 < m * 10.0**e <= top
    ]
    if top_value > (high[-1] if high else b) * 1.25:
        high.append(float(np.floor(top_value)))  # label the top of the data itself
    target.set_major_locator(FixedLocator([*low, *high]))
    target.set_minor_locator(FixedLocator([]))
    line = ax.axhline if axis == "y" else ax.axvline
    line(b, color="0.55", lw=0.8, ls=(0, (1, 2)), zorder=0.5)
    if axis == "y":
        ax.annotate(
            "log scale above",
            xy=(1.0, b),
            xycoords=("axes fraction", "data"),
            xytext=(-2, 2),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=7,
            color="0.4",
        )
    return b


def format_p(neg_log10_p: float | None) -> str:
    """A p-value for people, from its -log10 (no underflow): ``3.2e-400``, ``0.012``.

    >>> format_p(400 - np.log10(3.2))
    '3.2e-400'
    >>> format_p(1.920818753952375)
    '0.012'
    """
    if neg_log10_p is None:
        return "NA"
    x = float(neg_log10_p)
    if not np.isfinite(x):
        return "NA"
    if x < 3:
        return f"{10.0**-x:.2g}"
    exponent = int(np.floor(-x))
    mantissa = 10.0 ** (-x - exponent)
    if round(mantissa, 1) >= 10.0:
        mantissa, exponent = mantissa / 10.0, exponent + 1
    return f"{mantissa:.1f}e{exponent}"
