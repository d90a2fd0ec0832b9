"""The two subtypes' effects at each locus with their 95% CIs (as Figure 3 of Hautakangas et al.
2022, doi:10.1038/s41588-021-00990-0): one cross per locus, coloured by its call."""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter
from scipy import special

from gwaskit.errors import ParameterError
from gwaskit.plot._axes import new_axes

Z95 = float(special.ndtri(0.975))
#: Colour and legend label per call (``{a}``/``{b}`` are the subtype names).
CALL_STYLE = {
    "a_only": ("#c0392b", "{a} only"),
    "b_only": ("#2471a3", "{b} only"),
    "both": ("#7d3c98", "both"),
    "null": ("#7f8c8d", "neither"),
    "unresolved": ("#b3b6b7", "unresolved"),
}
_COLUMNS = ("beta_a", "standard_error_a", "beta_b", "standard_error_b", "call")


def subtype_effects(
    table: pl.DataFrame,
    *,
    names: tuple[str, str] = ("A", "B"),
    odds_ratio: bool = True,
    label: str | None = "locus_id",
    ax: Axes | None = None,
) -> Axes:
    """Draw subtype B's effect (x) against subtype A's (y) per locus, with 95% CIs.

    Parameters
    ----------
    table
        One row per locus with ``beta_a``, ``standard_error_a``, ``beta_b``,
        ``standard_error_b`` (log odds ratios of the risk allele) and ``call`` (the table of
        :func:`gwaskit.subtypes.analyse.analyse_subtypes`); rows without estimates are skipped.
    names
        The subtypes' names, for the axes and legend.
    odds_ratio
        Draw odds ratios on log axes (binary traits); else betas on linear axes.
    label
        Column naming the loci called subtype-specific on the plot (``locus_id`` where it is
        null; None: no labels).
    ax
        Axes to draw on; a new figure when None.
    """
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise ParameterError(f"subtype_effects: table lacks column(s) {', '.join(missing)}.")
    ax = new_axes(ax, (5.6, 5.2))
    rows = table.filter(
        pl.col("beta_a").is_finite() & pl.col("beta_b").is_finite() & pl.col("call").is_not_null()
    )
    ba, sa = rows["beta_a"].to_numpy(), rows["standard_error_a"].to_numpy()
    bb, sb = rows["beta_b"].to_numpy(), rows["standard_error_b"].to_numpy()
    scale = np.exp if odds_ratio else (lambda x: x)
    calls = rows["call"].to_numpy()
    fallback = [pl.col("locus_id").cast(pl.String)] if "locus_id" in rows.columns else []
    for call, (colour, text) in CALL_STYLE.items():
        sel = calls == call
        if not sel.any():
            continue
        x, y = scale(bb[sel]), scale(ba[sel])
        xerr = np.abs(
            np.vstack([scale(bb[sel] - Z95 * sb[sel]), scale(bb[sel] + Z95 * sb[sel])]) - x
        )
        yerr = np.abs(
            np.vstack([scale(ba[sel] - Z95 * sa[sel]), scale(ba[sel] + Z95 * sa[sel])]) - y
        )
        ax.errorbar(
            x, y, xerr=xerr, yerr=yerr, fmt="o", ms=3.5, lw=0.8, color=colour,
            zorder=2 if call in ("null", "unresolved") else 3,
            label=f"{text.format(a=names[0], b=names[1])} ({int(sel.sum())})",
        )  # fmt: skip
        if label is not None and label in rows.columns and call in ("a_only", "b_only"):
            tags = rows.select(
                pl.coalesce(pl.col(label).cast(pl.String), *fallback).fill_null("")
            ).to_series()
            for name, xi, yi in zip(tags.to_numpy()[sel], x, y, strict=True):
                ax.annotate(str(name), (xi, yi), fontsize=7, xytext=(4, 4),
                            textcoords="offset points", color=colour)  # fmt: skip
    # limits from the estimates, padded by a typical CI: one imprecise locus (a rare variant)
    # must not squeeze the others into a corner; its CI runs off the axes
    values = np.concatenate([ba, bb])
    values = values[np.isfinite(values)]
    half = Z95 * float(np.median(np.concatenate([sa, sb]))) if values.size else 0.1
    lo, hi = (min(values.min(), 0.0), max(values.max(), 0.0)) if values.size else (-0.1, 0.1)
    limits = (scale(lo - 1.5 * half), scale(hi + 1.5 * half))
    ax.plot(limits, limits, color="0.6", lw=0.8, ls="--", zorder=0)
    null = scale(0.0)
    ax.axhline(null, color="0.8", lw=0.8, zorder=0)
    ax.axvline(null, color="0.8", lw=0.8, zorder=0)
    if odds_ratio:
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
            axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    ax.set_xlim(limits)
    ax.set_ylim(limits)
    what = "odds ratio" if odds_ratio else "effect (beta)"
    ax.set_xlabel(f"{names[1]} {what} (95% CI)")
    ax.set_ylabel(f"{names[0]} {what} (95% CI)")
    if rows.height:
        ax.legend(fontsize=8, loc="best", frameon=False)
    return ax
