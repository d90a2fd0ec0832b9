"""Forest plot of one variant across studies: per-study odds ratios with 95% CIs, the fixed- and
random-effects summaries as diamonds, and the heterogeneity (I²).

The plot draws the summaries it is given (the meta-analysis's own row): it computes none, so
the figure always shows the numbers of the results table, whichever estimator made them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from scipy import special

from gwaskit.errors import ParameterError
from gwaskit.plot._axes import format_p, new_axes
from gwaskit.stats import neg_log10_p_from_z

Z95 = float(special.ndtri(0.975))


def forest(
    labels: Sequence[str],
    beta: np.ndarray,
    standard_error: np.ndarray,
    *,
    fixed: tuple[float, float] | None = None,
    random: tuple[float, float] | None = None,
    i2: float | None = None,
    odds_ratio: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw a forest plot of one variant's effect in each study.

    Parameters
    ----------
    labels
        Study names, in plan order.
    beta, standard_error
        Per-study effect (log odds ratio for binary traits) and its standard error; NaN marks a
        study without the variant (listed, not drawn).
    fixed, random
        ``(beta, standard_error)`` of the fixed- and random-effects meta-analysis (MetaStats
        ``beta``/``standard_error`` and ``beta_random``/``standard_error_random``); computed from
        not drawn (the row says "not available") when None.
    i2
        I² in percent (MetaStats ``i2`` is a fraction 0–1 or a percent; values <= 1 are read as
        a fraction); not shown when None.
    odds_ratio
        Draw exp(beta) on a log axis (binary traits); else beta on a linear axis.

    Returns
    -------
    The axes; per-study points have ``gid`` ``"studies"``, the diamonds ``"fixed"``/``"random"``.
    """
    b = np.asarray(beta, dtype=np.float64)
    se = np.asarray(standard_error, dtype=np.float64)
    labels = [str(x) for x in labels]
    if not (b.shape == se.shape == (len(labels),)) or not labels:
        raise ParameterError(
            f"forest: labels, beta and standard_error must have one value per study, got "
            f"{len(labels)}, {b.shape} and {se.shape}."
        )
    ok = np.isfinite(b) & np.isfinite(se) & (se > 0)
    if not ok.any():
        raise ParameterError("forest: no study has a finite beta and a positive standard_error.")
    i2 = (i2 * 100 if i2 <= 1 else i2) if i2 is not None and np.isfinite(i2) else None
    tr = np.exp if odds_ratio else (lambda v: v)
    k = len(labels)
    ax = new_axes(ax, (7.0, 1.2 + 0.32 * (k + 3)))
    ys = np.arange(k, 0, -1, dtype=np.float64) + 2
    w = np.where(ok, 1 / se**2, 0)
    sizes = 20 + 120 * w / w.max()
    lo, hi = b - Z95 * se, b + Z95 * se
    ax.hlines(ys[ok], tr(lo[ok]), tr(hi[ok]), color="0.2", lw=1)
    ax.scatter(tr(b[ok]), ys[ok], s=sizes[ok], marker="s", color="#2b5c8a", zorder=3, gid="studies")
    name = "OR" if odds_ratio else "beta"
    texts = [
        f"{tr(b[i]):.2f} [{tr(lo[i]):.2f}, {tr(hi[i]):.2f}]" if ok[i] else "not tested"
        for i in range(k)
    ]
    for (est, gid), yy in zip(
        [(fixed, "fixed"), (random, "random")],
        (1.4, 0.6),
        strict=True,
    ):
        if est is None or not (np.isfinite(est[0]) and np.isfinite(est[1])):
            texts.append("not available")
            continue
        m, s = est
        xs = tr(np.array([m - Z95 * s, m, m + Z95 * s, m]))
        ax.fill(
            xs,
            [yy, yy + 0.28, yy, yy - 0.28],
            color="#d1495b" if gid == "fixed" else "#edae49",
            gid=gid,
            zorder=3,
        )
        texts.append(
            f"{tr(m):.2f} [{xs[0]:.2f}, {xs[2]:.2f}]  p = {format_p(float(neg_log10_p_from_z(m / s)))}"
        )
    ax.axvline(tr(0.0), color="0.5", lw=0.8, ls="--")
    if fixed is not None and np.isfinite(fixed[0]):
        ax.axvline(tr(fixed[0]), color="#d1495b", lw=0.6, ls=":")
    all_y = [*ys, 1.4, 0.6]
    ax.set_yticks(all_y, [*labels, "Fixed effect", "Random effects"], fontsize=8)
    if odds_ratio:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
        ax.xaxis.set_minor_formatter(lambda v, _: f"{v:g}" if round(v * 10) % 2 == 0 else "")
    ax.set_ylim(0, k + 3)
    for yy, text in zip(all_y, texts, strict=True):
        ax.annotate(
            text,
            xy=(1.01, yy),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            va="center",
            annotation_clip=False,
        )
    ax.set_xlabel(f"{name} (95% CI)")
    ax.spines[["top", "right"]].set_visible(False)
    heading = f"I² = {i2:.0f}%" if i2 is not None else ""
    if title and heading:
        heading = f"{title}   ({heading})"
    ax.set_title(heading or title or "", fontsize=9)
    return ax
