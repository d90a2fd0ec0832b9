"""Reading one summary-statistics file, of any layout the field's tools write, into a SumStats
table: the layout recognised from the header (:mod:`gwaskit.io.sumstats_layouts`), the rows a
layout marks as not per-variant results filtered out and counted, and two kinds of file that are
not one header and rows: GWAS-VCF (:mod:`gwaskit.io.gwas_vcf`) and files with comment lines
around the table (SNPTEST). Parsing and typing of the text table are in
:mod:`gwaskit.io.sumstats_formats`; conversions in :mod:`gwaskit.io.sumstats_derive`.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from gwaskit.errors import InputError
from gwaskit.io.gwas_vcf import read_gwas_vcf
from gwaskit.io.sumstats_derive import (
    alleles_from_epacts_marker,
    counts_from_ldsc_header,
    null_tokens,
    plink2_other_allele,
)
from gwaskit.io.sumstats_formats import (
    NUMERIC,
    _check_and_type,
    _head,
    _read_raw,
    _split_header,
    checked_build,
)
from gwaskit.io.sumstats_layouts import detect_format, format_spec, map_columns

log = logging.getLogger(__name__)


def read_sumstats_file(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    n: float | None = None,
    build: str | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Read one summary-statistics file into a SumStats table.

    Parameters
    ----------
    path
        A text table (optionally gzipped).
    columns
        Explicit mapping ``{file header: SumStats column}``, overriding the detected format.
    n
        Sample size for every variant when the file has no N column (METAL's DEFAULTWEIGHT).
    build
        Genome build, when the file (or its GWAS-SSF YAML sidecar) does not say.

    Returns
    -------
    table, metadata
        The SumStats table (alleles upper-case, ``beta`` per effect allele on the log-odds
        scale for binary traits, ``neg_log_10_p_value`` filled in log space) and a metadata
        dict with ``format``, ``genome_assembly`` and ``source``.

    Raises
    ------
    InputError
        Naming the file, the line and the column, for a missing mandatory column or a value
        that is not a number.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    head = _head(path, 1)
    if head and head[0].startswith("##fileformat=VCF"):
        return _read_vcf(path, n=n, build=build)
    if head and _COMMENT.match(head[0]):
        return _read_commented(path, columns=columns, n=n, build=build)
    header = _split_header(head[0] if head else "")
    fmt = detect_format(header) if columns is None else "mapping"
    spec = format_spec(fmt)
    mapping = dict(columns) if columns is not None else map_columns(header, fmt, path=str(path))
    if columns is not None:
        targets = [t for t in mapping.values() if t != "ignore"]
        twice = sorted({t for t in targets if targets.count(t) > 1})
        if twice:
            both = [f"{src!r}" for src, dst in mapping.items() if dst == twice[0]]
            raise InputError(
                path,
                f"the column mapping gives {twice[0]} from {' and '.join(both)}; map one.",
            )
        mapping = {src: dst for src, dst in mapping.items() if dst != "ignore"}
    unknown = [c for c in mapping if c not in header]
    if unknown:
        raise InputError(path, f"column(s) {', '.join(map(repr, unknown))} not in the header.")
    filters = {k: v for k, v in spec.get("filter", {}).items() if k in header}
    harmonised = spec.get("require_harmonised")
    extra = [c for c in ("A1", "REF", "ALT", "OMITTED", "TEST") if c in header]
    keep = list(dict.fromkeys([*mapping, *extra, *filters, *([harmonised] if harmonised else [])]))
    # `-` in a STRAND column is the minus strand, not a missing value
    strand = tuple(src for src, dst in mapping.items() if dst == "strand")
    raw = _read_raw(
        path, {src: dst for src, dst in mapping.items() if dst in NUMERIC}, keep, strand
    )
    lost = [c for c in mapping if c not in raw.columns]
    if lost:
        raise InputError(path, f"cannot read column(s) {', '.join(map(repr, lost))}.", line=1)
    raw = raw.with_row_index("_line", offset=2).with_columns(pl.col("_line").cast(pl.Int64))
    table = raw.select(["_line", *[pl.col(src).alias(dst) for src, dst in mapping.items()]])
    table = null_tokens(table, spec.get("missing", []))
    if fmt == "plink2":
        table = plink2_other_allele(raw, table)
    metadata = _sidecar(path)
    not_read: dict[str, int] = {}
    for field, value in filters.items():
        chosen = (raw[field] == value).fill_null(False)
        not_read[f"{field} is not {value}"] = int((~chosen).sum())
        table, raw = table.filter(chosen), raw.filter(chosen)
    if harmonised:
        ok = raw[harmonised].is_not_null()
        not_read["not harmonised"] = int((~ok).sum())
        table = table.filter(ok)
    if "epacts_marker_id" in spec.get("derive", []):
        table = alleles_from_epacts_marker(table, path, table["_line"])
    if fmt in ("table", "mapping"):
        for name, value in counts_from_ldsc_header(header).items():
            if name not in table.columns:
                table = table.with_columns(pl.lit(value).alias(name))
    not_read = {k: v for k, v in not_read.items() if v}
    for reason, count in not_read.items():
        level = logging.INFO if reason.startswith("TEST") else logging.WARNING
        log.log(level, "%s: %d rows not read (%s)", path, count, reason)
    sources = {dst: src for src, dst in mapping.items()}
    table = _check_and_type(table, path, fmt, header, sources)
    if n is not None and "n" not in table.columns:
        table = table.with_columns(pl.lit(float(n)).alias("n"))
    declared = checked_build(build, metadata.get("genome_assembly"), path)
    meta = {"format": fmt, "source": Path(path).name, "genome_assembly": declared}
    if not_read:
        meta["rows_not_read"] = not_read
    if metadata.get("male_x_dosage"):  # how the study coded male X dosages (gwaskit.meta.chrx)
        meta["male_x_dosage"] = str(metadata["male_x_dosage"])
    return table, meta


#: A comment line of a summary-statistics file (SNPTEST's "# Analysis: ..." and "# Completed
#: successfully."); "#CHROM"-like header lines are not comments.
_COMMENT = re.compile(r"^#(#|\s|$)")


def _read_commented(
    path: Path, *, columns: Mapping[str, str] | None, n: float | None, build: str | None
) -> tuple[pl.DataFrame, dict]:
    """A file with comment lines before the header and after the rows (SNPTEST), read without
    them; errors name the file's own line numbers."""
    text = _head(path, n_lines=-1)
    lead = next((i for i, line in enumerate(text) if not _COMMENT.match(line)), len(text))
    if lead == len(text):
        raise InputError(path, "holds only comment lines; expected a header and rows.")
    kept = [text[lead], *[line for line in text[lead + 1 :] if not _COMMENT.match(line)]]
    with tempfile.TemporaryDirectory() as folder:
        clean = Path(folder) / path.name.removesuffix(".gz")
        clean.write_text("\n".join(kept) + "\n")
        try:
            table, meta = read_sumstats_file(
                clean, columns=columns, n=n, build=build or _sidecar(path).get("genome_assembly")
            )
        except InputError as err:
            line = err.line + lead if err.line is not None else None
            raise InputError(path, err.detail, line=line, column=err.column) from None
    return table, {**meta, "source": Path(path).name}


def _read_vcf(path: Path, *, n: float | None, build: str | None) -> tuple[pl.DataFrame, dict]:
    """A GWAS-VCF through :func:`gwaskit.io.gwas_vcf.read_gwas_vcf`, then typed and checked as
    any other format."""
    raw, facts = read_gwas_vcf(path)
    table = _check_and_type(raw, path, "gwas-vcf")
    if n is not None and "n" not in table.columns:
        table = table.with_columns(pl.lit(float(n)).alias("n"))
    meta: dict[str, Any] = {
        "format": "gwas-vcf",
        "source": Path(path).name,
        "genome_assembly": build,
    }
    meta["study"] = facts["study"]
    if facts["duplicate_records"]:
        meta["rows_not_read"] = {"record repeated verbatim": facts["duplicate_records"]}
    return table, meta


def _sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + "-meta.yaml")
    if not sidecar.is_file():
        return {}
    try:
        data = yaml.safe_load(sidecar.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError(sidecar, f"is not valid YAML: {exc}") from None
    build = str(data.get("genome_assembly", "") or "")
    if build.upper() in ("UNKNOWN", "NR"):  # gwaskit assoc on a file of no known build; SSF's NR
        build = ""
    aliases = {"GRCH37": "GRCh37", "HG19": "GRCh37", "GRCH38": "GRCh38", "HG38": "GRCh38"}
    if build and build.upper() not in aliases:  # an unknown build is not "no build"
        raise InputError(
            sidecar,
            f"genome_assembly must be one of GRCh37, GRCh38 (or hg19, hg38), got {build!r}.",
        )
    return {"genome_assembly": aliases.get(build.upper())} if build else {}
