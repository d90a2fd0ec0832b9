"""Methods (with citations), software versions, parameters and input checksums."""

from __future__ import annotations

import base64
import datetime as _dt
import os
import platform
from collections.abc import Mapping
from importlib import metadata as _metadata

import polars as pl
from markupsafe import Markup

from gwaskit import __version__
from gwaskit.report.citations import CITATIONS
from gwaskit.report.facts import (
    flatten,
    is_binary,
    meta_method,
    parameter,
    parameters,
    random_estimator,
)
from gwaskit.report.html import Cell, join, missing, render, table
from gwaskit.report.inputs import ReportInputs

_LIBRARIES = ("numpy", "scipy", "polars", "pyarrow", "matplotlib")


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


def methods_section(inputs: ReportInputs) -> Markup:
    m = inputs.manifest
    paragraphs, keys = methods_text(inputs)
    parts = [render("paragraph", p) for p in paragraphs]
    if keys:
        parts.append(
            render("heading", "References")
            + render("references", [(*CITATIONS[k], f"ref-{k}") for k in keys])
        )
    software = {**_versions(), **{str(k): str(v) for k, v in dict(m.get("software") or {}).items()}}
    built_with = m.get("gwaskit_version")
    if built_with:
        software["gwaskit (results)"] = str(built_with)
    parts.append(
        render("heading", "Software")
        + table(
            [("Software", False), ("Version", False)],
            [[Cell(k), Cell(v)] for k, v in software.items()],
            table_id="software-table",
        )
    )
    params = m.get("parameters")
    if isinstance(params, Mapping) and params:
        parts.append(
            render("heading", "Parameters")
            + table(
                [("Parameter", False), ("Value", False)],
                [[Cell(k, kind="mono"), Cell(v)] for k, v in flatten(params)],
                table_id="parameters-table",
            )
        )
    else:
        parts.append(
            missing("No parameters recorded (manifest.json absent or without 'parameters').")
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
            render("heading", "Inputs (sha256)")
            + table(
                [("File", False), ("sha256", False), ("Role", False)], rows, table_id="inputs-table"
            )
        )
    else:
        parts.append(
            missing("No input checksums recorded: this report was built from tables in memory.")
        )
    created = _generated_at().strftime("%Y-%m-%d %H:%M UTC")
    parts.append(render("paragraph", f"Report generated {created} by gwaskit {__version__}."))
    return join(parts)


class _Cites:
    """Citation numbers in order of first mention."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __call__(self, *keys: str) -> str:
        marks = []
        for key in keys:
            if key not in self.keys:
                self.keys.append(key)
            marks.append(str(self.keys.index(key) + 1))
        return " [" + ", ".join(marks) + "]"


def methods_text(inputs: ReportInputs) -> tuple[list[str], list[str]]:
    """The methods paragraphs built from what the results and manifest record (nothing
    assumed), and the keys of :data:`CITATIONS` they cite, in order."""
    cite = _Cites()
    params = parameters(inputs)
    method = meta_method(inputs)
    estimator = random_estimator(inputs)
    est_keys = ("dl",) if estimator is None else (_estimator_key(estimator),)
    if estimator is not None and "Hartung" in estimator:
        est_keys += ("hksj",)
    n = len(inputs.study_names)
    binary = is_binary(inputs)
    effect = "log odds ratio" if binary else "beta (per-allele effect on the trait)"
    if inputs.meta is None:
        first = f"Results of a single study are shown; effects are the {effect}."
    elif method == "fixed":
        first = (
            f"The {n} studies were combined by inverse-variance weighted fixed-effect "
            f"meta-analysis{cite('metal')} of the {effect}."
        )
    elif method == "random":
        name = estimator or "DerSimonian–Laird (gwaskit's default; the estimator was not recorded)"
        first = (
            f"The {n} studies were combined by random-effects meta-analysis of the {effect}, "
            f"with the between-study variance τ² estimated by {name}{cite(*est_keys)}."
        )
    elif method == "samplesize":
        first = (
            f"The {n} studies were combined by sample-size weighted Z-score "
            f"meta-analysis{cite('metal')}."
        )
    else:
        first = f"The {n} studies were meta-analysed (method: {method or 'not recorded'})."
    paragraphs = [first]
    if inputs.meta is not None and "i2" in inputs.meta.columns:
        if method == "random" or estimator is not None:
            random_name = estimator or "DerSimonian–Laird"
        else:
            random_name = "DerSimonian–Laird"
            est_keys = ("dl",)
        paragraphs.append(
            f"Heterogeneity is Cochran's Q and I²{cite('i2')}; forest plots show the fixed-effect "
            f"and the random-effects ({random_name}{cite(*est_keys)}) estimates of the "
            "meta-analysis table."
        )
    if params.get("meta.gc") is True or parameter(inputs, "genomic_control") is True:
        paragraphs.append(f"Study results were corrected by genomic control{cite('gc')}.")
    test = str(parameter(inputs, "test") or "").lower()
    if "firth" in test or parameter(inputs, "firth_fallback") is True:
        paragraphs.append(
            f"Logistic regression fell back to Firth's penalised likelihood{cite('firth')} "
            "for variants where the maximum-likelihood fit failed or was unstable."
        )
    if "spa" in test:
        paragraphs.append(f"P-values used the saddle-point approximation{cite('spa')}.")
    threshold = parameter(inputs, "p", "p_threshold")
    if threshold is not None:
        paragraphs.append(f"Loci are defined around variants with p < {threshold}.")
    if inputs.loci is not None and "n_signals" in inputs.loci.columns:
        paragraphs.append(
            "Independent signals within a locus were found by conditional and joint analysis "
            f"(COJO){cite('cojo')}."
        )
    if inputs.heritability is not None:
        paragraphs.append(
            f"Heritability and confounding were estimated by LD score regression{cite('ldsc')}."
        )
    if inputs.genetic_correlation is not None:
        paragraphs.append(
            f"Genetic correlations are from cross-trait LD score regression{cite('rg')}."
        )
    if inputs.finemap is not None:
        fm = str(params.get("finemap.method") or "susie").lower()
        name, key = ("SuSiE", "susie") if fm != "abf" else ("approximate Bayes factors", "abf")
        paragraphs.append(f"Loci were fine-mapped with {name}{cite(key)}.")
    if inputs.coloc is not None:
        paragraphs.append(f"Colocalisation used the coloc model{cite('coloc')}.")
    if inputs.tissues is not None:
        paragraphs.append(f"Tissue enrichment is MAGMA's gene-property analysis{cite('magma')}.")
    if inputs.subtypes is not None:
        paragraphs.append(
            f"Subtype effects were compared as in Hautakangas et al.{cite('subtypes')}."
        )
    paragraphs.append(
        "All p-values are computed and stored as -log10 p in log space, so they never underflow "
        "(the report prints p from it, e.g. 1.0e-400). Every parameter and input checksum "
        "recorded by the analysis is listed below."
    )
    return paragraphs, cite.keys


def _estimator_key(name: str) -> str:
    return "reml" if name.startswith("REML") else "dl"


def p_value_note(inputs: ReportInputs) -> Markup:
    """The plain-language note on p-values, in the words of the trait (cases and controls and
    the odds ratio for a binary trait; the trait's mean and beta for a quantitative one)."""
    return render("p_value_note", is_binary(inputs))


#: Most variants of the genome-wide table embedded for download (the strongest first).
MAX_DOWNLOAD_VARIANTS = 20_000


def downloads_section(inputs: ReportInputs) -> Markup:
    """The tables behind the figures, embedded in the page as tab-separated downloads: loci,
    studies, and the genome-wide variants with p < 10⁻⁵ (at most
    :data:`MAX_DOWNLOAD_VARIANTS`, the strongest; the full table is the results folder's)."""
    items = []
    if inputs.loci is not None:
        items.append(_download("loci.tsv", inputs.loci, f"{inputs.loci.height} loci"))
    if inputs.studies is not None:
        items.append(_download("studies.tsv", inputs.studies, f"{inputs.studies.height} studies"))
    gw = inputs.genome_wide
    if gw is not None:
        top = (
            gw.filter(pl.col("neg_log_10_p_value") > 5)
            .sort("neg_log_10_p_value", descending=True)
            .head(MAX_DOWNLOAD_VARIANTS)
        )
        items.append(
            _download(
                "variants_p_below_1e-5.tsv",
                top,
                f"{top.height:,} of {gw.height:,} variants (p < 10⁻⁵)",
            )
        )
    if inputs.heritability is not None:
        items.append(_download("ldsc_h2.tsv", inputs.heritability, "LD score regression"))
    if not items:
        return missing("No result tables to download.")
    return render(
        "paragraph",
        "The tables behind the figures, embedded in this file (tab-separated; click to save):",
    ) + render("downloads", items)


def _download(name: str, table: pl.DataFrame, what: str) -> tuple[str, str, str, str]:
    flat = table.select(
        pl.col(c).cast(pl.String) if isinstance(table.schema[c], pl.List | pl.Struct) else pl.col(c)
        for c in table.columns
    )
    for c, dtype in flat.schema.items():
        if isinstance(dtype, pl.List):
            flat = flat.with_columns(pl.col(c).list.join(","))
    data = base64.b64encode(flat.write_csv(separator="\t").encode("utf-8")).decode("ascii")
    return name, "text/tab-separated-values", data, what
