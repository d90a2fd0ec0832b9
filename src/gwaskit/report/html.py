"""HTML pieces of the report: the Jinja2 environment, table cells, tables and figures.

Every value reaches the page through the macros of ``templates/fragments.html.j2`` with
autoescape on; the section modules build plain values and call :func:`render`.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup
from matplotlib.figure import Figure

from gwaskit.plot import format_p

log = logging.getLogger("gwaskit.report")


@cache
def templates() -> jinja2.Environment:
    """The report's templates, autoescaping every value (HTML and attributes alike)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("gwaskit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(macro: str, *args: Any, **kwargs: Any) -> Markup:
    """Render one macro of ``fragments.html.j2``: plain values are escaped, Markup (from other
    macros) is kept."""
    module = templates().get_template("fragments.html.j2").module
    return Markup(getattr(module, macro)(*args, **kwargs))


def join(parts: Iterable[Markup]) -> Markup:
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


def missing(what: str) -> Markup:
    return render("missing", what)


def figure(
    fig: Figure,
    fid: str,
    caption: str,
    dpi: int,
    alt: str,
    data: Markup | None = None,
    *,
    keep_png: bool = False,
) -> Markup:
    """A figure as an inline PNG; with ``data`` (JSON from :mod:`gwaskit.report.interactive`)
    also the interactive plot, shown on screen while the PNG is kept for print (and shown on
    screen too with ``keep_png``, when it holds more than the interactive plot)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")  # layout: constrained
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    return render("figure", fid, alt, png, caption, data=data, keep_png=keep_png)


def try_figure(
    make: Callable[[], Figure],
    fid: str,
    caption: str,
    dpi: int,
    alt: str,
    data: Callable[[], Markup] | None = None,
    *,
    keep_png: bool = False,
) -> Markup:
    """A figure, or a note saying why it could not be drawn (never a broken report); the
    interactive version is left out (the PNG kept) when ``data`` fails."""
    try:
        fig = make()
    except Exception as exc:  # a report with one missing figure beats no report
        log.warning("report: figure %s not drawn: %s", fid, exc)
        return missing(f"{alt}: not drawn ({type(exc).__name__}: {exc}).")
    payload = None
    if data is not None:
        try:
            payload = data()
        except Exception as exc:
            log.warning("report: interactive %s not drawn: %s", fid, exc)
    return figure(fig, fid, caption, dpi, alt, payload, keep_png=keep_png)


def table(
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
    return render("table", columns, body, table_id=table_id, sortable=sortable)


def finite(value: Any) -> bool:
    """A real number that is not NaN/inf (a hostile table may put text where numbers go)."""
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and bool(np.isfinite(value))
    )


def num(value: Any, fmt: str = "{:,.0f}") -> Cell:
    if not finite(value):
        return Cell("NA", "")
    return Cell(fmt.format(value), repr(float(value)))


def p_cell(neg_log10_p: Any) -> Cell:
    """A p-value cell: shown as p, sorted by -(-log10 p) so ascending means most significant."""
    if not finite(neg_log10_p):
        return Cell("NA", "")
    return Cell(format_p(neg_log10_p), repr(-float(neg_log10_p)))


def locus_anchor(locus_id: str) -> str:
    return "locus-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in locus_id)


def estimate(value: Any, se: Any, fmt: str = "{:.3f}") -> Cell:
    """``value (se)``, sorted by the value; NA when the value is not a finite number."""
    if not finite(value):
        return Cell("NA", "")
    text = fmt.format(value) + (f" ({fmt.format(se)})" if finite(se) else "")
    return Cell(text, repr(float(value)))


def count(value: Any, fmt: str = "{:,}") -> str:
    """An integer (a position) formatted, or the value as text if it is not one."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return fmt.format(int(value))
    return str(value)


def chrom_key(chromosome: Any) -> int:
    from gwaskit.io.chromosomes import chromosome_order

    return chromosome_order(str(chromosome))
