"""Build the report: one self-contained HTML file.

Figures are inline base64 PNG images, the style sheet and the script are inline, and a
Content-Security-Policy forbids fetching anything: the file opens the same offline, from an
e-mail attachment or from a USB stick, years from now.

Every value from the results (study, locus and gene names, manifest entries, numbers) reaches
the page through Jinja2 templates with autoescape on (``report/templates/``): this module
builds plain values and calls the macros of ``fragments.html.j2``; it writes no HTML itself. The
CSP allows no inline script or style but gwaskit's own, by their SHA-256 (CSP Level 2), so
markup that slipped into a page still could not run a script.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import io
import logging
import os
import platform
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import polars as pl
from markupsafe import Markup
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
from gwaskit.plot.rg import rg_heatmap
from gwaskit.qc.inflation import LAMBDA_WARN, inflation_warning
from gwaskit.report._assets import CSS, JS
from gwaskit.report.finemap import coloc_html, credible_sets_html, draw_pips, locus_rows
from gwaskit.report.inputs import ReportInputs
from gwaskit.stats import lambda_gc

log = logging.getLogger(__name__)


def _source_hash(text: str) -> str:
    """A CSP source expression allowing exactly the inline element whose content is ``text``."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


#: No inline script or style runs but gwaskit's own (hashes, not 'unsafe-inline'); nothing is
#: fetched; no form, no base URL, no plugin.
CSP = (
    f"default-src 'none'; img-src data:; style-src {_source_hash(CSS)}; "
    f"script-src {_source_hash(JS)}; base-uri 'none'; form-action 'none'; object-src 'none'"
)
_LIBRARIES = ("numpy", "scipy", "polars", "pyarrow", "matplotlib")


def build_report(inputs: ReportInputs, *, dpi: int = 110, lambda_warn: float = LAMBDA_WARN) -> str:
    """The report as one HTML document (a string), from tables in memory.

    Sections: studies, genome-wide results (Manhattan, QQ), loci (sortable, searchable table),
    one section per locus (regional and forest plots), tissue enrichment, summary-statistics QC,
    methods and provenance, and a plain-language note on p-values. A section whose inputs are
    absent says what is missing. ``dpi`` is the resolution of the figures (20 to 600). A
    study's or the meta-analysis' λGC above ``lambda_warn`` is a warning in the summary and
    studies sections (and on the log).
    """
    if not 20 <= dpi <= 600:
        raise ParameterError(f"build_report: dpi must be in [20, 600], got {dpi!r}.")
    manifest = inputs.manifest
    title = str(manifest.get("title") or "gwaskit report")
    trait = manifest.get("trait")
    sections = [
        ("summary", "Summary", _inflation(inputs, lambda_warn) + _summary(inputs)),
        ("studies", "Studies", _studies(inputs)),
        ("genome", "Genome-wide results", _genome(inputs, dpi)),
        ("heritability", "Heritability and confounding", _heritability(inputs, dpi)),
        ("loci", "Risk loci", _loci_table(inputs)),
        ("regions", "Loci in detail", _regions(inputs, dpi)),
        ("tissues", "Tissue enrichment", _tissues(inputs, dpi)),
        *_subtypes(inputs, dpi),
        ("qc", "Summary-statistics QC", _qc(inputs, dpi)),
        ("methods", "Methods and provenance", _methods(inputs)),
        ("pvalues", "What a p-value means", _p_value_note()),
    ]
    subtitle = [
        str(x)
        for x in (
            trait,
            manifest.get("build"),
            f"gwaskit {manifest.get('gwaskit_version') or __version__}",
            manifest.get("created"),
        )
        if x
    ]
    page = _templates().get_template("page.html.j2")
    return (
        page.render(
            # gwaskit's own constants: the CSP (hashes and keywords), style sheet and script
            csp=Markup(CSP),
            css=Markup(CSS),
            js=Markup(JS),
            version=__version__,
            title=title,
            subtitle=subtitle,
            sections=[{"id": sid, "name": name, "content": c} for sid, name, c in sections],
        )
        + "\n"
    )


def write_report(
    inputs: ReportInputs, path: str | Path, *, dpi: int = 110, lambda_warn: float = LAMBDA_WARN
) -> Path:
    """Build the report and write it atomically to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    text = build_report(inputs, dpi=dpi, lambda_warn=lambda_warn)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- helpers


@cache
def _templates() -> jinja2.Environment:
    """The report's templates, autoescaping every value (HTML and attributes alike)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("gwaskit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _html(macro: str, *args: Any, **kwargs: Any) -> Markup:
    """Render one macro of ``fragments.html.j2``: plain values are escaped, Markup (from other
    macros) is kept."""
    module = _templates().get_template("fragments.html.j2").module
    return Markup(getattr(module, macro)(*args, **kwargs))


def _join(parts: Iterable[Markup]) -> Markup:
    """Rendered fragments one after the other (each is Markup; a str would be escaped)."""
    return Markup("").join(parts)


@dataclass(frozen=True)
class Cell:
    """One table cell: shown ``text`` (escaped), the ``sort`` key (``data-sort``), and how it
    is shown: ``text``, ``mono``, ``bold``, ``link`` (to ``#href``) or ``tag`` (a label of
    class ``tag``, with a ``note`` beside it)."""

    text: Any = ""
    sort: Any = None
    kind: str = "text"
    href: str | None = None
    tag: str | None = None
    note: Any = None


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False


def _missing(what: str) -> Markup:
    return _html("missing", what)


def _figure(fig: Figure, fid: str, caption: str, dpi: int, alt: str) -> Markup:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")  # layout: constrained
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return _html("figure", fid, alt, data, caption)


def _try_figure(make: Callable[[], Figure], fid: str, caption: str, dpi: int, alt: str) -> Markup:
    """A figure, or a note saying why it could not be drawn (never a broken report)."""
    try:
        fig = make()
    except Exception as exc:  # a report with one missing figure beats no report
        log.warning("report: figure %s not drawn: %s", fid, exc)
        return _missing(f"{alt}: not drawn ({type(exc).__name__}: {exc}).")
    return _figure(fig, fid, caption, dpi, alt)


def _table(
    headers: Sequence[tuple[str, bool]],
    rows: Iterable[Sequence[Cell]],
    *,
    table_id: str | None = None,
    sortable: bool = False,
) -> Markup:
    """``headers``: (label, numeric); each row: one :class:`Cell` per header."""
    columns = [Column(label, numeric) for label, numeric in headers]
    body = [list(row) for row in rows]
    for row in body:
        if len(row) != len(columns):
            raise ValueError(f"report table {table_id}: {len(row)} cells for {len(columns)}")
    return _html("table", columns, body, table_id=table_id, sortable=sortable)


def _finite(value: Any) -> bool:
    """A real number that is not NaN/inf (a hostile table may put text where numbers go)."""
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and bool(np.isfinite(value))
    )


def _num(value: Any, fmt: str = "{:,.0f}") -> Cell:
    if not _finite(value):
        return Cell("NA", "")
    return Cell(fmt.format(value), repr(float(value)))


def _p_cell(neg_log10_p: Any) -> Cell:
    """A p-value cell: shown as p, sorted by -(-log10 p) so ascending means most significant."""
    if not _finite(neg_log10_p):
        return Cell("NA", "")
    return Cell(format_p(neg_log10_p), repr(-float(neg_log10_p)))


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


def _summary(inputs: ReportInputs) -> Markup:
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
    return _html("cards", cards)


def _lambdas(inputs: ReportInputs) -> list[tuple[str, float]]:
    """λGC of each study (its table's value, else from its p-values) and of the meta-analysis."""
    info: dict[str, dict[str, Any]] = {}
    if inputs.studies is not None:
        info = {str(r["study"]): r for r in inputs.studies.iter_rows(named=True)}
    out = []
    for name in inputs.study_names:
        lam = info.get(name, {}).get("lambda_gc")
        out.append((f"study {name}", lam if lam is not None else _study_lambda(inputs, name)))
    gw = inputs.meta
    if gw is not None and len(inputs.study_names) > 1:
        lam = lambda_gc(gw["neg_log_10_p_value"].cast(pl.Float64).to_numpy())
        out.append(("meta-analysis", lam))
    # a number (a hostile studies table may hold text there: no warning then)
    numbers = (int, float, np.integer, np.floating)
    return [
        (w, float(lam)) for w, lam in out if isinstance(lam, numbers) and not isinstance(lam, bool)
    ]


def _inflation(inputs: ReportInputs, threshold: float) -> Markup:
    """A visible warning for each λGC above ``threshold`` (also logged)."""
    messages = [
        m for what, lam in _lambdas(inputs) if (m := inflation_warning(what, lam, threshold))
    ]
    for m in messages:
        log.warning("report: %s", m)
    return _join(_html("warning", m) for m in [*messages, *_qc_warnings(inputs)])


def _qc_warnings(inputs: ReportInputs) -> list[str]:
    """The studies' QC warnings (``qc_warnings`` of the meta-analysis' studies table: sentences
    joined by " | "), one line each."""
    table = inputs.studies
    if table is None or "qc_warnings" not in table.columns:
        return []
    return [
        f"study {name}: {sentence}"
        for name, text in table.select("study", "qc_warnings").iter_rows()
        if isinstance(text, str)
        for sentence in text.split(" | ")
        if sentence
    ]


def _studies(inputs: ReportInputs) -> Markup:
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
                Cell(name),
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
                Cell("Meta-analysis", kind="bold"),
                Cell("", ""),
                Cell("", ""),
                Cell("", ""),
                _num(lam, "{:.3f}"),
                _num(gw.height),
                Cell("", ""),
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
    note = _html(
        "paragraph",
        "λGC is the median association chi-square over its expectation under no association "
        "(0.455); values well above 1 suggest population structure or cryptic relatedness not "
        "accounted for (or, for large polygenic studies, true polygenic signal).",
    )
    return _table(headers, rows, table_id="studies-table", sortable=True) + note


def _genome(inputs: ReportInputs, dpi: int) -> Markup:
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
    return m + _html("row", q)


def _loci_table(inputs: ReportInputs) -> Markup:
    loci = inputs.loci
    if loci is None:
        return _missing("No loci table (loci.parquet): risk loci are not available.")
    if loci.height == 0:
        return _html("paragraph", "No locus reached genome-wide significance.")
    headers = [
        ("Locus", False), ("Lead variant", False), ("Position", True), ("EA/OA", False),
        ("EAF", True), ("p", True), ("OR (95% CI)", True), ("Genes", False), ("Status", False),
        ("Replication p", True), ("Replicated", False), ("I²", True), ("Het. p", True),
    ]  # fmt: skip
    rows = []
    for r in loci.iter_rows(named=True):
        beta, se = r.get("beta"), r.get("standard_error")
        if _finite(beta) and _finite(se):
            orr = f"{np.exp(beta):.2f} ({np.exp(beta - 1.96 * se):.2f}–{np.exp(beta + 1.96 * se):.2f})"
            or_cell = Cell(orr, repr(float(np.exp(beta))))
        else:
            or_cell = Cell("NA", "")
        known = r.get("known")
        if known is None:
            status = Cell("NA", "new")
        else:
            note = r.get("known_variant") if known else None
            label, tag = ("known", "known") if known else ("new", "novel")
            status = Cell(label, label, kind="tag", tag=tag, note=note)
        replicated = r.get("replicated")
        i2 = r.get("i2")
        if _finite(i2) and i2 <= 1:
            i2 = i2 * 100
        lead = r.get("rsid") or r.get("variant_id") or ""
        anchor = _locus_anchor(str(r["locus_id"]))
        title = str(r.get("name") or r["locus_id"])
        position = r["base_pair_location"]
        rows.append(
            [
                Cell(title, title, kind="link", href=anchor),
                Cell(lead, kind="mono"),
                Cell(
                    f"{r['chromosome']}:{_count(position)}",
                    f"{_chrom_key(r['chromosome']):03d}{_count(position, '{:012d}')}",
                ),
                Cell(f"{r.get('effect_allele') or ''}/{r.get('other_allele') or ''}"),
                _num(r.get("effect_allele_frequency"), "{:.3f}"),
                _p_cell(r.get("neg_log_10_p_value")),
                or_cell,
                Cell(str(r.get("genes") or r.get("nearest_gene") or "").replace(",", ", ")),
                status,
                _p_cell(r.get("rep_neg_log_10_p_one_sided")),
                Cell("yes" if replicated else "no" if replicated is not None else "NA"),
                _num(i2, "{:.0f}%"),
                _p_cell(r.get("het_neg_log_10_p")),
            ]
        )
    note = _html(
        "paragraph",
        "Click a column header to sort. p: two-sided p of the lead variant (from -log10 p, "
        "so values below 10⁻³⁰⁸ are exact); OR: odds ratio per copy of the effect allele (EA). "
        "Replication p is one-sided in the direction of discovery; I² and Het. p describe "
        "heterogeneity of the effect across studies.",
    )
    search = _html("search", "loci-table", "loci-count")
    return search + _table(headers, rows, table_id="loci-table", sortable=True) + note


def _count(value: Any, fmt: str = "{:,}") -> str:
    """An integer (a position) formatted, or the value as text if it is not one."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return fmt.format(int(value))
    return str(value)


def _chrom_key(chromosome: Any) -> int:
    from gwaskit.io.chromosomes import chromosome_order

    return chromosome_order(str(chromosome))


def _regions(inputs: ReportInputs, dpi: int) -> Markup:
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
        nlp = r.get("neg_log_10_p_value")
        # fine-mapping and coloc: HTML whose every value is escaped (report/finemap.py)
        finemapped = Markup(
            credible_sets_html(
                locus_rows(inputs.finemap, lid), locus_rows(inputs.credible_sets, lid)
            )
            + coloc_html(locus_rows(inputs.coloc, lid))
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
        parts.append(
            _html(
                "locus",
                _locus_anchor(lid),
                r.get("name") or lid,
                lid,
                r.get("rsid") or r.get("variant_id"),
                format_p(nlp) if _finite(nlp) else "NA",
                r.get("n_signals"),
                r.get("nearest_gene"),
                _join(figs),
                finemapped,
            )
        )
    return _join(parts)


def _regional_caption(inputs: ReportInputs, lid: str) -> str:
    ld = (
        "colour: r² with the lead variant (purple diamond)"
        if lid in inputs.ld
        else "no LD table for this locus: grey points"
    )
    genes = "genes below (arrow: strand)" if inputs.genes is not None else "no gene table"
    if locus_rows(inputs.finemap, lid) is not None:
        genes = (
            "posterior inclusion probabilities (PIP) of fine-mapping below, coloured by credible set; "
            + genes
        )
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
    pips = locus_rows(inputs.finemap, str(r["locus_id"]))
    ratios = (3, *((1,) if pips is not None else ()), *((1,) if inputs.genes is not None else ()))
    fig = Figure(figsize=(7.2, 5.0 + (1.2 if pips is not None else 0)), layout="constrained")
    grid = fig.add_gridspec(len(ratios), 1, height_ratios=ratios)
    ax = fig.add_subplot(grid[0])
    genes_ax = fig.add_subplot(grid[-1], sharex=ax) if inputs.genes is not None else None
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
    if pips is not None:  # the PIP track between the points and the genes
        pip_ax = draw_pips(pips, fig.add_subplot(grid[1], sharex=ax))
        pip_ax.tick_params(labelbottom=genes_ax is None)
        if genes_ax is None:
            pip_ax.set_xlabel(ax.get_xlabel())
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)
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


def _estimate(value: Any, se: Any, fmt: str = "{:.3f}") -> Cell:
    """``value (se)``, sorted by the value; NA when the value is not a finite number."""
    if not _finite(value):
        return Cell("NA", "")
    text = fmt.format(value) + (f" ({fmt.format(se)})" if _finite(se) else "")
    return Cell(text, repr(float(value)))


def _heritability(inputs: ReportInputs, dpi: int) -> Markup:
    """LD score regression: λGC beside the intercept, ratio and h² per study and for the
    meta-analysis; rg and the cross-trait intercept between studies (sample overlap)."""
    h2 = inputs.heritability
    if h2 is None or h2.height == 0:
        return _missing(
            "No LD score regression results (ldsc_h2.parquet): run `gwaskit ldsc h2`, or the "
            "pipeline's ldsc stage (it needs an LD reference panel)."
        )
    liability = "h2_liability" in h2.columns and any(_finite(v) for v in h2["h2_liability"])
    headers = [
        ("Study", False), ("λGC", True), ("Mean χ²", True), ("LDSC intercept (SE)", True),
        ("Ratio (SE)", True), ("h² observed (SE)", True),
    ] + ([("h² liability (SE)", True)] if liability else [])  # fmt: skip
    rows, notes = [], []
    for r in h2.iter_rows(named=True):
        row = [
            Cell(r["study"]),
            _num(r.get("lambda_gc"), "{:.3f}"),
            _num(r.get("mean_chisq"), "{:.3f}"),
            _estimate(r.get("intercept"), r.get("intercept_se")),
            _estimate(r.get("ratio"), r.get("ratio_se")),
            _estimate(r.get("h2"), r.get("h2_se"), "{:.4f}"),
        ]
        if liability:
            row.append(_estimate(r.get("h2_liability"), r.get("h2_liability_se"), "{:.4f}"))
        rows.append(row)
        icpt, se, lam = r.get("intercept"), r.get("intercept_se"), r.get("lambda_gc")
        if _finite(icpt) and _finite(se) and se > 0 and _finite(lam):
            if icpt - 1 > 2 * se:
                notes.append(
                    _html(
                        "warning",
                        f"{r['study']}: the LD score regression intercept {icpt:.3f} (SE "
                        f"{se:.3f}) is above 1: part of the inflation (λGC {lam:.3f}) is "
                        "confounding (population structure, relatedness) or sample overlap.",
                    )
                )
            elif 1 - icpt > 2 * se:
                notes.append(
                    _html(
                        "paragraph",
                        f"{r['study']}: the intercept {icpt:.3f} (SE {se:.3f}) is below 1, "
                        "which confounding cannot do: the LD reference panel likely fits the "
                        "study poorly (few variants, another population), so read its h² with "
                        "care.",
                    )
                )
            elif lam > 1.1:
                notes.append(
                    _html(
                        "paragraph",
                        f"{r['study']}: λGC {lam:.3f} with an intercept of {icpt:.3f} (SE "
                        f"{se:.3f}), within 2 SE of 1: the inflation is polygenic signal, not "
                        "confounding.",
                    )
                )
    parts = [
        _html(
            "paragraph",
            "LD score regression (Bulik-Sullivan et al. 2015) separates polygenic signal from "
            "confounding: confounding raises the intercept above 1, polygenicity raises the "
            "slope. The ratio is the share of the inflation of the mean χ² that the intercept "
            "explains.",
        ),
        *notes,
        _table(headers, rows, table_id="heritability-table", sortable=True),
    ]
    rg = inputs.genetic_correlation
    if rg is not None and rg.height:
        parts.append(
            _try_figure(
                lambda: rg_heatmap(rg).figure,
                "fig-rg",
                "Genetic correlation between studies (above the diagonal) and the cross-trait "
                "LD score regression intercept (below): an intercept near 0 means the two "
                "studies share no samples.",
                dpi,
                "Genetic correlation heat map",
            )
        )
        rg_rows = [
            [
                Cell(r["study1"]),
                Cell(r["study2"]),
                _estimate(r.get("rg"), r.get("rg_se")),
                _estimate(r.get("gencov_intercept"), r.get("gencov_intercept_se")),
            ]
            for r in rg.iter_rows(named=True)
        ]
        parts.append(
            _table(
                [
                    ("Study", False),
                    ("Study", False),
                    ("rg (SE)", True),
                    ("Cross-trait intercept (SE)", True),
                ],
                rg_rows,
                table_id="rg-table",
                sortable=True,
            )
        )
    return _join(parts)


def _tissues(inputs: ReportInputs, dpi: int) -> Markup:
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
            Cell(r["tissue"]),
            *[_num(r[c], "{:.3g}") for c in cols],
            _p_cell(r["neg_log_10_p_value"]),
        ]
        for r in t.iter_rows(named=True)
    ]
    return fig + _table(headers, rows, table_id="tissues-table", sortable=True)


def _subtypes(inputs: ReportInputs, dpi: int) -> list[tuple[str, str, Markup]]:
    """The subtype section, only when the analysis was run (``subtypes.parquet``); its HTML
    escapes every value itself (report/subtypes.py)."""
    if inputs.subtypes is None:
        return []
    from gwaskit.report.subtypes import subtypes_section

    content = subtypes_section(inputs.subtypes, inputs.subtype_correlations, dpi=dpi)
    return [("subtypes", "Subtypes", Markup(content))]


def _qc(inputs: ReportInputs, dpi: int) -> Markup:
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
    return _html("row", _join(parts))


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


def _methods(inputs: ReportInputs) -> Markup:
    m = inputs.manifest
    parts = [_html("paragraph", _methods_text(inputs))]
    software = {**_versions(), **{str(k): str(v) for k, v in dict(m.get("software") or {}).items()}}
    built_with = m.get("gwaskit_version")
    if built_with:
        software["gwaskit (results)"] = str(built_with)
    parts.append(
        _html("heading", "Software")
        + _table(
            [("Software", False), ("Version", False)],
            [[Cell(k), Cell(v)] for k, v in software.items()],
            table_id="software-table",
        )
    )
    params = m.get("parameters")
    if isinstance(params, Mapping) and params:
        parts.append(
            _html("heading", "Parameters")
            + _table(
                [("Parameter", False), ("Value", False)],
                [[Cell(k, kind="mono"), Cell(v)] for k, v in _flatten(params)],
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
                    Cell(item.get("path", ""), kind="mono"),
                    Cell(item.get("sha256", "NA"), kind="mono"),
                    Cell("pipeline input"),
                ]
            )
    for path, digest in inputs.checksums.items():
        rows.append(
            [Cell(path, kind="mono"), Cell(digest, kind="mono"), Cell("read by this report")]
        )
    if rows:
        parts.append(
            _html("heading", "Inputs (sha256)")
            + _table(
                [("File", False), ("sha256", False), ("Role", False)], rows, table_id="inputs-table"
            )
        )
    else:
        parts.append(
            _missing("No input checksums recorded: this report was built from tables in memory.")
        )
    created = _generated_at().strftime("%Y-%m-%d %H:%M UTC")
    parts.append(_html("paragraph", f"Report generated {created} by gwaskit {__version__}."))
    return _join(parts)


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


def _p_value_note() -> Markup:
    return _html("p_value_note")
