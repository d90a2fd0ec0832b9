"""Reading GWAS-VCF summary statistics (MRC IEU ``gwas2vcf``) into SumStats columns.

GWAS-VCF (Lyon et al. 2021, doi:10.1186/s13059-020-02248-0) stores one study per sample column;
its FORMAT fields are ``ES`` (effect of the ALT allele), ``SE``, ``LP`` (-log10 p), ``AF`` (ALT
frequency), ``SS`` (sample size), ``NC`` (cases), ``EZ`` (z), ``SI`` (imputation accuracy) and
``ID``. The effect allele is ALT, the other allele REF. When the FORMAT gives no sample size, the
study's ``##SAMPLE`` line (``TotalCases``, ``TotalControls``) does. Records repeated verbatim are
read once (counted); a record with several ALT alleles is an error naming its line.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.sumstats_layouts import format_spec

log = logging.getLogger(__name__)

_FIXED = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"]


def read_gwas_vcf(path: Path) -> tuple[pl.DataFrame, dict[str, object]]:
    """The records of a GWAS-VCF as string columns named as SumStats columns, with ``_line``
    (the 1-based file line of each row), and facts for the metadata (``study``,
    ``duplicate_records``)."""
    try:
        lines = pl.read_csv(
            path,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            new_columns=["line"],
            schema_overrides={"line": pl.String},
        )["line"]
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(path, f"is not a readable VCF ({exc}).") from None
    meta_rows = lines.str.starts_with("##")
    n_meta = int(meta_rows.arg_min()) if not meta_rows.all() else lines.len()
    if n_meta >= lines.len() or not lines[n_meta].startswith("#CHROM"):
        raise InputError(path, "expected a #CHROM header line after the ## lines.", line=n_meta + 1)
    header = lines[n_meta].split("\t")
    if header[: len(_FIXED)] != _FIXED or len(header) < len(_FIXED) + 1:
        raise InputError(
            path,
            f"expected the VCF columns {' '.join(_FIXED)} and one study column, "
            f"found {' '.join(header)!r}.",
            line=n_meta + 1,
        )
    study = header[len(_FIXED)]
    if len(header) > len(_FIXED) + 1:
        log.warning("%s: %d study columns; reading the first, %s", path, len(header) - 9, study)
    body = lines[n_meta + 1 :]
    first_line = n_meta + 2
    fields = body.str.split("\t")
    counts = fields.list.len()
    wrong = (counts != len(header)).arg_true()
    if wrong.len():
        i = int(wrong[0])
        raise InputError(
            path,
            f"expected {len(header)} tab-separated fields (as in the #CHROM header), "
            f"found {counts[i]}.",
            line=first_line + i,
        )
    table = pl.DataFrame(
        {
            "_line": pl.int_range(first_line, first_line + body.len(), eager=True),
            "_record": body,
            "chromosome": fields.list.get(0),
            "base_pair_location": fields.list.get(1),
            "variant_id": fields.list.get(2),
            "other_allele": fields.list.get(3),
            "effect_allele": fields.list.get(4),
            "_format": fields.list.get(8),
            "_sample": fields.list.get(9),
        }
    )
    multi = table["effect_allele"].str.contains(",").arg_true()
    if multi.len():
        i = int(multi[0])
        raise InputError(
            path,
            f"expected one ALT allele per GWAS-VCF record, found {table['effect_allele'][i]!r}.",
            line=int(table["_line"][i]),
            column="ALT",
        )
    duplicates = table.height
    table = table.unique(subset="_record", keep="first", maintain_order=True)
    duplicates -= table.height
    if duplicates:
        log.warning("%s: %d records repeated verbatim were read once", path, duplicates)
    table = _format_fields(table, path)
    sizes = _sample_sizes(lines.head(n_meta), study)
    for name, value in sizes.items():
        if name not in table.columns:
            table = table.with_columns(pl.lit(str(value)).alias(name))
    table = table.with_columns(
        pl.when(pl.col("variant_id") == ".").then(None).otherwise(pl.col("variant_id"))
    )
    facts = {"study": study, "duplicate_records": duplicates}
    return table.drop("_record", "_format", "_sample"), facts


def _format_fields(table: pl.DataFrame, path: Path) -> pl.DataFrame:
    """The FORMAT values of the study column as SumStats columns (by distinct FORMAT string,
    not by row)."""
    names = {k: v for k, v in format_spec("gwas-vcf")["columns"].items() if v != "ignore"}
    parts = []
    for fmt in table["_format"].unique(maintain_order=True):
        keys = fmt.split(":")
        group = table.filter(pl.col("_format") == fmt)
        values = group["_sample"].str.split(":")
        cols = {}
        for j, key in enumerate(keys):
            if key in names:
                value = values.list.get(j, null_on_oob=True)
                cols[names[key]] = pl.when(value == ".").then(None).otherwise(value)
        if "rsid" in cols:  # the study's own identifier; the VCF ID column is the variant's
            cols["rsid"] = pl.coalesce(cols["rsid"], pl.col("variant_id"))
        else:
            cols["rsid"] = pl.col("variant_id")
        parts.append(group.with_columns(**cols))
    if not parts:
        raise InputError(path, "holds no variant records.")
    return pl.concat(parts, how="diagonal").sort("_line")


def _sample_sizes(meta: pl.Series, study: str) -> dict[str, float]:
    """``n_cases``, ``n_controls`` and ``n`` from the study's ``##SAMPLE`` line."""
    line = next((x for x in meta if x.startswith(f"##SAMPLE=<ID={study},")), None)
    if line is None:
        return {}
    out = {}
    for key, name in (("TotalCases", "n_cases"), ("TotalControls", "n_controls")):
        m = re.search(rf"[<,]{key}=([0-9.eE+]+)", line)
        if m is not None:
            out[name] = float(m.group(1))
    if len(out) == 2:
        out["n"] = out["n_cases"] + out["n_controls"]
    return out
