"""The table of summary-statistics layouts: which tool writes which header, and what each column
means (``gwaskit/data/sumstats_columns.yaml``, data rather than code).

A layout is recognised from its header (:func:`detect_format`), its columns mapped to GWAS-SSF
names (:func:`map_columns`); two header fields meaning the same SumStats column are an error
naming both, never "the first one wins". :func:`formats_reference` renders the table as the
documentation page ``docs/sumstats-formats.md``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from gwaskit.errors import InputError

#: The documentation page generated from the table.
FORMATS_PAGE = "docs/sumstats-formats.md"


@cache
def column_table() -> dict[str, Any]:
    """The header-synonym table shipped with gwaskit (formats and synonyms)."""
    text = resources.files("gwaskit.data").joinpath("sumstats_columns.yaml").read_text()
    return yaml.safe_load(text)


def format_spec(fmt: str) -> dict[str, Any]:
    """The table entry of one format (``{}`` for a table read through synonyms)."""
    return column_table()["formats"].get(fmt, {})


def _key(field: str) -> str:
    return field.strip().lower()


def detect_format(header: list[str]) -> str:
    """Name of the format whose signature columns are all in ``header`` (else ``"table"``).

    Fields are compared case-insensitively and with or without a leading ``#``; when several
    formats match, the one with the longest signature wins (so the GWAS Catalog's harmonised
    layout, GWAS-SSF plus ``hm_code``, is not read as plain GWAS-SSF).
    """
    names = {_key(h) for h in header} | {_key(h).lstrip("#") for h in header}
    best, size = "table", 0
    for name, spec in column_table()["formats"].items():
        signature = spec["signature"]
        if any(_key(a) in names for a in spec.get("absent", [])):
            continue
        if len(signature) > size and all(_key(s) in names for s in signature):
            best, size = name, len(signature)
    return best


def map_columns(header: list[str], fmt: str, *, path: str = "input") -> dict[str, str]:
    """Map each header field to a SumStats column name (fields of no known meaning are omitted).

    Raises
    ------
    InputError
        When two header fields mean the same SumStats column (e.g. ``SNP`` and ``ID`` both
        ``variant_id``), naming both: which one holds the values wanted is the user's call
        (``--columns`` / an explicit mapping).
    """
    table = column_table()
    spec = table["formats"].get(fmt, {})
    exact = {_key(k): v for k, v in spec.get("columns", {}).items()}
    use_synonyms = spec.get("synonyms", True)
    synonyms = {s.lower(): name for name, syns in table["synonyms"].items() for s in syns}
    present = {_key(h) for h in header}
    prefer = {_key(k): _key(v) for k, v in spec.get("prefer", {}).items()}
    mapping: dict[str, str] = {}
    source: dict[str, str] = {}
    for field in header:
        key = _key(field)
        if key in prefer and prefer[key] in present:
            continue  # a fallback column, read only when the preferred one is absent
        target = exact.get(key) or exact.get(key.lstrip("#"))
        if target is None and use_synonyms:
            target = synonyms.get(key) or synonyms.get(key.lstrip("#"))
        if target is None and fmt == "gwas-ssf" and field.isidentifier() and field.islower():
            target = field  # GWAS-SSF's extra columns, e.g. MetaStats' het_q, i2, direction
        if target is None or target == "ignore":
            continue
        if target in source:
            raise InputError(
                path,
                f"header columns {source[target]!r} and {field!r} both mean {target} "
                f"({fmt} format); keep one, or map the columns explicitly.",
                line=1,
            )
        mapping[field] = target
        source[target] = field
    return mapping


def formats_reference() -> str:
    """The Markdown page ``docs/sumstats-formats.md``, generated from the layout table."""
    table = column_table()
    out = [
        "# Summary-statistics formats gwaskit reads",
        "",
        "Generated from `src/gwaskit/data/sumstats_columns.yaml` by `scripts/make_docs.py`; do",
        "not edit by hand. A file's layout is recognised from its header: every *signature*",
        "column present (case-insensitive, with or without a leading `#`); when several layouts",
        "match, the longest signature wins. Any other table is read through the synonyms at the",
        "end. Text files may be plain, gzip or bgzip; a UTF-8 byte-order mark is ignored; CRLF",
        "line endings and a missing final newline are read as usual.",
        "",
        "Conversions: `odds_ratio` becomes `beta = ln OR`; without a standard error, the 95 %",
        "confidence interval of the odds ratio gives `SE = (ln U - ln L) / (2 x 1.959964)`; a",
        "1-df `chisq` gives `z = sign(beta) sqrt(chisq)`; with `beta` and `z` but no SE,",
        "`SE = beta / z`; `n` is `n_cases + n_controls` when only those are given;",
        "`neg_log_10_p_value` is kept as the file gives it (log space) and `p_value` derived",
        "from it. Two header columns that mean the same SumStats column are an error naming",
        "both.",
        "",
        "| format | tool | effect allele | p scale | effect | signature |",
        "|---|---|---|---|---|---|",
    ]
    for name, spec in table["formats"].items():
        signature = ", ".join(f"`{s}`" for s in spec["signature"])
        out.append(
            f"| `{name}` | {spec['tool']} | {spec['effect_allele']} | {spec['p_scale']} | "
            f"{spec['effect']} | {signature} |"
        )
    for name, spec in table["formats"].items():
        out += ["", f"## `{name}`", "", f"{spec['tool']}.", ""]
        notes = []
        if spec.get("filter"):
            rows = ", ".join(f"`{k} = {v}`" for k, v in spec["filter"].items())
            notes.append(f"Only rows with {rows} are read (the others are counted).")
        if spec.get("other_allele") == "absent":
            notes.append("The other allele may be absent: it is then left empty (counted).")
        if spec.get("require_harmonised"):
            notes.append(
                f"Rows with an empty `{spec['require_harmonised']}` failed harmonisation: "
                "they are dropped and counted."
            )
        if spec.get("missing"):
            tokens = ", ".join(f"`{t}`" for t in spec["missing"])
            notes.append(f"Also read as missing: {tokens}.")
        if spec.get("chromosome_codes"):
            codes = ", ".join(f"{k} = {v}" for k, v in spec["chromosome_codes"].items())
            notes.append(f"Numeric chromosome codes: {codes}.")
        if spec.get("numeric_alleles"):
            notes.append("Alleles coded 1/2/3/4 (and nothing else) are read as A/C/G/T.")
        for k, v in spec.get("prefer", {}).items():
            notes.append(f"`{k}` is read only when `{v}` is absent.")
        if spec.get("synonyms", True) is False:
            notes.append("Columns not listed here are not read.")
        out += [*notes, *([""] if notes else [])]
        out += ["| column | SumStats column |", "|---|---|"]
        out += [f"| `{k}` | {v} |" for k, v in spec.get("columns", {}).items()]
    out += [
        "",
        "## Synonyms (any other table)",
        "",
        "| SumStats column | header names (case-insensitive) |",
        "|---|---|",
    ]
    for name, syns in table["synonyms"].items():
        out.append(f"| {name} | {', '.join(f'`{s}`' for s in syns)} |")
    out += [
        "",
        "LDSC munge inputs carry the case and control counts in two header names,",
        "`FRQ_A_<cases>` and `FRQ_U_<controls>`: they give `n_cases`, `n_controls` and `n`.",
        "",
    ]
    return "\n".join(out)
