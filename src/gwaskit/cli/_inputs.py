"""Input helpers shared by the loci, replicate and annotate verbs: the build of an input, the
Loci table and a known-loci table. Summary statistics of any format come from
:func:`gwaskit.io.sumstats.read_sumstats`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import polars as pl

from gwaskit.build.check import metadata_build, normalise_build, resolve_build
from gwaskit.errors import InputError
from gwaskit.io.compression import is_parquet, text_source
from gwaskit.io.duplicates import ALLOW_DUPLICATES
from gwaskit.io.sumstats import read_sumstats
from gwaskit.io.sumstats_checks import check_sumstats, drop_duplicates
from gwaskit.io.tables import read_table
from gwaskit.loci.schema import LOCI_SCHEMA

log = logging.getLogger(__name__)


def read_checked_sumstats(path: str | Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    """:func:`gwaskit.io.sumstats.read_sumstats`, then every value checked
    (:func:`gwaskit.io.sumstats_checks.check_sumstats`): for the verbs that take summary
    statistics as they are (loci, replicate, annotate), an impossible value is an error naming
    the line and column. Duplicate variants are dropped with a counted warning
    (:func:`gwaskit.io.sumstats_checks.drop_duplicates`). (``gwaskit meta`` instead drops such rows with a counted reason code,
    EasyQC-style: :func:`gwaskit.qc.sumstats.qc_sumstats`.)
    """
    table, meta = read_sumstats(path)
    # by content (a Parquet's stored metadata may carry the "format" of the file it came from)
    parquet = is_parquet(path)
    # rows filtered (TEST = ADD, not harmonised, repeated) or a VCF: table rows are not lines
    lines = not parquet and meta.get("format") != "gwas-vcf" and not meta.get("rows_not_read")
    # alleles checked in text files; gwaskit's own Parquet may carry PLINK's "0" allele
    check_sumstats(table, path, first_line=2 if lines else None, alleles=not parquet)
    table, dropped = drop_duplicates(table)
    if dropped.height:
        counts = dropped["reason"].value_counts()
        found = dict(zip(counts["reason"].to_list(), counts["count"].to_list(), strict=True))
        log.warning(
            "%s: %d rows dropped as exact copies of another row (duplicate_identical; one copy "
            "kept) and %d rows of variants given more than once with different values "
            "(duplicate; all copies dropped)",
            path,
            found.get("duplicate_identical", 0),
            found.get("duplicate", 0),
        )
    return table, meta


def build_of(meta: dict[str, Any], declared: str | None, source: str) -> str | None:
    """The build declared on the command line, else the file's ``genome_assembly``."""
    return resolve_build(
        normalise_build(declared),
        metadata_build(meta.get("genome_assembly"), str(source)),
        str(source),
        message="{source}: the file says {found} but --build says {declared}; fix one of them.",
    )


def read_loci(path: str | Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A Loci table written by ``gwaskit loci``, from its ``.parquet`` or its ``.tsv.gz`` (told
    apart by content; a bare ``PREFIX`` finds either), with its metadata."""
    table, metadata = read_table(path, schema=LOCI_SCHEMA, what="the Loci table of `gwaskit loci`")
    missing = [
        c for c in ("locus_id", "chromosome", "base_pair_location") if c not in table.columns
    ]
    if missing:
        raise InputError(_found(path), f"not a Loci table: missing column(s) {', '.join(missing)}.")
    return table, metadata


def _found(path: str | Path) -> Path:
    """``path``, or the ``PREFIX.parquet``/``PREFIX.tsv.gz`` that a bare prefix names."""
    path = Path(path)
    for candidate in (path, path.with_name(path.name + ".parquet")):
        if candidate.is_file():
            return candidate
    return path.with_name(path.name + ".tsv.gz")


def read_known(path: str | Path) -> pl.DataFrame:
    """A known-loci table: tab-separated with a header; columns chromosome/chr,
    base_pair_location/pos/bp, rsid/snp (case-insensitive), optionally build."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found.")
    if is_parquet(path):  # e.g. the Loci table of an earlier `gwaskit loci`
        table, _ = read_table(path, what="a known-loci table")
        table = table.select(pl.all().cast(pl.String))
    else:
        table = _read_known_text(path)
    return _known_columns(path, table)


def _read_known_text(path: Path) -> pl.DataFrame:
    try:
        return pl.read_csv(
            text_source(path, "a known-loci table"),
            separator="\t",
            infer_schema_length=0,
            null_values=["NA", ""],
        )
    except (pl.exceptions.PolarsError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "empty"
        raise InputError(path, f"not a readable tab-separated table ({reason}).") from None


def _known_columns(path: Path, table: pl.DataFrame) -> pl.DataFrame:
    aliases = {
        "chr": "chromosome", "chrom": "chromosome", "chromosome": "chromosome",
        "pos": "base_pair_location", "bp": "base_pair_location", "position": "base_pair_location",
        "base_pair_location": "base_pair_location",
        "snp": "rsid", "rsid": "rsid", "rs": "rsid", "variant_id": "rsid", "markername": "rsid",
        "build": "build", "genome_assembly": "build",
    }  # fmt: skip
    lower = {c.lower(): c for c in table.columns}
    if "rsid" in lower and "variant_id" in lower:  # a Loci table: its rsid names the variant
        table = table.drop(lower["variant_id"])
    renamed = {c: aliases[c.lower()] for c in table.columns if c.lower() in aliases}
    for target in set(renamed.values()):
        sources = [c for c, t in renamed.items() if t == target]
        if len(sources) > 1:
            raise InputError(
                path, f"columns {', '.join(map(repr, sources))} all mean {target}; keep one."
            )
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


def check_distinct_rows(
    fingerprints: dict[str, str],
    files: dict[str, Path],
    read: Any,
    *,
    allow: bool,
    option: str = ALLOW_DUPLICATES,
) -> None:
    """Refuse two studies whose tables hold the same rows (same variants, same estimates
    within a text export's precision) under different file names or formats, unless
    ``allow``. ``fingerprints`` are :func:`gwaskit.meta.duplicates.rows_fingerprint` of each
    study's table; only studies with equal fingerprints are read again (``read(path)`` returns
    the table) and compared row by row."""
    from gwaskit.meta.duplicates import same_rows

    if allow:
        return
    first: dict[str, str] = {}
    for name, digest in fingerprints.items():
        earlier = first.setdefault(digest, name)
        if earlier == name or not same_rows(read(files[earlier]), read(files[name])):
            continue
        raise InputError(
            files[name],
            f"study {name!r} holds the same rows as study {earlier!r} ({files[earlier]}): the "
            f"same variants with the same estimates; a study counted twice looks twice as "
            f"precise as it is. Give it once, or add {option} if these really are two studies.",
        )
