"""Input helpers shared by the loci, replicate and annotate verbs.

``read_sumstats`` reads a gwaskit Parquet through :func:`gwaskit.io.sumstats.read_sumstats_parquet`
and a GWAS-SSF ``.tsv[.gz]`` through a minimal private reader (tab-separated, GWAS-SSF column
names, YAML sidecar for the build); drop the latter when ``gwaskit.io.sumstats`` gains its
foreign-format readers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from gwaskit.errors import InputError
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.genotypes import check_build
from gwaskit.io.sumstats import conform, read_sumstats_parquet
from gwaskit.io.tables import read_parquet_metadata


def read_sumstats(path: str | Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A SumStats table and its metadata, from ``.parquet`` or GWAS-SSF ``.tsv[.gz]``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    if path.suffix == ".parquet":
        table, meta = read_sumstats_parquet(path)
    elif path.name.endswith((".tsv", ".tsv.gz")):
        table, meta = _read_ssf_tsv(path)
    else:
        raise InputError(path, "expected a gwaskit .parquet or a GWAS-SSF .tsv/.tsv.gz file.")
    if table["neg_log_10_p_value"].null_count() == table.height and table.height:
        p = table["p_value"].cast(pl.Float64).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            table = table.with_columns(pl.Series("neg_log_10_p_value", -np.log10(p)))
    return table.with_columns(normalise_chromosomes(table["chromosome"])), meta


def _read_ssf_tsv(path: Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    try:
        raw = pl.read_csv(
            path,
            separator="\t",
            null_values=["NA", ""],
            infer_schema_length=0,  # all strings; conform() casts
        )
    except pl.exceptions.PolarsError as exc:
        raise InputError(path, f"not a readable tab-separated table ({exc}).") from None
    floats = [
        c
        for c in (
            "beta",
            "standard_error",
            "effect_allele_frequency",
            "p_value",
            "neg_log_10_p_value",
            "n",
        )
        if c in raw.columns
    ]
    ints = [c for c in ("base_pair_location",) if c in raw.columns]
    try:
        raw = raw.with_columns(pl.col(floats).cast(pl.Float64), pl.col(ints).cast(pl.Int64))
    except pl.exceptions.PolarsError as exc:
        raise InputError(path, f"a numeric column holds text ({exc}).") from None
    meta: dict[str, Any] = {}
    sidecar = path.with_name(path.name + "-meta.yaml")
    if sidecar.is_file():
        meta = yaml.safe_load(sidecar.read_text()) or {}
    return conform(raw, source=str(path)), meta


def build_of(meta: dict[str, Any], declared: str | None, source: str) -> str | None:
    """The build declared on the command line, else the file's ``genome_assembly``."""
    from gwaskit.errors import BuildMismatchError

    found = meta.get("genome_assembly")
    found = check_build(str(found)) if found else None
    declared = check_build(declared)
    if declared and found and declared != found:
        raise BuildMismatchError(
            f"{source}: the file says {found} but --build says {declared}; fix one of them."
        )
    return declared or found


def read_loci(path: str | Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A Loci table written by ``gwaskit loci`` (``PREFIX.parquet``), with its metadata."""
    path = Path(path)
    if path.suffix != ".parquet" and path.with_name(path.name + ".parquet").is_file():
        path = path.with_name(path.name + ".parquet")
    if not path.is_file():
        raise InputError(path, "file not found (expected the .parquet written by `gwaskit loci`).")
    table = pl.read_parquet(path)
    missing = [
        c for c in ("locus_id", "chromosome", "base_pair_location") if c not in table.columns
    ]
    if missing:
        raise InputError(path, f"not a Loci table: missing column(s) {', '.join(missing)}.")
    return table, read_parquet_metadata(path)


def read_known(path: str | Path) -> pl.DataFrame:
    """A known-loci table: tab-separated with a header; columns chromosome/chr,
    base_pair_location/pos/bp, rsid/snp (case-insensitive), optionally build."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    table = pl.read_csv(path, separator="\t", infer_schema_length=0, null_values=["NA", ""])
    aliases = {
        "chr": "chromosome", "chrom": "chromosome", "chromosome": "chromosome",
        "pos": "base_pair_location", "bp": "base_pair_location", "position": "base_pair_location",
        "base_pair_location": "base_pair_location",
        "snp": "rsid", "rsid": "rsid", "rs": "rsid", "variant_id": "rsid", "markername": "rsid",
        "build": "build", "genome_assembly": "build",
    }  # fmt: skip
    renamed = {c: aliases[c.lower()] for c in table.columns if c.lower() in aliases}
    table = table.rename(renamed).select(list(dict.fromkeys(renamed.values())))
    if "base_pair_location" in table.columns:
        try:
            table = table.with_columns(pl.col("base_pair_location").cast(pl.Int64))
        except pl.exceptions.PolarsError:
            raise InputError(
                path, "positions must be integers.", column="base_pair_location"
            ) from None
    if not ({"chromosome", "base_pair_location"} <= set(table.columns) or "rsid" in table.columns):
        raise InputError(path, "expected columns chromosome and position, or rsid, in the header.")
    return table
