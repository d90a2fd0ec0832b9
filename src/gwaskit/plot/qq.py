"""QQ plot: observed against expected -log10 p under the null, with a 95% band and lambda GC.

The band is the pointwise interval of uniform order statistics: the i-th smallest of n null
p-values follows Beta(i, n - i + 1). The points are thinned to one per distinct pixel cell along
the (monotone) curve, so ten million p-values draw as fast as a few thousand.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from scipy import stats as sps

from gwaskit.errors import ParameterError
from gwaskit.plot._axes import finite, neg_log10_axis, new_axes
from gwaskit.stats import lambda_gc

#: Default minor-allele-frequency bins for :func:`qq` with ``maf``.
MAF_BINS = (0.0, 0.01, 0.05, 0.2, 0.5)


def expected_neg_log10_p(n: int) -> np.ndarray:
    """Expected -log10 p of the i-th smallest of ``n`` null p-values, ``-log10(i / (n + 1))``,
    in decreasing order (i = 1..n)."""
    return -np.log10(np.arange(1, n + 1, dtype=np.float64) / (n + 1))


def null_band(n: int, *, level: float = 0.95, points: int = 400) -> tuple[np.ndarray, ...]:
    """Pointwise ``level`` band of -log10 p for ``n`` null tests on a log-spaced grid of ranks.

    Returns ``(expected, lower, upper)`` -log10 values, where the i-th smallest p is
    Beta(i, n - i + 1) distributed.
    """
    ranks = np.unique(np.geomspace(1, n, num=min(points, n)).round().astype(np.int64))
    alpha = (1.0 - level) / 2.0
    lower_p = sps.beta.ppf(1.0 - alpha, ranks, n - ranks + 1)
    upper_p = sps.beta.ppf(alpha, ranks, n - ranks + 1)
    expected = -np.log10(ranks / (n + 1.0))
    return expected, -np.log10(lower_p), -np.log10(upper_p)


def qq(
    neg_log10_p: np.ndarray,
    *,
    maf: np.ndarray | None = None,
    maf_bins: Sequence[float] = MAF_BINS,
    ax: Axes | None = None,
    band: float | None = 0.95,
    title: str | None = None,
    point_size: float = 6.0,
) -> Axes:
    """Draw a QQ plot of -log10 p-values, with lambda GC in the legend.

    Parameters
    ----------
    neg_log10_p
        -log10 p per variant (NaN ignored). Values above 300 are drawn where they are.
    maf
        Optional minor- (or effect-) allele frequency per variant: one series per bin of
        ``maf_bins`` (frequencies above 0.5 are folded), each with its own lambda GC.
    band
        Level of the pointwise null band (None: no band).

    Returns
    -------
    The axes; each series is a scatter collection with ``gid`` ``"qq"`` (or ``"qq:<bin>"``).
    """
    y = finite(neg_log10_p, "neg_log10_p")
    ok = np.isfinite(y)
    if not ok.any():
        raise ParameterError("qq: neg_log10_p must hold at least one finite value, got none.")
    ax = new_axes(ax, (4.6, 4.6))
    groups: list[tuple[str, np.ndarray]] = []
    if maf is None:
        groups.append(("all", y[ok]))
    else:
        f = np.asarray(maf, dtype=np.float64)
        if f.shape != y.shape:
            raise ParameterError(
                f"qq: maf must have the shape of neg_log10_p {y.shape}, got {f.shape}."
            )
        f = np.minimum(f, 1.0 - f)
        edges = np.asarray(maf_bins, dtype=np.float64)
        which = np.digitize(f, edges[1:-1], right=True)
        for k in range(len(edges) - 1):
            sel = ok & np.isfinite(f) & (which == k)
            if sel.any():
                groups.append((f"MAF {edges[k]:g}–{edges[k + 1]:g}", y[sel]))
    n_all = int(ok.sum())
    emax = float(np.log10(n_all + 1.0))  # expected -log10 p of the smallest of n_all
    top = max(float(np.max(y[ok])), emax)
    neg_log10_axis(ax, top)
    if band is not None:
        e, lo, hi = null_band(n_all, level=band)
        ax.fill_between(e, lo, hi, color="0.85", lw=0, zorder=0, label=f"{band:.0%} null band")
    ax.plot([0, emax], [0, emax], color="#b22222", lw=0.8, zorder=1)
    palette = ["#2b5c8a", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d96a3"]
    for k, (label, values) in enumerate(groups):
        obs = np.sort(values)[::-1]
        exp = expected_neg_log10_p(obs.size)
        keep = _thin(exp, obs, top)
        lam = lambda_gc(values)
        ax.scatter(
            exp[keep],
            obs[keep],
            s=point_size,
            color=palette[k % len(palette)],
            linewidths=0,
            rasterized=True,
            label=f"{label}: λGC = {lam:.3f} (n = {values.size:,})"
            if maf is not None
            else f"λGC = {lam:.3f} (n = {values.size:,})",
            gid="qq" if maf is None else f"qq:{label}",
            zorder=2,
        )
    ax.set_xlim(0, emax * 1.04)
    ax.set_xlabel(r"expected $-\log_{10}\,p$")
    ax.set_ylabel(r"observed $-\log_{10}\,p$")
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    return ax


def _thin(exp: np.ndarray, obs: np.ndarray, top: float, cells: int = 2000) -> np.ndarray:
    """Indices keeping one point per distinct (x, y) cell of a cells x cells grid; both series
    are sorted, so equal cells are adjacent. The 1000 most extreme points are always kept."""
    xi = (exp / max(exp[0], 1e-12) * cells).astype(np.int64)
    yi = (np.minimum(obs, 60.0) / max(min(top, 60.0), 1e-12) * cells).astype(np.int64)
    change = np.ones(exp.size, dtype=bool)
    change[1:] = (np.diff(xi) != 0) | (np.diff(yi) != 0)
    change[:1000] = True
    return np.flatnonzero(change)
