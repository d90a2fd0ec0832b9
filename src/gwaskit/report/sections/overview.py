"""Summary cards, λGC warnings and the studies table."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import polars as pl
from markupsafe import Markup

from gwaskit.plot import GENOME_WIDE
from gwaskit.qc.inflation import inflation_warning
from gwaskit.report.facts import is_binary
from gwaskit.report.html import Cell, join, missing, num, render, table
from gwaskit.report.inputs import ReportInputs
from gwaskit.stats import lambda_gc

log = logging.getLogger("gwaskit.report")


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


def summary_section(inputs: ReportInputs) -> Markup:
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
        return missing("No results to summarise.")
    return render("cards", cards)


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


def inflation_section(inputs: ReportInputs, threshold: float) -> Markup:
    """A visible warning for each λGC above ``threshold`` (also logged)."""
    messages = [
        m for what, lam in _lambdas(inputs) if (m := inflation_warning(what, lam, threshold))
    ]
    for m in messages:
        log.warning("report: %s", m)
    return join(render("warning", m) for m in messages)


def studies_section(inputs: ReportInputs) -> Markup:
    names = inputs.study_names
    if not names:
        return missing(
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
                num(cases),
                num(controls),
                num(n),
                num(lam, "{:.3f}"),
                num(n_variants),
                num(r.get("n_dropped_qc")),
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
                num(lam, "{:.3f}"),
                num(gw.height),
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
    if not is_binary(inputs):  # a quantitative trait has no cases: those columns go
        headers = [headers[0], *headers[3:]]
        rows = [[row[0], *row[3:]] for row in rows]
    note = render(
        "paragraph",
        "λGC is the median association chi-square over its expectation under no association "
        "(0.455); values well above 1 suggest population structure or cryptic relatedness not "
        "accounted for (or, for large polygenic studies, true polygenic signal).",
    )
    return table(headers, rows, table_id="studies-table", sortable=True) + note
