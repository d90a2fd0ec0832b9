"""The GWAS-SSF text file the GWAS Catalog accepts, made from a SumStats table.

GWAS-SSF v1.0 (Hayhurst et al. 2022, bioRxiv, https://doi.org/10.1101/2022.07.15.500230), as the
Catalog's own validator (``gwas-ssf validate`` of ``gwas-sumstats-tools``) checks it:

- ``chromosome`` is an integer 1-25 (X = 23, Y = 24, MT = 25); other contigs cannot be written;
- ``effect_allele`` and ``other_allele`` are nucleotide sequences (``^[ACGTacgt]+$``);
- ``beta``, ``standard_error``, ``effect_allele_frequency`` and ``p_value`` are never missing,
  and ``p_value`` is above 0: a p-value that underflows a double is written as text from
  ``neg_log_10_p_value`` (``3.2e-412``), which the validator reads as mantissa and exponent;
- ``n`` is an integer; ``variant_id`` matches ``^[A-Za-z0-9_]+$`` (written
  ``<chromosome>_<base_pair_location>_<other_allele>_<effect_allele>``); ``rsid`` is one
  ``rs<digits>`` (the first of a VCF multi-ID such as ``rs1;rs2``), else missing.

Rows that cannot be written so (an untestable variant, a non-nucleotide allele, an unplaced
contig) go to a side table with their reason code, so nothing is dropped silently. The metadata
sidecar gets the fields the Catalog's metadata model requires (``data_file_name``,
``data_file_md5sum``, ``date_metadata_last_modified``) and its list-valued fields as lists.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

#: GWAS-SSF's integer codes of the sex chromosomes and the mitochondrion.
SSF_CHROMOSOMES = {**{str(i): str(i) for i in range(1, 23)}, "X": "23", "Y": "24", "MT": "25"}
#: Values the Catalog's validator requires on every row (its non-nullable columns).
REQUIRED_VALUES = ("beta", "standard_error", "effect_allele_frequency", "p_value")
#: Columns of the side table of rows left out of the GWAS-SSF file.
UNTESTED_COLUMNS = (
    "chromosome",
    "base_pair_location",
    "effect_allele",
    "other_allele",
    "variant_id",
    "rsid",
    "n",
    "reason",
)
#: Metadata fields whose value is a list in the Catalog's metadata model.
_LIST_FIELDS = (
    "genotyping_technology",
    "trait_description",
    "ontology_mapping",
    "adjusted_covariates",
)
_NUCLEOTIDES = r"^[ACGTacgt]+$"


@dataclass(frozen=True)
class SsfTables:
    """A SumStats table split for GWAS-SSF: ``data``, the rows and columns of the file, and
    ``untested``, the rows it cannot hold (:data:`UNTESTED_COLUMNS`, ``reason`` set)."""

    data: pl.DataFrame
    untested: pl.DataFrame


def ssf_tables(table: pl.DataFrame) -> SsfTables:
    """Split a conformed SumStats (or MetaStats) table into the GWAS-SSF file and the side
    table of the rows it cannot hold (see the module docstring for the rules).

    The reason of a left-out row is its own ``reason`` when it has one (e.g. PLINK 2's
    ``CONST_ALLELE``-like codes of ``gwaskit assoc``), else ``chromosome_not_in_ssf``,
    ``allele_not_nucleotides`` or ``missing_<column>`` for the first missing required value.
    """
    chrom = pl.col("chromosome").replace_strict(SSF_CHROMOSOMES, default=None)
    checks = [
        (chrom.is_null(), "chromosome_not_in_ssf"),
        (
            ~pl.col("effect_allele").str.contains(_NUCLEOTIDES).fill_null(False)
            | ~pl.col("other_allele").str.contains(_NUCLEOTIDES).fill_null(False),
            "allele_not_nucleotides",
        ),
        (pl.col("base_pair_location").is_null(), "missing_base_pair_location"),
        *(
            (pl.col(c).is_null() | pl.col(c).is_nan(), f"missing_{c}")
            for c in REQUIRED_VALUES
            if c != "p_value"
        ),
        (
            ~((pl.col("p_value") > 0) | pl.col("neg_log_10_p_value").is_finite()).fill_null(False),
            "missing_p_value",
        ),
    ]
    why = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
    for condition, code in checks[1:]:
        why = why.when(condition).then(pl.lit(code))
    own = pl.col("reason") if "reason" in table.columns else pl.lit(None, pl.String)
    reason = pl.when(why.otherwise(None).is_not_null()).then(pl.coalesce(own, why.otherwise(None)))
    marked = table.with_columns(reason.alias("_ssf_reason"))
    bad = marked["_ssf_reason"].is_not_null()
    untested = (
        marked.filter(bad)
        .with_columns(pl.col("_ssf_reason").alias("reason"))
        .select(UNTESTED_COLUMNS)
        .with_columns(pl.col("n").fill_nan(None).round().cast(pl.Int64, strict=False))
    )
    good = marked.filter(~bad).drop("_ssf_reason", *(["reason"] if "reason" in table else []))
    return SsfTables(data=_ssf_values(good), untested=untested)


def _ssf_values(table: pl.DataFrame) -> pl.DataFrame:
    """The columns of the rows GWAS-SSF can hold, written as the validator reads them."""
    chrom = pl.col("chromosome").replace_strict(SSF_CHROMOSOMES, default=None)
    nlp = pl.col("neg_log_10_p_value")
    exponent = nlp.ceil()
    mantissa = pl.lit(10.0).pow(exponent - nlp)  # p = mantissa * 10^-exponent, in [1, 10)
    tiny = (
        mantissa.round(6).cast(pl.String) + pl.lit("e-") + exponent.cast(pl.Int64).cast(pl.String)
    )
    p_text = (
        pl.when((pl.col("p_value") > 0).fill_null(False))
        .then(pl.col("p_value").cast(pl.String))
        .otherwise(tiny)
    )
    counts = [c for c in ("n", "n_cases", "n_controls") if c in table.columns]
    return table.with_columns(
        chrom.alias("chromosome"),
        p_text.alias("p_value"),
        *(pl.col(c).fill_nan(None).round().cast(pl.Int64, strict=False) for c in counts),
        pl.concat_str(
            [chrom, "base_pair_location", "other_allele", "effect_allele"], separator="_"
        ).alias("variant_id"),
        pl.col("rsid").str.extract(r"(?:^|[;,|])(rs[0-9]+)(?:$|[;,|])", 1).alias("rsid"),
    )


def ssf_metadata(
    metadata: Mapping[str, Any], data_file: Path, name: str, today: _dt.date | None = None
) -> dict[str, Any]:
    """The YAML sidecar's mapping for the GWAS-SSF file written at ``data_file`` and to be
    called ``name``: ``metadata`` with the fields the Catalog's metadata model requires and
    its lists as lists.

    ``date_metadata_last_modified`` is ``today``, else the date of ``SOURCE_DATE_EPOCH`` when
    set (reproducible builds), else today's date (UTC). Sample counts given at the top level
    (``sample_size``, ``case_count``, ``control_count``) move into ``samples``; an unknown
    ``genome_assembly`` is written ``NR`` (not reported).
    """
    meta = dict(metadata)
    if str(meta.get("genome_assembly") or "unknown").lower() == "unknown":
        meta["genome_assembly"] = "NR"  # GWAS-SSF's "not reported"
    for key in _LIST_FIELDS:
        if isinstance(meta.get(key), str):
            meta[key] = [meta[key]]
    counts = {k: meta.pop(k) for k in ("sample_size", "case_count", "control_count") if k in meta}
    counts = {k: int(v) for k, v in counts.items() if v is not None}
    if counts and "samples" not in meta:
        if "case_count" in counts:
            counts["case_control_study"] = True
        meta["samples"] = [counts]
    if today is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        stamp = _dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch.isdigit() else None
        today = (stamp or _dt.datetime.now(_dt.UTC)).date()
    digest = hashlib.md5(usedforsecurity=False)
    with open(data_file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    final = {
        "date_metadata_last_modified": today.isoformat(),
        **{k: v for k, v in meta.items() if k not in ("data_file_name", "data_file_md5sum")},
    }
    final["data_file_name"] = name
    final["data_file_md5sum"] = digest.hexdigest()
    return final
