"""Build the report: one self-contained HTML file.

Figures are inline base64 PNG images, the style sheet and the script are inline, and a
Content-Security-Policy forbids fetching anything: the file opens the same offline, from an
e-mail attachment or from a USB stick, years from now.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import logging
import os
import platform
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from gwaskit import __version__
from gwaskit.errors import ParameterError
from gwaskit.io.tables import atomic_path
from gwaskit.plot import (
    GENOME_WIDE,
    eaf_vs_reference,
    forest,
    format_p,
    manhattan,
    p_vs_z,
    qq,
    regional,
    se_vs_n,
    tissue_enrichment,
)
from gwaskit.report._assets import CSS, JS
from gwaskit.report.inputs import ReportInputs
from gwaskit.stats import lambda_gc

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)
_LIBRARIES = ("numpy", "scipy", "polars", "pyarrow", "matplotlib")


def build_report(inputs: ReportInputs, *, dpi: int = 110) -> str:
    """The report as one HTML document (a string), from tables in memory.

    Sections: studies, genome-wide results (Manhattan, QQ), loci (sortable, searchable table),
    one section per locus (regional and forest plots), tissue enrichment, summary-statistics QC,
    methods and provenance, and a plain-language note on p-values. A section whose inputs are
    absent says what is missing. ``dpi`` is the resolution of the figures (20 to 600).
    """
    if not 20 <= dpi <= 600:
        raise ParameterError(f"build_report: dpi must be in [20, 600], got {dpi!r}.")
    manifest = inputs.manifest
    title = str(manifest.get("title") or "gwaskit report")
    trait = manifest.get("trait")
    sections = [
        ("summary", "Summary", _summary(inputs)),
        ("studies", "Studies", _studies(inputs)),
        ("genome", "Genome-wide results", _genome(inputs, dpi)),
        ("loci", "Risk loci", _loci_table(inputs)),
        ("regions", "Loci in detail", _regions(inputs, dpi)),
        ("tissues", "Tissue enrichment", _tissues(inputs, dpi)),
        *_subtypes(inputs, dpi),
        ("qc", "Summary-statistics QC", _qc(inputs, dpi)),
        ("methods", "Methods and provenance", _methods(inputs)),
        ("pvalues", "What a p-value means", _p_value_note()),
    ]
    nav = "".join(f'<a href="#{sid}">{_e(name)}</a>' for sid, name, _ in sections)
    body = "".join(
        f'<section id="{sid}"><h2>{_e(name)}</h2>{content}</section>'
        for sid, name, content in sections
    )
    subtitle = " · ".join(
        _e(str(x))
        for x in (
            trait,
            manifest.get("build"),
            f"gwaskit {manifest.get('gwaskit_version') or __version__}",
            manifest.get("created"),
        )
        if x
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="gwaskit {_e(__version__)}">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{subtitle}</p></header>"
        f"<nav>{nav}</nav><main>{body}</main>"
        f"<script>{JS}</script></body></html>\n"
    )


def write_report(inputs: ReportInputs, path: str | Path, *, dpi: int = 110) -> Path:
    """Build the report and write it atomically to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    text = build_report(inputs, dpi=dpi)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- helpers


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _missing(what: str) -> str:
    return f'<p class="missing">{_e(what)}</p>'


def _figure(fig: Figure, fid: str, caption: str, dpi: int, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")  # layout: constrained
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure id="{_e(fid)}" class="plot"><img alt="{_e(alt)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'
    )


def _try_figure(make: Callable[[], Figure], fid: str, caption: str, dpi: int, alt: str) -> str:
    """A figure, or a note saying why it could not be drawn (never a broken report)."""
    try:
        fig = make()
    except Exception as exc:  # a report with one missing figure beats no report
        log.warning("report: figure %s not drawn: %s", fid, exc)
        return _missing(f"{alt}: not drawn ({type(exc).__name__}: {exc}).")
    return _figure(fig, fid, caption, dpi, alt)


def _table(
    headers: Sequence[tuple[str, bool]],
    rows: Iterable[Sequence[tuple[str, Any]]],
    *,
    table_id: str | None = None,
    sortable: bool = False,
) -> str:
    """``headers``: (label, numeric); each row cell: (html content, sort key or None)."""
    head = "".join(
        f'<th class="num">{_e(h)}</th>' if num else f"<th>{_e(h)}</th>" for h, num in headers
    )
    body = []
    for row in rows:
        cells = []
        for (content, sort), (_, num) in zip(row, headers, strict=True):
            attrs = ' class="num"' if num else ""
            if sort is not None:
                attrs += f' data-sort="{_e(sort)}"'
            cells.append(f"<td{attrs}>{content}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    tid = f' id="{_e(table_id)}"' if table_id else ""
    cls = ' class="sortable"' if sortable else ""
    return (
        f'<div class="scroll"><table{tid}{cls}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _num(value: Any, fmt: str = "{:,.0f}") -> tuple[str, Any]:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ("NA", "")
    return (fmt.format(value), repr(float(value)))


def _p_cell(neg_log10_p: Any) -> tuple[str, Any]:
    """A p-value cell: shown as p, sorted by -(-log10 p) so ascending means most significant."""
    if neg_log10_p is None or not np.isfinite(neg_log10_p):
        return ("NA", "")
    return (format_p(neg_log10_p), repr(-float(neg_log10_p)))


def _locus_anchor(locus_id: str) -> str:
    return "locus-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in locus_id)


def _study_counts(inputs: ReportInputs, name: str) -> dict[str, float]:
    """``n_cases``, ``n_controls``, ``n`` of a study from its summary statistics (the largest
    per-variant count), for a results folder without them in ``studies.parquet``."""
    table = inputs.per_study.get(name)
    counts: dict[str, float] = {}
    for column in ("n_cases", "n_controls", "n"):
        if table is not None and column in table.columns:
            largest = table[column].cast(pl.Float64).drop_nulls().drop_nans().max()
            if largest is not None:
                counts[column] = float(largest)  # type: ignore[arg-type]
    return counts


def _study_lambda(inputs: ReportInputs, name: str) -> float | None:
    table = inputs.per_study.get(name)
    if table is None:
        return None
    return lambda_gc(table["neg_log_10_p_value"].cast(pl.Float64).to_numpy())


# ----------------------------------------------------------------------------- sections


def _summary(inputs: ReportInputs) -> str:
    gw = inputs.genome_wide
    cards = []
    if gw is not None:
        y = gw["neg_log_10_p_value"].cast(pl.Float64)
        cards.append((f"{gw.height:,}", "variants analysed"))
        cards.append((f"{int((y > GENOME_WIDE).sum()):,}", "variants with p < 5×10⁻⁸"))
    names = inputs.study_names
    if names:
        cards.append((f"{len(names)}", "studies"))
    if inputs.loci is not None:
        known = inputs.loci["known"] if "known" in inputs.loci.columns else None
        cards.append((f"{inputs.loci.height}", "risk loci"))
        if known is not None and known.null_count() < known.len():  # novelty was assessed
            cards.append((f"{int((~known.fill_null(True)).sum())}", "new loci"))
        if "replicated" in inputs.loci.columns:
            cards.append((f"{int(inputs.loci['replicated'].fill_null(False).sum())}", "replicated"))
    if not cards:
        return _missing("No results to summarise.")
    return (
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for v, k in cards)
        + "</div>"
    )


def _studies(inputs: ReportInputs) -> str:
    names = inputs.study_names
    if not names:
        return _missing(
            "No study table (studies.parquet) and no per-study results: study details are not available."
        )
    info: dict[str, dict[str, Any]] = {n: {} for n in names}
    if inputs.studies is not None:
        for row in inputs.studies.iter_rows(named=True):
            info[str(row["study"])] = row
    rows = []
    for name in names:
        r = {
            **_study_counts(inputs, name),
            **{k: v for k, v in info[name].items() if v is not None},
        }
        cases, controls = r.get("n_cases"), r.get("n_controls")
        n = r.get("n")
        if n is None and cases is not None and controls is not None:
            n = cases + controls
        lam = r.get("lambda_gc")
        if lam is None:
            lam = _study_lambda(inputs, name)
        n_variants = r.get("n_variants")
        if n_variants is None and name in inputs.per_study:
            n_variants = inputs.per_study[name].height
        rows.append(
            [
                (_e(name), None),
                _num(cases),
                _num(controls),
                _num(n),
                _num(lam, "{:.3f}"),
                _num(n_variants),
                _num(r.get("n_dropped_qc")),
            ]
        )
    gw = inputs.meta
    if gw is not None and len(names) > 1:
        lam = lambda_gc(gw["neg_log_10_p_value"].cast(pl.Float64).to_numpy())
        rows.append(
            [
                ("<b>Meta-analysis</b>", None),
                ("", ""),
                ("", ""),
                ("", ""),
                _num(lam, "{:.3f}"),
                _num(gw.height),
                ("", ""),
            ]
        )
    headers = [
        ("Study", False),
        ("Cases", True),
        ("Controls", True),
        ("N", True),
        ("λGC", True),
        ("Variants", True),
        ("Dropped in QC", True),
    ]
    note = "<p>λGC is the median association chi-square over its expectation under no association (0.455); values well above 1 suggest population structure or cryptic relatedness not accounted for (or, for large polygenic studies, true polygenic signal).</p>"
    return _table(headers, rows, table_id="studies-table", sortable=True) + note


def _genome(inputs: ReportInputs, dpi: int) -> str:
    gw = inputs.genome_wide
    if gw is None:
        return _missing(
            "No genome-wide results (meta.parquet): Manhattan and QQ plots are not available."
        )

    def make_manhattan() -> Figure:
        ax = manhattan(gw, loci=inputs.loci)
        return ax.figure

    def make_qq() -> Figure:
        f = (
            gw["effect_allele_frequency"].cast(pl.Float64).to_numpy()
            if "effect_allele_frequency" in gw.columns
            else None
        )
        has_f = f is not None and np.isfinite(f).mean() > 0.5
        ax = qq(gw["neg_log_10_p_value"].cast(pl.Float64).to_numpy(), maf=f if has_f else None)
        return ax.figure

    what = "meta-analysis" if inputs.meta is not None else "study"
    m = _try_figure(
        make_manhattan,
        "fig-manhattan",
        f"Manhattan plot of the {what}: each point is a variant, placed by chromosome position, "
        "higher means stronger association. Dashed red line: genome-wide significance "
        "(p = 5×10⁻⁸); dotted line: suggestive (p = 10⁻⁵). Loci are labelled by gene; new loci are "
        "shown in red, known loci in amber. Above the dotted break the axis is logarithmic, so "
        "very strong signals are shown at their true value.",
        dpi,
        "Manhattan plot",
    )
    q = _try_figure(
        make_qq,
        "fig-qq",
        "QQ plot: observed against expected -log10 p if no variant were associated, with the 95% "
        "band of that null, by minor-allele frequency. Points rising above the band only at the "
        "top are the expected signature of true associations; an early lift suggests inflation.",
        dpi,
        "QQ plot",
    )
    return m + f'<div class="row">{q}</div>'


def _loci_table(inputs: ReportInputs) -> str:
    loci = inputs.loci
    if loci is None:
        return _missing("No loci table (loci.parquet): risk loci are not available.")
    if loci.height == 0:
        return "<p>No locus reached genome-wide significance.</p>"
    headers = [
        ("Locus", False), ("Lead variant", False), ("Position", True), ("EA/OA", False),
        ("EAF", True), ("p", True), ("OR (95% CI)", True), ("Genes", False), ("Status", False),
        ("Replication p", True), ("Replicated", False), ("I²", True), ("Het. p", True),
    ]  # fmt: skip
    rows = []
    for r in loci.iter_rows(named=True):
        beta, se = r.get("beta"), r.get("standard_error")
        if beta is not None and se is not None and np.isfinite(beta) and np.isfinite(se):
            orr = f"{np.exp(beta):.2f} ({np.exp(beta - 1.96 * se):.2f}–{np.exp(beta + 1.96 * se):.2f})"
            or_cell = (orr, repr(float(np.exp(beta))))
        else:
            or_cell = ("NA", "")
        known = r.get("known")
        status = (
            '<span class="tag known">known</span>'
            if known
            else '<span class="tag novel">new</span>'
            if known is not None
            else "NA"
        )
        if known and r.get("known_variant"):
            status += f' <span class="mono">{_e(r["known_variant"])}</span>'
        replicated = r.get("replicated")
        i2 = r.get("i2")
        if i2 is not None and np.isfinite(i2) and i2 <= 1:
            i2 = i2 * 100
        lead = r.get("rsid") or r.get("variant_id") or ""
        anchor = _locus_anchor(str(r["locus_id"]))
        rows.append(
            [
                (
                    f'<a href="#{anchor}">{_e(r.get("name") or r["locus_id"])}</a>',
                    str(r.get("name") or r["locus_id"]),
                ),
                (f'<span class="mono">{_e(lead)}</span>', None),
                (
                    f"{_e(r['chromosome'])}:{r['base_pair_location']:,}",
                    f"{_chrom_key(r['chromosome']):03d}{int(r['base_pair_location']):012d}",
                ),
                (f"{_e(r.get('effect_allele') or '')}/{_e(r.get('other_allele') or '')}", None),
                _num(r.get("effect_allele_frequency"), "{:.3f}"),
                _p_cell(r.get("neg_log_10_p_value")),
                or_cell,
                (_e((r.get("genes") or r.get("nearest_gene") or "").replace(",", ", ")), None),
                (status, "known" if known else "new"),
                _p_cell(r.get("rep_neg_log_10_p_one_sided")),
                ("yes" if replicated else "no" if replicated is not None else "NA", None),
                _num(i2, "{:.0f}%"),
                _p_cell(r.get("het_neg_log_10_p")),
            ]
        )
    search = (
        '<input class="search" type="search" placeholder="Search loci (gene, variant, chromosome)…" '
        'data-table="loci-table" data-count="loci-count" aria-label="Search loci">'
        '<span class="count" id="loci-count"></span>'
    )
    note = (
        "<p>Click a column header to sort. p: two-sided p of the lead variant (from -log10 p, "
        "so values below 10⁻³⁰⁸ are exact); OR: odds ratio per copy of the effect allele (EA). "
        "Replication p is one-sided in the direction of discovery; I² and Het. p describe "
        "heterogeneity of the effect across studies.</p>"
    )
    return search + _table(headers, rows, table_id="loci-table", sortable=True) + note


def _chrom_key(chromosome: Any) -> int:
    from gwaskit.io.chromosomes import chromosome_order

    return chromosome_order(str(chromosome))


def _regions(inputs: ReportInputs, dpi: int) -> str:
    loci, gw = inputs.loci, inputs.genome_wide
    if loci is None or loci.height == 0:
        return _missing("No loci: regional and forest plots are not available.")
    # the studies' and the meta-analysis's rows of the lead variants, found in one pass each
    leads = loci["variant_id"].drop_nulls().unique() if "variant_id" in loci.columns else []
    lead_rows = {
        name: t.filter(pl.col("variant_id").is_in(leads))
        for name, t in inputs.per_study.items()
        if "variant_id" in t.columns
    }
    meta = inputs.meta
    meta_leads = (
        meta.filter(pl.col("variant_id").is_in(leads))
        if meta is not None and "variant_id" in meta.columns
        else None
    )
    studies = [n for n in inputs.study_names if n in inputs.per_study]
    parts = []
    for r in loci.iter_rows(named=True):
        lid = str(r["locus_id"])
        head = f'<h3 id="{_locus_anchor(lid)}">{_e(r.get("name") or lid)} <span class="mono">{_e(lid)}</span></h3>'
        facts = (
            f'<p>Lead <span class="mono">{_e(r.get("rsid") or r.get("variant_id"))}</span>, '
            f"p = {_e(format_p(r['neg_log_10_p_value']))}"
            + (f", {r['n_signals']} independent signal(s)" if r.get("n_signals") else "")
            + (f", nearest gene <i>{_e(r['nearest_gene'])}</i>" if r.get("nearest_gene") else "")
            + ".</p>"
        )
        figs = []
        if gw is None:
            figs.append(_missing("No genome-wide results: regional plot not available."))
        else:
            figs.append(
                _try_figure(
                    lambda r=r: _regional_figure(inputs, gw, r),
                    f"fig-regional-{_locus_anchor(lid)}",
                    _regional_caption(inputs, lid),
                    dpi,
                    f"Regional plot of {lid}",
                )
            )
        if inputs.per_study:
            figs.append(
                _try_figure(
                    lambda r=r: _forest_figure(studies, lead_rows, meta_leads, r),
                    f"fig-forest-{_locus_anchor(lid)}",
                    "Forest plot of the lead variant: odds ratio and 95% CI in each study (square size: weight), with the fixed- and random-effects summaries (diamonds) and I².",
                    dpi,
                    f"Forest plot of {lid}",
                )
            )
        else:
            figs.append(_missing("No per-study results (per_study/): forest plot not available."))
        parts.append(head + facts + '<div class="row">' + "".join(figs) + "</div>")
    return "".join(parts)


def _regional_caption(inputs: ReportInputs, lid: str) -> str:
    ld = (
        "colour: r² with the lead variant (purple diamond)"
        if lid in inputs.ld
        else "no LD table for this locus: grey points"
    )
    genes = "genes below (arrow: strand)" if inputs.genes is not None else "no gene table"
    return f"Regional plot: -log10 p of the variants of the locus by position; {ld}; {genes}."


def _regional_figure(inputs: ReportInputs, gw: pl.DataFrame, r: Mapping[str, Any]) -> Figure:
    c = str(r["chromosome"])
    start = r.get("start") or r["base_pair_location"] - 250_000
    end = r.get("end") or r["base_pair_location"] + 250_000
    region = gw.filter(
        (pl.col("chromosome").cast(pl.String) == c)
        & pl.col("base_pair_location").is_between(start, end)
    )
    if region.height == 0:
        raise ValueError("no variants of the genome-wide results fall in the locus")
    ld = inputs.ld.get(str(r["locus_id"]))
    if ld is not None and "variant_id" in region.columns:
        region = region.join(
            ld.select("variant_id", pl.col("r2").cast(pl.Float64)).unique("variant_id"),
            on="variant_id",
            how="left",
        )
        r2 = region["r2"].fill_null(np.nan).to_numpy()
    else:
        r2 = None
    lead = None
    if r.get("variant_id") and "variant_id" in region.columns:
        hits = np.flatnonzero((region["variant_id"] == r["variant_id"]).fill_null(False).to_numpy())
        lead = int(hits[0]) if hits.size else None
    labels = None
    if "variant_id" in region.columns:
        ids = region["rsid"] if "rsid" in region.columns else region["variant_id"]
        labels = ids.fill_null(region["variant_id"]).to_numpy()
    fig = Figure(figsize=(7.2, 5.0), layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=(3, 1)) if inputs.genes is not None else None
    ax = fig.add_subplot(grid[0] if grid is not None else 111)
    genes_ax = fig.add_subplot(grid[1], sharex=ax) if grid is not None else None
    regional(
        region["base_pair_location"].to_numpy(),
        region["neg_log_10_p_value"].cast(pl.Float64).to_numpy(),
        r2=r2,
        lead=lead,
        labels=labels,
        genes=inputs.genes,
        chromosome=c,
        ax=ax,
        genes_ax=genes_ax,
        title=str(r.get("name") or r["locus_id"]),
    )
    return fig


def _forest_figure(
    study_names: Sequence[str],
    lead_rows: Mapping[str, pl.DataFrame],
    meta: pl.DataFrame | None,
    r: Mapping[str, Any],
) -> Figure:
    names = list(study_names)
    betas, ses = [], []
    ea, oa = r.get("effect_allele"), r.get("other_allele")
    for name in names:
        t = lead_rows.get(name)
        hit = t.filter(pl.col("variant_id") == r["variant_id"]) if t is not None else None
        if hit is None or hit.height == 0:
            betas.append(np.nan)
            ses.append(np.nan)
            continue
        h = hit.row(0, named=True)
        sign = -1.0 if (h.get("effect_allele") == oa and h.get("other_allele") == ea) else 1.0
        betas.append(sign * float(h["beta"]) if h.get("beta") is not None else np.nan)
        ses.append(float(h["standard_error"]) if h.get("standard_error") is not None else np.nan)
    fixed = random = i2 = None
    if meta is not None:
        hit = meta.filter(pl.col("variant_id") == r["variant_id"])
        if hit.height:
            m = hit.row(0, named=True)
            if m.get("beta") is not None and m.get("standard_error") is not None:
                fixed = (float(m["beta"]), float(m["standard_error"]))
            if m.get("beta_random") is not None and m.get("standard_error_random") is not None:
                random = (float(m["beta_random"]), float(m["standard_error_random"]))
            i2 = m.get("i2")
    ax = forest(
        names,
        np.array(betas),
        np.array(ses),
        fixed=fixed,
        random=random,
        i2=i2,
        title=str(r.get("rsid") or r["variant_id"]),
    )
    return ax.figure


def _tissues(inputs: ReportInputs, dpi: int) -> str:
    t = inputs.tissues
    if t is None:
        return _missing(
            "No tissue enrichment results (tissues.parquet): this analysis was not run."
        )
    if t.height == 0:
        return _missing("The tissue enrichment table is empty.")
    fig = _try_figure(
        lambda: tissue_enrichment(t).figure,
        "fig-tissues",
        "Enrichment of the genes at the loci for expression specific to each tissue; red bars pass the Bonferroni threshold across tissues.",
        dpi,
        "Tissue enrichment",
    )
    t = t.sort("neg_log_10_p_value", descending=True, nulls_last=True)
    cols = [c for c in ("n_genes", "beta", "standard_error") if c in t.columns]
    headers = [("Tissue", False), *[(c.replace("_", " "), True) for c in cols], ("p", True)]
    rows = [
        [
            (_e(r["tissue"]), None),
            *[_num(r[c], "{:.3g}") for c in cols],
            _p_cell(r["neg_log_10_p_value"]),
        ]
        for r in t.iter_rows(named=True)
    ]
    return fig + _table(headers, rows, table_id="tissues-table", sortable=True)


def _subtypes(inputs: ReportInputs, dpi: int) -> list[tuple[str, str, str]]:
    """The subtype section, only when the analysis was run (``subtypes.parquet``)."""
    if inputs.subtypes is None:
        return []
    from gwaskit.report.subtypes import subtypes_section

    content = subtypes_section(inputs.subtypes, inputs.subtype_correlations, dpi=dpi)
    return [("subtypes", "Subtypes", content)]


def _qc(inputs: ReportInputs, dpi: int) -> str:
    studies = {n: inputs.per_study[n] for n in inputs.study_names if n in inputs.per_study}
    if not studies:
        return _missing("No per-study results (per_study/): QC plots are not available.")
    parts = []
    need = {"standard_error", "effect_allele_frequency"}
    if all(need <= set(t.columns) for t in studies.values()):
        parts.append(
            _try_figure(
                lambda: se_vs_n(studies).figure,
                "fig-qc-se-n",
                "SE vs N: each study's median precision against the square root of its sample size; studies should lie on one line through the origin. A study far off the line has a mis-stated N or mis-scaled SE.",
                dpi,
                "SE vs N",
            )
        )
    parts.append(
        _try_figure(
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
            _try_figure(
                lambda: _grid(studies, lambda t, ax: _eaf(reference, t, ax)),
                "fig-qc-eaf",
                "Effect-allele frequency against the reference panel; variants far from the diagonal may have swapped alleles or strand errors.",
                dpi,
                "EAF vs reference",
            )
        )
    else:
        parts.append(
            _missing("No reference allele frequencies (reference.parquet): EAF check not drawn.")
        )
    return '<div class="row">' + "".join(parts) + "</div>"


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


def _eaf(reference: pl.DataFrame, t: pl.DataFrame, ax: Any) -> None:
    """Study EAF against the reference frequency of the same allele (null if neither allele
    is the reference's effect allele)."""
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
    eaf_vs_reference(
        aligned["effect_allele_frequency"].to_numpy(),
        aligned["ref"].fill_null(np.nan).to_numpy(),
        ax=ax,
    )


def _generated_at() -> _dt.datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (reproducible-builds.org): the same inputs then
    give a byte-identical report."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
    return _dt.datetime.now(_dt.UTC)


def _versions() -> dict[str, str]:
    out = {"gwaskit": __version__, "python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            out[name] = _metadata.version(name)
        except _metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in mapping.items():
        if isinstance(v, Mapping):
            out.extend(_flatten(v, f"{prefix}{k}."))
        else:
            out.append((f"{prefix}{k}", v))
    return out


def _methods(inputs: ReportInputs) -> str:
    m = inputs.manifest
    parts = [f"<p>{_e(_methods_text(inputs))}</p>"]
    software = {**_versions(), **{str(k): str(v) for k, v in dict(m.get("software") or {}).items()}}
    built_with = m.get("gwaskit_version")
    if built_with:
        software["gwaskit (results)"] = str(built_with)
    parts.append(
        "<h3>Software</h3>"
        + _table(
            [("Software", False), ("Version", False)],
            [[(_e(k), None), (_e(v), None)] for k, v in software.items()],
            table_id="software-table",
        )
    )
    params = m.get("parameters")
    if isinstance(params, Mapping) and params:
        parts.append(
            "<h3>Parameters</h3>"
            + _table(
                [("Parameter", False), ("Value", False)],
                [
                    [(f'<span class="mono">{_e(k)}</span>', None), (_e(v), None)]
                    for k, v in _flatten(params)
                ],
                table_id="parameters-table",
            )
        )
    else:
        parts.append(
            _missing("No parameters recorded (manifest.json absent or without 'parameters').")
        )
    rows = []
    for item in m.get("inputs") or []:
        if isinstance(item, Mapping):
            rows.append(
                [
                    (f'<span class="mono">{_e(item.get("path", ""))}</span>', None),
                    (f'<span class="mono">{_e(item.get("sha256", "NA"))}</span>', None),
                    ("pipeline input", None),
                ]
            )
    for path, digest in inputs.checksums.items():
        rows.append(
            [
                (f'<span class="mono">{_e(path)}</span>', None),
                (f'<span class="mono">{_e(digest)}</span>', None),
                ("read by this report", None),
            ]
        )
    if rows:
        parts.append(
            "<h3>Inputs (sha256)</h3>"
            + _table(
                [("File", False), ("sha256", False), ("Role", False)], rows, table_id="inputs-table"
            )
        )
    else:
        parts.append(
            _missing("No input checksums recorded: this report was built from tables in memory.")
        )
    created = _generated_at().strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f"<p>Report generated {created} by gwaskit {_e(__version__)}.</p>")
    return "".join(parts)


_META_METHODS = {
    "fixed": "inverse-variance weighted fixed-effect meta-analysis",
    "random": "DerSimonian–Laird random-effects meta-analysis",
    "samplesize": "sample-size weighted Z-score meta-analysis",
}


def _methods_text(inputs: ReportInputs) -> str:
    """A short methods paragraph built from what the manifest records (nothing assumed)."""
    params = inputs.manifest.get("parameters")
    params = dict(_flatten(params)) if isinstance(params, Mapping) else {}
    method = next((str(v) for k, v in params.items() if k.split(".")[-1] == "method"), None)
    n = len(inputs.study_names)
    if inputs.meta is None:
        first = "Results of a single study are shown."
    elif method in _META_METHODS:
        first = f"The {n} studies were combined by {_META_METHODS[method]}."
    else:
        first = f"The {n} studies were meta-analysed (method: {method or 'not recorded'})."
    if inputs.meta is not None and "i2" in inputs.meta.columns:
        first += " Heterogeneity is Cochran's Q and I²; forest plots show both the fixed- and the random-effects (DerSimonian–Laird) estimates."
    threshold = next(
        (v for k, v in params.items() if k.split(".")[-1] in ("p", "p_threshold")), None
    )
    loci = (
        f" Loci are defined around variants with p < {threshold}." if threshold is not None else ""
    )
    return (
        first + " All p-values are computed and stored as -log10 p in log space, so they never "
        "underflow (the report prints p from it, e.g. 1.0e-400)."
        + loci
        + " Every parameter and input checksum recorded by the analysis is listed below."
    )


def _p_value_note() -> str:
    return (
        '<div class="note"><p><b>A p-value</b> answers one question: if this variant had no '
        "effect at all on the disease, how often would chance alone produce a difference "
        "between cases and controls at least as large as the one seen? A p-value of 0.01 means "
        "one time in a hundred. It is not the probability that the finding is wrong, and it "
        "says nothing about how large or important the effect is (the odds ratio does).</p>"
        "<p><b>Genome-wide significance.</b> A genome-wide study tests millions of variants, so "
        "p-values of 0.01 or even 10⁻⁵ occur many times by chance alone. The conventional "
        "threshold of p &lt; 5×10⁻⁸ corresponds to about one million independent tests in "
        "European-ancestry genomes at an overall 5% false-positive rate (0.05 / 10⁶). A variant "
        "below it is unlikely to be a chance finding, but it is not necessarily the causal "
        "variant: neighbouring variants inherited together with it (in linkage disequilibrium) "
        "share its signal, which is why results are reported as loci. Replication in "
        "independent studies is the strongest check.</p>"
        "<p><b>-log10 p</b>, used in the plots, turns tiny p-values into readable numbers: "
        "p = 10⁻⁸ is 8, p = 5×10⁻⁸ is 7.3.</p></div>"
    )
