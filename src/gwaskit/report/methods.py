"""Methods (with citations), software versions, parameters and input checksums."""

from __future__ import annotations

import datetime as _dt
import os
import platform
from collections.abc import Mapping
from importlib import metadata as _metadata
from typing import Any

from markupsafe import Markup

from gwaskit import __version__
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


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in mapping.items():
        if isinstance(v, Mapping):
            out.extend(_flatten(v, f"{prefix}{k}."))
        else:
            out.append((f"{prefix}{k}", v))
    return out


def methods_section(inputs: ReportInputs) -> Markup:
    m = inputs.manifest
    parts = [render("paragraph", _methods_text(inputs))]
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
                [[Cell(k, kind="mono"), Cell(v)] for k, v in _flatten(params)],
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


def p_value_note() -> Markup:
    return render("p_value_note")
