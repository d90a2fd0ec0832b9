"""Summary-statistics QC figures: SE vs N, P–Z, EAF against a reference panel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import polars as pl
from markupsafe import Markup
from matplotlib.figure import Figure

from gwaskit.plot import eaf_vs_reference, p_vs_z, se_vs_n
from gwaskit.report.html import join, missing, render, try_figure
from gwaskit.report.inputs import ReportInputs


def qc_section(inputs: ReportInputs, dpi: int) -> Markup:
    studies = {n: inputs.per_study[n] for n in inputs.study_names if n in inputs.per_study}
    if not studies:
        return missing("No per-study results (per_study/): QC plots are not available.")
    parts = []
    need = {"standard_error", "effect_allele_frequency"}
    if all(need <= set(t.columns) for t in studies.values()):
        parts.append(
            try_figure(
                lambda: se_vs_n(studies).figure,
                "fig-qc-se-n",
                "SE vs N: each study's median precision against the square root of its sample size; studies should lie on one line through the origin. A study far off the line has a mis-stated N or mis-scaled SE.",
                dpi,
                "SE vs N",
            )
        )
    parts.append(
        try_figure(
            lambda: _grid(studies, _pz),
            "fig-qc-pz",
            "P–Z check: reported -log10 p against the -log10 p implied by beta/SE; points should lie on the diagonal.",
            dpi,
            "P-Z plots",
        )
    )
    if inputs.reference is not None:
        reference = inputs.reference.select(
            "variant_id",
            pl.col("effect_allele").alias("_ref_ea"),
            pl.col("effect_allele_frequency").cast(pl.Float64).alias("_ref_f"),
        ).unique("variant_id", keep="first")
        parts.append(
            try_figure(
                lambda: _grid(studies, lambda t, ax: _eaf(reference, t, ax)),
                "fig-qc-eaf",
                "Effect-allele frequency against the reference panel; variants far from the diagonal may have swapped alleles or strand errors.",
                dpi,
                "EAF vs reference",
            )
        )
    else:
        parts.append(
            missing("No reference allele frequencies (reference.parquet): EAF check not drawn.")
        )
    return render("row", join(parts))


def _grid(studies: Mapping[str, pl.DataFrame], draw: Callable[[pl.DataFrame, Any], Any]) -> Figure:
    k = len(studies)
    ncol = min(k, 3)
    nrow = -(-k // ncol)
    fig = Figure(figsize=(3.6 * ncol, 3.4 * nrow), layout="constrained")
    for i, (name, t) in enumerate(studies.items()):
        ax = fig.add_subplot(nrow, ncol, i + 1)
        draw(t, ax)
        ax.set_title(name, fontsize=9)
    return fig


def _pz(t: pl.DataFrame, ax: Any) -> None:
    p_vs_z(
        t["neg_log_10_p_value"].cast(pl.Float64).to_numpy(),
        t["beta"].cast(pl.Float64).to_numpy(),
        t["standard_error"].cast(pl.Float64).to_numpy(),
        ax=ax,
    )


def aligned_reference(reference: pl.DataFrame, t: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Study EAF and the reference frequency of the same allele (NaN if neither allele is the
    reference's effect allele), over the variants both have; ``reference`` has ``variant_id``,
    ``_ref_ea``, ``_ref_f``."""
    j = t.select("variant_id", "effect_allele", "other_allele", "effect_allele_frequency").join(
        reference, on="variant_id", how="inner"
    )
    aligned = j.select(
        pl.col("effect_allele_frequency").cast(pl.Float64),
        pl.when(pl.col("_ref_ea") == pl.col("effect_allele"))
        .then(pl.col("_ref_f"))
        .when(pl.col("_ref_ea") == pl.col("other_allele"))
        .then(1.0 - pl.col("_ref_f"))
        .alias("ref"),
    )
    return (
        aligned["effect_allele_frequency"].to_numpy(),
        aligned["ref"].fill_null(np.nan).to_numpy(),
    )


def _eaf(reference: pl.DataFrame, t: pl.DataFrame, ax: Any) -> None:
    """Study EAF against the reference frequency of the same allele."""
    study_f, ref_f = aligned_reference(reference, t)
    eaf_vs_reference(study_f, ref_f, ax=ax)
