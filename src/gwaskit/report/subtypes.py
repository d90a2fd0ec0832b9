"""The report's subtype section: the two subtypes' effects per locus (figure) and the table of
posteriors and calls. Returns an HTML fragment, every value escaped; the section is shown only
when the results folder holds ``subtypes.parquet``."""

from __future__ import annotations

import base64
import html
import io
import logging
from typing import Any

import numpy as np
import polars as pl

from gwaskit.plot._axes import format_p

log = logging.getLogger(__name__)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _call_label(call: str, a: str, b: str) -> str:
    return {"a_only": f"{a} only", "b_only": f"{b} only", "null": "neither"}.get(call, call)


def _cell(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return '<td class="num" data-sort="">NA</td>'
    return f'<td class="num" data-sort="{_e(repr(float(value)))}">{_e(fmt.format(value))}</td>'


def _figure_html(table: pl.DataFrame, names: tuple[str, str], dpi: int) -> str:
    from gwaskit.plot.subtypes import subtype_effects

    try:
        label = "name" if "name" in table.columns else "locus_id"
        ax = subtype_effects(table, names=names, label=label)
        buffer = io.BytesIO()
        ax.figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    except Exception as exc:  # a report with one missing figure beats no report
        log.warning("report: subtype figure not drawn: %s", exc)
        return f'<p class="missing">Subtype effects: not drawn ({_e(type(exc).__name__)}).</p>'
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    caption = (
        f"Odds ratio of the risk allele for {_e(names[0])} (y) and {_e(names[1])} (x) at each "
        "locus, with 95% confidence intervals, coloured by the call of the model comparison; "
        "the dashed line marks equal effects."
    )
    return (
        f'<figure id="fig-subtypes" class="plot"><img alt="Subtype effects per locus" '
        f'src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'
    )


def subtypes_section(
    table: pl.DataFrame, correlations: pl.DataFrame | None, *, dpi: int = 110
) -> str:
    """HTML of the subtype section: parameters, correlations, figure, table of posteriors."""
    a, b = (str(table["subtype_a"][0]), str(table["subtype_b"][0])) if table.height else ("A", "B")
    parts = []
    counts = table["call"].value_counts(sort=True) if table.height else None
    summary = (
        ", ".join(f"{_e(_call_label(c, a, b))}: {n}" for c, n in counts.iter_rows())
        if counts is not None
        else "no loci"
    )
    r = table["r"][0] if "r" in table.columns and table.height else None
    parts.append(
        f"<p>Does each locus act on both subtypes, <b>{_e(a)}</b> and <b>{_e(b)}</b>, on one "
        "only, or on neither? Bayesian model comparison (NULL, equal effects, independent "
        "effects, one subtype only; Hautakangas et al. 2022) with correlated estimates"
        + (f" (r = {r:.3f})" if r is not None else "")
        + f". Calls: {summary}.</p>"
    )
    if correlations is not None and correlations.height:
        rows = "".join(
            f"<tr><td>{_e(row['subtype_a'])}</td><td>{_e(row['subtype_b'])}</td>"
            + _cell(row["r"], "{:.3f}")
            + _cell(row.get("n_variants"), "{:,.0f}")
            + f"<td>{_e(row.get('source') or '')}</td></tr>"
            for row in correlations.iter_rows(named=True)
        )
        parts.append(
            '<div class="scroll"><table id="subtype-correlations"><thead><tr><th>subtype</th>'
            '<th>subtype</th><th class="num">r</th><th class="num">null variants</th>'
            f"<th>from</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
    if table.height:
        parts.append(_figure_html(table, (a, b), dpi))
    head = (
        "<th>locus</th>"
        + ("<th>name</th>" if "name" in table.columns else "")
        + f'<th class="num">OR {_e(a)}</th><th class="num">OR {_e(b)}</th>'
        '<th class="num">P(null)</th><th class="num">P(both)</th>'
        f'<th class="num">P({_e(a)} only)</th><th class="num">P({_e(b)} only)</th>'
        '<th class="num">p equal effects</th><th>call</th>'
    )
    body = []
    for row in table.iter_rows(named=True):
        cells = [f"<td>{_e(row['locus_id'])}</td>"]
        if "name" in table.columns:
            cells.append(f"<td>{_e(row['name'] or '')}</td>")
        for beta in ("beta_a", "beta_b"):
            value = row[beta]
            cells.append(_cell(None if value is None else float(np.exp(value)), "{:.3f}"))
        for column in ("posterior_null", "posterior_both", "posterior_a_only", "posterior_b_only"):
            cells.append(_cell(row[column], "{:.3f}"))
        nlp = row["equal_effects_neg_log_10_p"]
        cells.append(
            '<td class="num" data-sort="">NA</td>'
            if nlp is None
            else f'<td class="num" data-sort="{_e(repr(-float(nlp)))}">{_e(format_p(nlp))}</td>'
        )
        cells.append(f"<td>{_e(_call_label(row['call'], a, b))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    parts.append(
        '<div class="scroll"><table id="subtypes-table" class="sortable"><thead><tr>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
    return "".join(parts)
