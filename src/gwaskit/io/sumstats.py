"""The SumStats and MetaStats tables: GWAS-SSF column names and types, reading and writing.

A SumStats table is a polars DataFrame whose columns follow the GWAS Catalog summary-statistics
standard (GWAS-SSF). ``beta`` is per copy of ``effect_allele`` (a log odds ratio for binary
traits); ``neg_log_10_p_value`` is computed in log space and is the truth (``p_value`` may
underflow to 0). Optional columns are present when known.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from gwaskit.errors import InputError
from gwaskit.io.compression import is_parquet
from gwaskit.io.tables import read_parquet_metadata, write_table

#: Mandatory SumStats columns, in GWAS-SSF order.
SUMSTATS_SCHEMA: dict[str, pl.DataType] = {
    "chromosome": pl.String(),
    "base_pair_location": pl.Int64(),
    "effect_allele": pl.String(),
    "other_allele": pl.String(),
    "beta": pl.Float64(),
    "standard_error": pl.Float64(),
    "effect_allele_frequency": pl.Float64(),
    "p_value": pl.Float64(),
    "neg_log_10_p_value": pl.Float64(),
    "n": pl.Float64(),
    "variant_id": pl.String(),
    "rsid": pl.String(),
}
#: Optional SumStats columns, written when known.
SUMSTATS_OPTIONAL: dict[str, pl.DataType] = {
    "n_cases": pl.Float64(),
    "n_controls": pl.Float64(),
    "info": pl.Float64(),
    "hwe_p": pl.Float64(),  # Hardy-Weinberg exact p, where a study reports one
    "odds_ratio": pl.Float64(),
    "ci_lower": pl.Float64(),
    "ci_upper": pl.Float64(),
    "z": pl.Float64(),
    "method": pl.String(),  # e.g. "linear", "logistic", "firth", "score-spa"
    "reason": pl.String(),  # why a variant has no estimate (null when it has one)
}
#: Columns MetaStats adds to the SumStats columns of the combined (fixed-effect) estimate.
METASTATS_EXTRA: dict[str, pl.DataType] = {
    "n_studies": pl.Int32(),
    "direction": pl.String(),  # one of + - ? per study, in plan order
    "het_q": pl.Float64(),
    "het_neg_log_10_p": pl.Float64(),
    "i2": pl.Float64(),
    "tau2": pl.Float64(),
    "beta_random": pl.Float64(),
    "standard_error_random": pl.Float64(),
    "neg_log_10_p_value_random": pl.Float64(),
    "het_df": pl.Int32(),  # degrees of freedom of het_q (studies - 1)
    "n_effective": pl.Float64(),  # summed N, effective N 4/(1/cases+1/controls) for case/control
    "effect_allele_frequency_min": pl.Float64(),
    "effect_allele_frequency_max": pl.Float64(),
}


def conform(table: pl.DataFrame, *, source: str = "table") -> pl.DataFrame:
    """Order and type a table as SumStats: mandatory columns first, known optional ones after,
    anything else kept at the end. Missing mandatory columns are added as nulls, except the
    identity and effect columns, whose absence is an error.
    """
    required = ("chromosome", "base_pair_location", "effect_allele", "other_allele")
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(
            source, f"missing column(s) {', '.join(missing)} required in summary statistics."
        )
    known = {**SUMSTATS_SCHEMA, **SUMSTATS_OPTIONAL, **METASTATS_EXTRA}
    columns = []
    for name, dtype in SUMSTATS_SCHEMA.items():
        columns.append(
            pl.col(name).cast(dtype) if name in table.columns else pl.lit(None, dtype).alias(name)
        )
    for name in table.columns:
        if name not in SUMSTATS_SCHEMA:
            columns.append(pl.col(name).cast(known[name]) if name in known else pl.col(name))
    return table.select(columns)


def write_sumstats(
    table: pl.DataFrame,
    prefix: str | Path,
    *,
    metadata: Mapping[str, Any] | None = None,
    compresslevel: int = 6,
    tsv: bool = True,
) -> list[Path]:
    """Write ``PREFIX.parquet`` (every row), ``PREFIX.tsv.gz`` (the GWAS-SSF file the GWAS
    Catalog accepts), its YAML sidecar and ``PREFIX.untested.tsv.gz`` (the rows GWAS-SSF cannot
    hold, with their reason code; see :mod:`gwaskit.io.ssf`); with ``tsv=False``, the Parquet
    only, its footer carrying the metadata.

    ``metadata`` should carry at least ``genome_assembly``; gwaskit adds ``file_type`` and
    ``is_harmonised`` defaults when absent.
    """
    meta = {"file_type": "GWAS-SSF v1.0", "is_harmonised": False, **dict(metadata or {})}
    return write_table(
        conform(table, source=str(prefix)),
        prefix,
        metadata=meta,
        compresslevel=compresslevel,
        tsv=tsv,
        ssf=True,
    )


def read_sumstats_parquet(path: str | Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Read a SumStats/MetaStats Parquet written by gwaskit, with its metadata."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    try:
        table, metadata = pl.read_parquet(path), read_parquet_metadata(path)
    except Exception as exc:  # polars and pyarrow raise several types for a damaged file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(path, f"not a readable Parquet file ({reason}).") from None
    return conform(table, source=str(path)), metadata


def read_sumstats(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    n: float | None = None,
    build: str | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Read summary statistics of any supported format into a SumStats table.

    A Parquet file written by gwaskit (told by its content, not its name) is read as is; any
    text table, plain or compressed (gzip, bgzip, zstd), (GWAS-SSF, PLINK 2
    ``.glm.*``, REGENIE, SAIGE, METAL/GWAMA inputs, or a table with ``columns`` mapping its
    header to SumStats names) through :func:`gwaskit.io.sumstats_reader.read_sumstats_file`.
    Returns ``(table, metadata)``; ``metadata["genome_assembly"]`` is the declared build (the
    ``build`` argument, else the file's metadata), else the build its positions show
    (``metadata["build_detected"]``, :func:`gwaskit.build.check.detect_build`), else ``None``.
    A declared build that contradicts the file's metadata or its positions raises
    :class:`gwaskit.errors.BuildMismatchError` (:func:`gwaskit.build.check.resolve_build`).
    """
    from gwaskit.io.sumstats_formats import checked_build

    path = Path(path)
    if is_parquet(path):  # by content: a Parquet file whatever its name
        table, meta = read_sumstats_parquet(path)
        meta = {"format": "parquet", "source": path.name, **meta}
        meta["genome_assembly"] = checked_build(build, meta.get("genome_assembly"), path)
    else:
        from gwaskit.io.sumstats_reader import read_sumstats_file

        table, meta = read_sumstats_file(path, columns=columns, n=n, build=build)
        table = conform(table, source=str(path))
    return table, _with_detected_build(table, meta, path)


def _with_detected_build(table: pl.DataFrame, meta: dict[str, Any], path: Path) -> dict[str, Any]:
    """Record the build the positions show; it must agree with the declared one."""
    from gwaskit.build.check import detect_build, resolve_build

    detected = detect_build(table)
    meta["build_detected"] = detected
    meta["genome_assembly"] = resolve_build(
        meta.get("genome_assembly"),
        detected,
        str(path),
        message="{source}: positions are on genome build {found} (HapMap3 SNPs or chromosome "
        "ends) but the file is declared {declared}; lift it over (`gwaskit liftover`) or "
        "declare the right build.",
    )
    return meta


def declared_build(path: str | Path) -> str | None:
    """The genome build a summary-statistics file declares about itself, without reading its
    rows: the ``genome_assembly`` of a gwaskit Parquet's footer or of a GWAS-SSF YAML sidecar
    (``FILE-meta.yaml``); ``None`` when it says nothing."""
    from gwaskit.build.check import metadata_build
    from gwaskit.io.sumstats_reader import _sidecar

    path = Path(path)
    if path.suffix == ".parquet":
        try:
            found = read_parquet_metadata(path).get("genome_assembly")
        except Exception:  # a damaged file is reported when it is read
            return None
        try:
            return metadata_build(found, str(path))
        except InputError:
            return None
    return _sidecar(path).get("genome_assembly")
