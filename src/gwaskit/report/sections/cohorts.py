"""One section per cohort: its QC (what was removed and why, the summary-statistics QC
warnings), its PCA scatter, its λGC and QQ plot, and its summary-statistics checks; cohorts
with a warning come first."""

from __future__ import annotations

import polars as pl
from markupsafe import Markup
from matplotlib.figure import Figure

from gwaskit.plot import eaf_vs_reference, p_vs_z, qq
from gwaskit.plot.pca import pca_scatter
from gwaskit.report.html import Cell, finite, join, missing, render, table, try_figure
from gwaskit.report.inputs import ReportInputs
from gwaskit.stats import lambda_gc


def _anchor(name: str) -> str:
    return "cohort-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def qc_warnings(inputs: ReportInputs) -> dict[str, list[str]]:
    """Per study, the sentences of its ``qc_warnings`` column (``" | "``-joined; empty or
    absent when none)."""
    out: dict[str, list[str]] = {}
    if inputs.studies is None or "qc_warnings" not in inputs.studies.columns:
        return out
    for study, text in inputs.studies.select("study", "qc_warnings").iter_rows():
        sentences = [s.strip() for s in str(text or "").split(" | ") if s.strip()]
        if sentences:
            out[str(study)] = sentences
    return out


def _lambda(inputs: ReportInputs, name: str) -> float | None:
    if inputs.studies is not None and "lambda_gc" in inputs.studies.columns:
        row = inputs.studies.filter(pl.col("study").cast(pl.String) == name)
        if row.height and finite(row["lambda_gc"][0]):
            return float(row["lambda_gc"][0])
    t = inputs.per_study.get(name)
    if t is None:
        return None
    return lambda_gc(t["neg_log_10_p_value"].cast(pl.Float64).to_numpy())


def _removals(inputs: ReportInputs, name: str) -> Markup:
    samples, variants = inputs.sample_qc.get(name), inputs.variant_qc.get(name)
    if samples is None and variants is None:
        return missing(
            f"No genotype QC tables for {name} (qc_samples/, qc_variants/): it was given as "
            "summary statistics, or its QC was not run here."
        )
    counts: dict[str, list[int]] = {}
    for k, t in enumerate((samples, variants)):
        if t is None:
            continue
        for reason, n in t.group_by("reason").len().sort("reason").iter_rows():
            counts.setdefault(str(reason or "unspecified"), [0, 0])[k] += int(n)
    if not counts:
        return render("paragraph", "Genotype QC removed no sample and no variant.")
    rows = [[Cell(r), _count(c[0], samples), _count(c[1], variants)] for r, c in counts.items()]
    total = [sum(c[k] for c in counts.values()) for k in (0, 1)]
    rows.append([Cell("total", kind="bold"), _count(total[0], samples), _count(total[1], variants)])
    headers = [("Removed for", False), ("Samples", True), ("Variants", True)]
    return table(headers, rows, table_id=f"{_anchor(name)}-qc")


def _count(n: int, source: pl.DataFrame | None) -> Cell:
    return Cell("NA", "") if source is None else Cell(f"{n:,}", str(n))


def _pca_figure(t: pl.DataFrame, name: str) -> Figure:
    status = t["status"].cast(pl.String).to_numpy() if "status" in t.columns else None
    ax = pca_scatter(
        t["PC1"].cast(pl.Float64).to_numpy(),
        t["PC2"].cast(pl.Float64).to_numpy(),
        status=status,
        title=f"{name}: PCA",
    )
    return ax.figure


def _qq_figure(t: pl.DataFrame, name: str) -> Figure:
    fig = Figure(figsize=(4.2, 3.8), layout="constrained")
    ax = qq(t["neg_log_10_p_value"].cast(pl.Float64).to_numpy(), ax=fig.add_subplot())
    ax.set_title(f"{name}: QQ", fontsize=9)
    return fig


def _checks_figure(t: pl.DataFrame, reference: pl.DataFrame | None, name: str) -> Figure:
    from gwaskit.report.sections.qc import aligned_reference

    fig = Figure(figsize=(7.6 if reference is not None else 4.2, 3.6), layout="constrained")
    ax = fig.add_subplot(1, 2 if reference is not None else 1, 1)
    p_vs_z(
        t["neg_log_10_p_value"].cast(pl.Float64).to_numpy(),
        t["beta"].cast(pl.Float64).to_numpy(),
        t["standard_error"].cast(pl.Float64).to_numpy(),
        ax=ax,
    )
    ax.set_title(f"{name}: P–Z", fontsize=9)
    if reference is not None:
        study_f, ref_f = aligned_reference(reference, t)
        ax2 = eaf_vs_reference(study_f, ref_f, ax=fig.add_subplot(1, 2, 2))
        ax2.set_title(f"{name}: EAF vs reference", fontsize=9)
    return fig


def cohorts_section(inputs: ReportInputs, dpi: int, lambda_warn: float) -> Markup:
    """Every study, flagged ones first (a QC warning, or λGC above ``lambda_warn``)."""
    names = inputs.study_names
    if not names:
        return missing("No studies: per-cohort details are not available.")
    warnings = qc_warnings(inputs)
    lambdas = {n: _lambda(inputs, n) for n in names}
    flagged = {
        n for n in names if n in warnings or (lambdas[n] is not None and lambdas[n] > lambda_warn)
    }
    order = [n for n in names if n in flagged] + [n for n in names if n not in flagged]
    reference = _reference(inputs)
    parts = [
        render(
            "paragraph",
            f"{len(names)} cohorts; {len(flagged)} flagged (a QC warning, or λGC above "
            f"{lambda_warn:g}), shown first.",
        )
    ]
    for name in order:
        anchor = _anchor(name)
        lam = lambdas[name]
        t = inputs.per_study.get(name)
        facts = [f"λGC {lam:.3f}" if lam is not None else "λGC not available"]
        if t is not None:
            facts.append(f"{t.height:,} variants after summary-statistics QC")
        body = [render("qc_warning", s) for s in warnings.get(name, [])]
        if lam is not None and lam > lambda_warn:
            body.append(render("qc_warning", f"λGC {lam:.3f} is above {lambda_warn:g}."))
        body.append(render("paragraph", "; ".join(facts) + "."))
        body.append(_removals(inputs, name))
        figs = []
        pcs = inputs.pca.get(name)
        if pcs is not None and "PC2" not in pcs.columns:  # a plan with pcs = 1
            figs.append(missing(f"PCA of {name} has one component: no PC1-PC2 scatter."))
        elif pcs is not None:
            figs.append(
                try_figure(
                    lambda pcs=pcs, name=name: _pca_figure(pcs, name),
                    f"fig-{anchor}-pca",
                    "PCA: samples on the first two principal components (cases red, controls "
                    "blue); outlying clusters are ancestry differences the PCs adjust for.",
                    dpi,
                    f"PCA of {name}",
                )
            )
        else:
            figs.append(missing(f"No PCA of {name} (pca/{name}.parquet)."))
        if t is not None:
            figs.append(
                try_figure(
                    lambda t=t, name=name: _qq_figure(t, name),
                    f"fig-{anchor}-qq",
                    f"QQ plot of {name} with its 95% null band.",
                    dpi,
                    f"QQ plot of {name}",
                )
            )
            if {"beta", "standard_error"} <= set(t.columns):
                figs.append(
                    try_figure(
                        lambda t=t, name=name: _checks_figure(t, reference, name),
                        f"fig-{anchor}-checks",
                        "Reported p against the p implied by beta/SE (on the diagonal when "
                        "consistent)"
                        + (
                            "; effect-allele frequency against the reference panel."
                            if reference is not None
                            else "."
                        ),
                        dpi,
                        f"Summary-statistics checks of {name}",
                    )
                )
        else:
            figs.append(missing(f"No summary statistics of {name} (per_study/{name}.parquet)."))
        parts.append(
            render("cohort", anchor, name, name in flagged, join(body), render("row", join(figs)))
        )
    return join(parts)


def _reference(inputs: ReportInputs) -> pl.DataFrame | None:
    if inputs.reference is None:
        return None
    return inputs.reference.select(
        "variant_id",
        pl.col("effect_allele").alias("_ref_ea"),
        pl.col("effect_allele_frequency").cast(pl.Float64).alias("_ref_f"),
    ).unique("variant_id", keep="first")
