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

from gwaskit.errors import InputError, ParameterError
from gwaskit.io.chromosomes import normalise_chromosomes
from gwaskit.io.genotypes import check_build
from gwaskit.io.sumstats import conform, read_sumstats_parquet
from gwaskit.io.sumstats_checks import check_sumstats
from gwaskit.io.tables import read_parquet_metadata
from gwaskit.stats import neg_log10_p_from_z


def read_sumstats(path: str | Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A SumStats table and its metadata, from ``.parquet`` or GWAS-SSF ``.tsv[.gz]``.

    Every value is checked (:func:`gwaskit.io.sumstats_checks.check_sumstats`): an impossible
    one is an :class:`InputError` naming the line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    if path.suffix == ".parquet":
        table, meta = read_sumstats_parquet(path)
        first_line = None
    elif path.name.endswith((".tsv", ".tsv.gz")):
        table, meta = _read_ssf_tsv(path)
        first_line = 2
    else:
        raise InputError(path, "expected a gwaskit .parquet or a GWAS-SSF .tsv/.tsv.gz file.")
    # alleles checked in text files; gwaskit's own Parquet may carry PLINK's "0" allele
    check_sumstats(table, path, first_line=first_line, alleles=first_line is not None)
    if table["neg_log_10_p_value"].null_count() == table.height:
        table = table.with_columns(pl.Series("neg_log_10_p_value", _neg_log10_p(table)))
    return table.with_columns(normalise_chromosomes(table["chromosome"])), meta


def _neg_log10_p(table: pl.DataFrame) -> np.ndarray:
    """-log10 p from ``p_value``; where p underflowed to 0, from z = beta / SE (in log space)."""
    p = table["p_value"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -np.log10(p)
        z = (table["beta"] / table["standard_error"]).fill_null(np.nan).to_numpy()
    zero = p == 0
    out[zero] = neg_log10_p_from_z(z[zero])  # NaN when there is no z: unknown, not infinite
    return out


def _read_ssf_tsv(path: Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    try:
        raw = pl.read_csv(
            path,
            separator="\t",
            null_values=["NA", ""],
            infer_schema_length=0,  # all strings; conform() casts
        )
    except (pl.exceptions.PolarsError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(path, f"not a readable tab-separated table ({reason}).") from None
    _check_field_counts(path, len(raw.columns))
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
    for name in [*floats, *ints]:
        text = raw[name].str.strip_chars()
        cast = text.cast(pl.Float64, strict=False)
        bad = text.is_not_null() & (
            cast.is_null() | ((cast != cast.round(0)) if name in ints else False)
        )
        if bad.any():
            row = int(bad.arg_true()[0])
            kind = "a whole number" if name in ints else "a number"
            raise InputError(
                path, f"expected {kind}, found {text[row]!r}.", line=row + 2, column=name
            )
    raw = raw.with_columns(
        pl.col(floats).str.strip_chars().cast(pl.Float64),
        pl.col(ints).str.strip_chars().cast(pl.Float64).cast(pl.Int64),
    )
    raw = raw.with_columns(
        pl.col(c).str.to_uppercase() for c in ("effect_allele", "other_allele") if c in raw.columns
    )
    meta: dict[str, Any] = {}
    sidecar = path.with_name(path.name + "-meta.yaml")
    if sidecar.is_file():
        try:
            meta = yaml.safe_load(sidecar.read_text()) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            reason = str(exc).strip().splitlines()[0]
            raise InputError(sidecar, f"is not valid YAML ({reason}).") from None
        if not isinstance(meta, dict):
            raise InputError(sidecar, "expected a YAML mapping (genome_assembly: GRCh38, ...).")
    return conform(raw, source=str(path)), meta


def _check_field_counts(path: Path, n_columns: int) -> None:
    """Every line has as many tab-separated fields as the header (polars pads short lines)."""
    lines = pl.read_csv(
        path,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        new_columns=["line"],
        schema_overrides={"line": pl.String},
    )["line"]
    counts = lines.fill_null("").str.count_matches("\t") + 1
    bad = counts != n_columns
    if bad.any():
        row = int(bad.arg_true()[0])
        raise InputError(
            path,
            f"expected {n_columns} tab-separated fields (as in the header), found {counts[row]}.",
            line=row + 1,
        )


def build_of(meta: dict[str, Any], declared: str | None, source: str) -> str | None:
    """The build declared on the command line, else the file's ``genome_assembly``."""
    from gwaskit.errors import BuildMismatchError

    found = meta.get("genome_assembly")
    try:
        found = check_build(str(found)) if found else None
    except ParameterError:
        raise InputError(
            source,
            f"genome_assembly (its metadata) must be one of GRCh37, GRCh38 (or hg19, hg38), "
            f"got {found!r}.",
        ) from None
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
    try:
        table, metadata = pl.read_parquet(path), read_parquet_metadata(path)
    except Exception as exc:  # polars and pyarrow raise several types for a damaged file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(path, f"not a readable Parquet file ({reason}).") from None
    missing = [
        c for c in ("locus_id", "chromosome", "base_pair_location") if c not in table.columns
    ]
    if missing:
        raise InputError(path, f"not a Loci table: missing column(s) {', '.join(missing)}.")
    return table, metadata


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
