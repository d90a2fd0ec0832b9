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
import hashlib
from pathlib import Path

from markupsafe import Markup

from gwaskit import __version__
from gwaskit.errors import ParameterError
from gwaskit.io.tables import atomic_path
from gwaskit.qc.inflation import LAMBDA_WARN
from gwaskit.report._assets import CSS, JS
from gwaskit.report.html import templates
from gwaskit.report.inputs import ReportInputs
from gwaskit.report.methods import downloads_section, methods_section, p_value_note
from gwaskit.report.sections.cohorts import cohorts_section
from gwaskit.report.sections.genome import genome_section, loci_section
from gwaskit.report.sections.heritability import (
    heritability_section,
    subtypes_sections,
    tissues_section,
)
from gwaskit.report.sections.overview import inflation_section, studies_section, summary_section
from gwaskit.report.sections.qc import qc_section
from gwaskit.report.sections.regions import regions_section


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
        ("summary", "Summary", inflation_section(inputs, lambda_warn) + summary_section(inputs)),
        ("studies", "Studies", studies_section(inputs)),
        ("cohorts", "Cohorts", cohorts_section(inputs, dpi, lambda_warn)),
        ("genome", "Genome-wide results", genome_section(inputs, dpi)),
        ("heritability", "Heritability and confounding", heritability_section(inputs, dpi)),
        ("loci", "Risk loci", loci_section(inputs)),
        ("regions", "Loci in detail", regions_section(inputs, dpi)),
        ("tissues", "Tissue enrichment", tissues_section(inputs, dpi)),
        *subtypes_sections(inputs, dpi),
        ("qc", "Summary-statistics QC", qc_section(inputs, dpi)),
        ("methods", "Methods and provenance", methods_section(inputs)),
        ("downloads", "Result tables", downloads_section(inputs)),
        ("pvalues", "What a p-value means", p_value_note(inputs)),
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
    page = templates().get_template("page.html.j2")
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
