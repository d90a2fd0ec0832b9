"""Summary-statistics QC plots (EasyQC style): SE against sample size across studies, effect
allele frequency against a reference panel, and reported p against the p implied by beta/SE."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl
from matplotlib.axes import Axes

from gwaskit.errors import ParameterError
from gwaskit.plot._axes import finite, new_axes
from gwaskit.stats import neg_log10_p_from_z


def precision_by_study(studies: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Per study: ``sqrt_n`` (median n; effective 4/(1/cases+1/controls) when cases/controls are
    known) and ``precision``, the median of ``1 / (SE * sqrt(2 f (1 - f)))``.

    Under the additive model SE ≈ σ / sqrt(2 N f (1 - f)), so ``precision`` ≈ sqrt(N) / σ: the
    studies lie on a line through the origin; one off the line has mis-stated N or SE (EasyQC).
    """
    rows = []
    for name, t in studies.items():
        f = t["effect_allele_frequency"].cast(pl.Float64).to_numpy()
        se = t["standard_error"].cast(pl.Float64).to_numpy()
        if {"n_cases", "n_controls"} <= set(t.columns):
            n = 4.0 / (1.0 / t["n_cases"].cast(pl.Float64) + 1.0 / t["n_controls"].cast(pl.Float64))
            n = n.to_numpy()
        else:
            n = t["n"].cast(pl.Float64).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            prec = 1.0 / (se * np.sqrt(2 * f * (1 - f)))
        prec = prec[np.isfinite(prec)]
        n = n[np.isfinite(n)]
        rows.append(
            {
                "study": name,
                "sqrt_n": float(np.sqrt(np.median(n))) if n.size else np.nan,
                "precision": float(np.median(prec)) if prec.size else np.nan,
            }
        )
    return pl.DataFrame(
        rows, schema={"study": pl.String, "sqrt_n": pl.Float64, "precision": pl.Float64}
    )


def se_vs_n(studies: Mapping[str, pl.DataFrame], *, ax: Axes | None = None) -> Axes:
    """Plot each study's precision against sqrt(N) (see :func:`precision_by_study`) with the
    least-squares line through the origin."""
    if not studies:
        raise ParameterError("se_vs_n: studies must hold at least one SumStats table, got none.")
    ax = new_axes(ax, (4.6, 4.2))
    t = precision_by_study(studies).drop_nans()
    x, y = t["sqrt_n"].to_numpy(), t["precision"].to_numpy()
    ax.scatter(x, y, s=30, color="#2b5c8a", zorder=3, gid="studies")
    for name, xi, yi in zip(t["study"], x, y, strict=True):
        ax.annotate(name, (xi, yi), xytext=(4, 3), textcoords="offset points", fontsize=7)
    if x.size:
        slope = float(np.sum(x * y) / np.sum(x * x))
        xs = np.array([0, x.max() * 1.1])
        ax.plot(xs, slope * xs, color="#b22222", lw=0.8, ls="--")
        ax.set_xlim(0, x.max() * 1.15)
        ax.set_ylim(0, max(y.max(), slope * x.max()) * 1.15)
    ax.set_xlabel(r"$\sqrt{N}$ (median; effective N for case/control)")
    ax.set_ylabel(r"median $1 / (SE\,\sqrt{2f(1-f)})$")
    ax.set_title("SE vs N", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def eaf_vs_reference(
    effect_allele_frequency: np.ndarray,
    reference_frequency: np.ndarray,
    *,
    ax: Axes | None = None,
    max_difference: float = 0.2,
    title: str | None = None,
) -> Axes:
    """2-d histogram of the study's effect-allele frequency against the reference panel's
    frequency of the same allele; the title counts variants differing by more than
    ``max_difference`` (allele mix-ups or strand flips lie on the anti-diagonal)."""
    f = np.asarray(effect_allele_frequency, dtype=np.float64)
    r = np.asarray(reference_frequency, dtype=np.float64)
    if f.shape != r.shape:
        raise ParameterError(
            f"eaf_vs_reference: arrays must have one shape, got {f.shape} and {r.shape}."
        )
    ax = new_axes(ax, (4.4, 4.2))
    ok = np.isfinite(f) & np.isfinite(r)
    ax.hexbin(
        r[ok],
        f[ok],
        gridsize=60,
        extent=(0, 1, 0, 1),
        bins="log",
        mincnt=1,
        cmap="viridis",
        gid="hexbin",
    )
    ax.plot([0, 1], [0, 1], color="#b22222", lw=0.8, ls="--")
    n_off = int(np.sum(np.abs(f[ok] - r[ok]) > max_difference))
    head = title or "EAF vs reference"
    ax.set_title(
        f"{head}: {n_off:,} of {int(ok.sum()):,} differ by > {max_difference:g}", fontsize=9
    )
    ax.set_xlabel("reference allele frequency")
    ax.set_ylabel("effect allele frequency")
    ax.set_aspect("equal")
    return ax


def p_vs_z(
    neg_log10_p: np.ndarray,
    beta: np.ndarray,
    standard_error: np.ndarray,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Reported -log10 p against the -log10 p of Z = beta / SE (2-d histogram); points off the
    diagonal have a p that does not match their estimate (a wrong column, a one-sided test, a
    corrected p)."""
    y = finite(neg_log10_p, "neg_log10_p")
    x = np.asarray(
        neg_log10_p_from_z(np.asarray(beta, np.float64) / np.asarray(standard_error, np.float64))
    )
    if x.shape != y.shape:
        raise ParameterError(f"p_vs_z: arrays must have one shape, got {y.shape} and {x.shape}.")
    ok = np.isfinite(x) & np.isfinite(y)
    ax = new_axes(ax, (4.4, 4.2))
    top = float(max(np.max(x[ok], initial=1.0), np.max(y[ok], initial=1.0))) * 1.05
    ax.hexbin(
        x[ok],
        y[ok],
        gridsize=60,
        extent=(0, top, 0, top),
        bins="log",
        mincnt=1,
        cmap="viridis",
        gid="hexbin",
    )
    ax.plot([0, top], [0, top], color="#b22222", lw=0.8, ls="--")
    ax.set_xlabel(r"$-\log_{10}\,p$ from $Z = \beta / SE$")
    ax.set_ylabel(r"reported $-\log_{10}\,p$")
    ax.set_title(title or "P–Z check", fontsize=9)
    return ax
