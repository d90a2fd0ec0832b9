"""One study made ready for a meta-analysis: read, checked, encoded (:func:`prepare_study`).

Shared by ``gwaskit meta`` and the pipeline's meta stage. A study is read
(:func:`gwaskit.io.sumstats.read_sumstats`), checked (:func:`gwaskit.qc.sumstats.qc_sumstats`:
rows dropped with a reason; the whole-study statistics lambda GC, SE-N scale, P-Z consistency,
allele-frequency correlation and detected build), its declared build compared with the detected
one, and its kept rows held in one of three forms (:data:`FORMS`):

``"encoded"``
    :class:`gwaskit.meta.harmonise.EncodedStudy` in memory (integer codes, the needed columns,
    split by chromosome).
``"spilled"``
    the same encoding, each chromosome written to its own small Parquet file in a scratch
    folder and read back only when that chromosome is harmonised (:class:`PartFiles`), so that
    a meta-analysis holds one chromosome of every study at a time, whatever the genome size.
    Harmonising spilled studies gives exactly what harmonising them in memory gives (same
    algorithm, same rows).
``"table"``
    the QC'd SumStats table itself (studies without positions, matched by variant id).

Studies with rows lacking a chromosome or position cannot be encoded; they are always held as
``"table"`` (:attr:`PreparedStudy.data` is then a DataFrame).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from gwaskit.build.liftover import Liftover, lift_sumstats_to
from gwaskit.errors import InputError
from gwaskit.io.alleles import indel_candidates
from gwaskit.io.sumstats import read_sumstats
from gwaskit.ldsc.estimate import intercept_correction
from gwaskit.ldsc.scores import LdScores
from gwaskit.meta.analyse import study_lambdas
from gwaskit.meta.chrx import harmonise_x_scale
from gwaskit.meta.duplicates import rows_fingerprint
from gwaskit.meta.harmonise import VALUE_COLUMNS, EncodedStudy, encode_study
from gwaskit.qc.inflation import LAMBDA_WARN, inflation_warning
from gwaskit.qc.sumstats import QcFilters, qc_sumstats

log = logging.getLogger(__name__)

FORMS = ("encoded", "spilled", "table")
#: Columns kept from each study for harmonisation and combination.
KEEP_COLUMNS = (
    "chromosome",
    "base_pair_location",
    "variant_id",
    "rsid",
    "effect_allele",
    "other_allele",
    "beta",
    "standard_error",
    "effect_allele_frequency",
    "neg_log_10_p_value",
    "n",
    "n_cases",
    "n_controls",
)
#: Columns of :attr:`PreparedStudy.dropped` (after ``study``).
_DROPPED_COLUMNS = (
    "chromosome",
    "base_pair_location",
    "variant_id",
    "effect_allele",
    "other_allele",
    "reason",
)


class PartFiles(Mapping[str, pl.DataFrame]):
    """``{chromosome: rows}`` of an encoded study, each chromosome read from its own Parquet
    file when asked for (nothing held in memory). Picklable: a Dask worker that reaches the
    files reads them itself."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = dict(files)

    def __getitem__(self, chromosome: str) -> pl.DataFrame:
        return pl.read_parquet(self.files[chromosome])

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        return f"PartFiles({len(self.files)} chromosomes)"


def spill(encoded: EncodedStudy, folder: Path) -> EncodedStudy:
    """The encoded study with each chromosome's rows written to ``folder/N.parquet`` (the
    folder its own) and read back on demand (see :class:`PartFiles`)."""
    files = {}
    for i, (chromosome, part) in enumerate(encoded.parts.items()):
        path = Path(folder) / f"{i}.parquet"
        part.write_parquet(path, compression="lz4", statistics=False)
        files[chromosome] = path
    # every other field (alleles, counts, the palindromic mode...) as in memory
    return replace(encoded, parts=PartFiles(files))  # type: ignore[arg-type]


@dataclass(frozen=True)
class PreparedStudy:
    """A study read, checked and held for a meta-analysis (see :func:`prepare_study`).

    Attributes
    ----------
    name, path
        The study's name and file.
    format
        The file's format, as :func:`gwaskit.io.sumstats.read_sumstats` recognised it.
    metadata
        The file's metadata as :func:`gwaskit.io.sumstats.read_sumstats` returned it.
    build
        Genome build, declared or else detected (``None``: neither).
    summary
        The study's row of the ``PREFIX.studies`` table: file, format, build, QC counts per
        reason and QC statistics (``qc_*``).
    dropped
        Rows dropped by QC: ``study`` and :data:`_DROPPED_COLUMNS`.
    data
        The kept rows, in the form asked for: an :class:`EncodedStudy` (in memory or spilled
        to Parquet) or the QC'd SumStats table.
    lambda_gc
        The genomic-control factor to apply (with ``gc``; else ``None``).
    fingerprint
        Fingerprint of the rows read (:func:`gwaskit.meta.duplicates.rows_fingerprint`), to
        find a study given twice.
    unlifted
        With a liftover: the rows it could not place, as dropped rows (reason
        ``liftover_<reason>``); else ``None``.
    qc_stats
        The whole-study QC statistics (:attr:`gwaskit.qc.sumstats.SumstatsQc.summary`), for the
        study-level warnings and strand checks across studies.
    indels
        The study's indels (:func:`gwaskit.io.alleles.indel_candidates`), to resolve another
        study's I/D codings against.
    """

    name: str
    path: Path
    format: str
    metadata: dict[str, Any]
    build: str | None
    summary: dict[str, Any]
    dropped: pl.DataFrame
    data: EncodedStudy | pl.DataFrame
    lambda_gc: float | None
    fingerprint: Any
    unlifted: pl.DataFrame | None = None
    qc_stats: dict[str, Any] | None = None
    indels: pl.DataFrame | None = None


def prepare_study(
    name: str,
    path: str | Path,
    *,
    method: str = "fixed",
    build: str | None = None,
    n: float | None = None,
    population: str | None = "eur",
    palindromic: str = "frequency",
    maf_threshold: float = 0.4,
    gc: str | None = None,
    gc_ld: tuple[LdScores, pl.DataFrame] | None = None,
    liftover: Liftover | None = None,
    filters: QcFilters | None = None,
    reference: pl.DataFrame | None = None,
    x_coding: str | None = None,
    indels: pl.DataFrame | None = None,
    form: str = "encoded",
    columns: tuple[str, ...] | None = KEEP_COLUMNS,
    scratch: Path | None = None,
    lambda_warn: float = LAMBDA_WARN,
) -> PreparedStudy:
    """Read one study, check it and hold its kept rows for a meta-analysis.

    Parameters
    ----------
    name, path
        The study's name and summary-statistics file (any format
        :func:`gwaskit.io.sumstats.read_sumstats` reads).
    method
        ``"fixed"``, ``"random"`` (rows need beta and SE) or ``"samplesize"`` (rows need N).
    build
        Genome build of the file when it does not say.
    n
        Sample size of a study whose file has no N column.
    population
        1000 Genomes super-population of the allele-frequency check (``None``: skip).
    palindromic, maf_threshold
        As :func:`gwaskit.meta.harmonise.harmonise`; used when encoding.
    gc
        ``"lambda"``: the study's lambda GC is computed here (on the whole study) for genomic
        control; ``"ldsc"``: its LD score regression intercept (at least 1), with ``gc_ld``
        (reference LD scores, regression-weight LD scores); ``None``: no genomic control.
    liftover
        Lift the study to this liftover's target build first
        (:func:`gwaskit.build.liftover.prepare_liftover`); rows not placed are
        :attr:`PreparedStudy.unlifted`.
    filters, reference
        Per-variant QC filters and a user's allele-frequency reference
        (:func:`gwaskit.qc.sumstats.qc_sumstats`).
    x_coding
        How the study coded male chrX dosages (``"0/1"`` or ``"0/2"``; ``None``: from its
        metadata or detected): put on the 0/2 scale (:func:`gwaskit.meta.chrx.harmonise_x_scale`).
    indels
        Other studies' indels, to resolve this study's I/D codings against.
    form
        One of :data:`FORMS` (see the module). ``"spilled"`` needs ``scratch``, a folder.
    columns
        The columns of the QC'd table kept in the ``"table"`` form (``None``: all).
    lambda_warn
        Warn (log) when the study's lambda GC is above this.

    Raises
    ------
    InputError
        No row of the file passes QC.
    BuildMismatchError
        The declared build is not the one HapMap3 positions say (checked on reading).
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    path = Path(path)
    table, meta = read_sumstats(path, build=build, n=n)
    fingerprint = rows_fingerprint(table)
    table, meta, unlifted = lift_sumstats_to(table, meta, liftover, source=str(path))
    declared = meta.get("genome_assembly")
    qc = qc_sumstats(
        table,
        require_beta=method != "samplesize",
        require_n=method == "samplesize",
        population=population,
        build=declared,
        filters=filters,
        reference=reference,
        indels=indels,
    )
    del table
    if qc.table.height == 0:
        reasons = ", ".join(f"{r}: {c}" for r, c in qc.counts.items() if c)
        hint = " Give its sample size with --study-n NAME=N." if qc.counts.get("n_missing") else ""
        raise InputError(path, f"no variant passed QC ({reasons}).{hint}")
    detected = qc.summary.get("build_detected")
    log.info(
        "%s: %d variants read, %d kept after QC, lambda GC %.3f",
        name,
        qc.summary["variants_read"],
        qc.summary["variants_kept"],
        qc.summary["lambda_gc"],
    )
    filtered = {r: c for r, c in qc.counts.items() if c}
    if filtered:
        log.info(
            "%s: %d rows dropped by QC (%s)",
            name,
            sum(filtered.values()),
            ", ".join(f"{r}: {c}" for r, c in filtered.items()),
        )
    message = inflation_warning(f"study {name}", qc.summary["lambda_gc"], lambda_warn)
    if message:
        log.warning("%s", message)
    kept, x_record = harmonise_x_scale(
        qc.table.select(_present(KEEP_COLUMNS, qc.table)),
        build=declared or detected,
        declared=x_coding,
        metadata=meta,
        name=name,
    )
    lam = None
    if gc == "ldsc":
        if gc_ld is None:
            raise ValueError("gc='ldsc' needs gc_ld (reference and weight LD scores)")
        ldsc = intercept_correction(kept, *gc_ld, name=name)
        lam = max(ldsc.intercept, 1.0)
        log.info(
            "%s: LD score regression intercept %.3f (SE %.3f), lambda GC %.3f: chi² divided "
            "by %.3f",
            name, ldsc.intercept, ldsc.intercept_se, ldsc.lambda_gc, lam,
        )  # fmt: skip
    data: EncodedStudy | pl.DataFrame
    if form != "table" and kept["chromosome"].null_count() == 0:
        if gc == "lambda":
            lam = study_lambdas({name: kept}, method=method)[name]
        needed = [v for v in VALUE_COLUMNS if method == "samplesize" or v != "neg_log_10_p_value"]
        data = encode_study(
            name, kept, palindromic=palindromic, maf_threshold=maf_threshold, values=needed
        )
        if form == "spilled":
            if scratch is None:
                raise ValueError("form='spilled' needs a scratch folder")
            data = spill(data, Path(tempfile.mkdtemp(prefix="study", dir=scratch)))
    else:
        data = kept if columns == KEEP_COLUMNS else qc.table.select(_present(columns, qc.table))
    build_used = declared or detected
    summary = {
        "study": name,
        "file": path.name,
        "format": meta["format"],
        "build": build_used,
        "liftover_unmapped": 0 if unlifted is None else unlifted.height,
        **qc.counts,
        **{f"qc_{k}": v for k, v in qc.summary.items()},
        **x_record,
    }
    dropped = qc.dropped.select(pl.lit(name).alias("study"), *_DROPPED_COLUMNS)
    return PreparedStudy(
        name=name,
        path=path,
        format=meta["format"],
        metadata=meta,
        build=build_used,
        summary=summary,
        dropped=dropped,
        data=data,
        lambda_gc=lam,
        fingerprint=fingerprint,
        unlifted=None if unlifted is None else _unlifted_rows(name, unlifted),
        qc_stats=dict(qc.summary),
        indels=indel_candidates(
            qc.table["chromosome"],
            qc.table["base_pair_location"],
            qc.table["effect_allele"],
            qc.table["other_allele"],
        ),
    )


def _unlifted_rows(name: str, unmapped: pl.DataFrame) -> pl.DataFrame:
    """Rows a liftover could not place, as dropped rows (reason ``liftover_<reason>``)."""
    columns = ("chromosome", "base_pair_location", "variant_id", "effect_allele", "other_allele")
    return unmapped.select(
        pl.lit(name).alias("study"),
        *[pl.col(c) if c in unmapped.columns else pl.lit(None).alias(c) for c in columns],
        ("liftover_" + pl.col("reason")).alias("reason"),
    )


def _present(columns: tuple[str, ...] | None, table: pl.DataFrame) -> list[str]:
    return list(table.columns) if columns is None else [c for c in columns if c in table.columns]
