"""Meta-analysis of whole studies, one chromosome at a time.

:func:`meta_analyse_studies` takes each study as a polars DataFrame, an
:class:`gwaskit.meta.harmonise.EncodedStudy`, or a LazyFrame (e.g. ``pl.scan_parquet`` of a
QC'd study). In-memory studies matched on positions are encoded once (integer keys, see
:func:`gwaskit.meta.harmonise.encode_study`) and harmonised chromosome by chromosome; LazyFrames
are collected one chromosome at a time, so that only one chromosome of every study is in memory
at once. Genomic-control lambdas are computed on each whole study first, then every chromosome
is harmonised and combined.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from gwaskit.engine import Engine, LocalEngine
from gwaskit.errors import ParameterError
from gwaskit.io.chromosomes import chromosome_order
from gwaskit.meta.combine import MetaResult, gc_lambda, meta_analyse, signed_z
from gwaskit.meta.harmonise import (
    VALUE_COLUMNS,
    EncodedStudy,
    encode_study,
    harmonise,
    harmonise_encoded,
)
from gwaskit.meta.strand import decide_modes, decide_strand
from gwaskit.stats import neg_log10_p_from_z

_NEEDED = (
    "chromosome",
    "base_pair_location",
    "variant_id",
    "rsid",
    "effect_allele",
    "other_allele",
    *VALUE_COLUMNS,
)


def _lazy(table: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    lf = table.lazy() if isinstance(table, pl.DataFrame) else table
    names = lf.collect_schema().names()
    return lf.select(
        [
            pl.col(c)
            if c in names
            else pl.lit(None, pl.String if c in _NEEDED[:6] else pl.Float64).alias(c)
            for c in _NEEDED
        ]
    )


def study_lambdas(
    studies: Mapping[str, pl.DataFrame | pl.LazyFrame], *, method: str, metal_median: bool = False
) -> dict[str, float]:
    """Genomic-control lambda of each whole study: from beta/se for inverse-variance methods,
    from the p-values for sample-size weighting."""
    out = {}
    for name, table in studies.items():
        lf = _lazy(table)
        if method == "samplesize":
            cols = lf.select("beta", "neg_log_10_p_value").collect()
            beta = cols["beta"].fill_null(1.0).to_numpy()
            chi2 = signed_z(beta, cols["neg_log_10_p_value"].to_numpy().astype(np.float64)) ** 2
        else:
            chi2 = (
                lf.select((pl.col("beta") / pl.col("standard_error")) ** 2)
                .collect()
                .to_series()
                .to_numpy()
            )
        out[name] = gc_lambda(chi2, metal=metal_median)
    return out


def _meta_encoded(
    encoded: list[EncodedStudy],
    *,
    method: str,
    gc: bool,
    lambdas: dict[str, float] | None,
    palindromic: str,
    random_method: str,
    hksj: bool,
    engine: Engine,
    strand: pl.DataFrame | None = None,
) -> MetaResult:
    """Harmonise and combine encoded studies chromosome by chromosome (bounded dense arrays)."""
    chromosomes = sorted(
        {c for e in encoded for c in e.parts}, key=lambda c: (chromosome_order(c), c)
    )

    def one_part(chrom: str) -> MetaResult:
        h = harmonise_encoded(encoded, palindromic=palindromic, chromosomes=[chrom])
        return meta_analyse(
            h, method=method, random_method=random_method, hksj=hksj, gc=gc, study_lambdas=lambdas
        )

    results = engine.map(one_part, chromosomes, description="meta-analysing chromosomes")
    table = pl.concat([r.table for r in results], how="vertical_relaxed")
    summed = (
        pl.concat([r.studies for r in results])
        .group_by("study", maintain_order=True)
        .agg(
            pl.col("palindromic_flipped", "variants_in_meta", "strand_flipped").sum(),
            pl.col("lambda_gc_applied").first(),
        )
    )
    # counts known only once studies are aligned are summed over the chromosomes
    whole = pl.DataFrame([e.counts for e in encoded])
    per_study = whole.join(summed, on="study", how="left", maintain_order="left")
    order = whole.columns
    order.insert(order.index("allele_swapped") + 1, "strand_flipped")
    per_study = per_study.select(
        *order, "palindromic_flipped", "variants_in_meta", "lambda_gc_applied"
    )
    if strand is not None:
        per_study = per_study.join(strand, on="study", how="left", maintain_order="left")
    dropped = pl.concat([e.dropped for e in encoded], how="vertical_relaxed")
    return MetaResult(table=table, studies=per_study, dropped=dropped)


def meta_analyse_studies(
    studies: Mapping[str, pl.DataFrame | pl.LazyFrame | EncodedStudy],
    *,
    method: str = "fixed",
    gc: bool = False,
    gc_result: bool = False,
    palindromic: str = "frequency",
    maf_threshold: float = 0.4,
    match_on: str = "auto",
    random_method: str = "dl",
    hksj: bool = False,
    engine: Engine | None = None,
    lambdas: dict[str, float] | None = None,
    strand_checks: Mapping[str, tuple[int, int]] | None = None,
) -> MetaResult:
    """Harmonise and combine whole studies chromosome by chromosome.

    Parameters are those of :func:`gwaskit.meta.harmonise.harmonise` and
    :func:`gwaskit.meta.combine.meta_analyse`. With ``gc_result``, lambda of the result is
    computed over all chromosomes and applied at the end. ``engine`` runs the chromosomes
    (default: in this thread, one at a time; a LocalEngine with 2 threads holds two
    chromosomes of every study in memory at once). ``lambdas``: per-study genomic-control
    lambdas already computed on the whole studies (with ``gc``; e.g. when the studies are
    passed encoded, which no longer hold what lambda needs). ``strand_checks``: under
    ``palindromic="auto"``, ``{study: (non-palindromic SNPs compared with the reference, strand
    flips)}`` from QC (see :mod:`gwaskit.meta.strand`); the studies table then has the columns
    ``strand_check``, ``strand_checked``, ``strand_flips`` and ``palindromic_mode``.

    Returns
    -------
    MetaResult
        The MetaStats table sorted by chromosome and position, and one row per study with the
        harmonisation counts (summed over chromosomes) and the lambda applied.
    """
    engine = engine or LocalEngine(1, progress=False)
    encoded_in = all(isinstance(t, EncodedStudy) for t in studies.values())
    in_memory = all(isinstance(t, pl.DataFrame) for t in studies.values())
    if encoded_in or (in_memory and match_on in ("auto", "position")):
        if encoded_in:
            if gc and lambdas is None:
                raise ParameterError(
                    "meta_analyse_studies: genomic control of encoded studies needs their "
                    "lambdas (compute them with study_lambdas before encoding)."
                )
            encoded = list(studies.values())
        else:
            tables = {name: _lazy(t).collect() for name, t in studies.items()}
            has_chrom = all(t["chromosome"].null_count() == 0 for t in tables.values())
            if match_on == "position" or has_chrom:
                if gc and lambdas is None:
                    lambdas = study_lambdas(tables, method=method)
                encoded = [
                    encode_study(n, t, palindromic=palindromic, maf_threshold=maf_threshold)
                    for n, t in tables.items()
                ]
            else:
                encoded = []
        strand = None
        if encoded and palindromic == "auto":
            encoded, strand = decide_strand(
                encoded, reference_checks=strand_checks, maf_threshold=maf_threshold
            )
        if encoded:
            result = _meta_encoded(
                encoded,
                method=method,
                gc=gc,
                lambdas=lambdas if gc else None,
                palindromic=palindromic,
                random_method=random_method,
                hksj=hksj,
                engine=engine,
                strand=strand,
            )
            return _gc_result(result) if gc_result else result
    lazies = {name: _lazy(t) for name, t in studies.items()}
    if gc and lambdas is None:
        lambdas = study_lambdas(lazies, method=method)
    chromosomes: set[str | None] = set()
    for lf in lazies.values():
        chromosomes.update(lf.select(pl.col("chromosome").unique()).collect().to_series().to_list())
    if match_on == "auto":
        match_on = "id" if None in chromosomes else "position"
    parts = (
        [None]
        if match_on == "id"
        else sorted(
            (c for c in chromosomes if c is not None), key=lambda c: (chromosome_order(c), c)
        )
    )

    modes, strand = (
        decide_modes(lazies, reference_checks=strand_checks)
        if palindromic == "auto" and match_on == "position"
        else ({}, None)
    )

    def one_part(chrom: str | None) -> MetaResult:
        chunk = {
            name: (lf if chrom is None else lf.filter(pl.col("chromosome") == chrom)).collect()
            for name, lf in lazies.items()
        }
        h = harmonise(
            chunk,
            match_on=match_on,
            palindromic=palindromic,
            maf_threshold=maf_threshold,
            study_modes=modes,
        )
        return meta_analyse(
            h, method=method, random_method=random_method, hksj=hksj, gc=gc, study_lambdas=lambdas
        )

    results = engine.map(one_part, parts, description="meta-analysing chromosomes")
    tables = [r.table for r in results]
    counts = [r.studies for r in results]
    dropped = [r.dropped for r in results]
    table = pl.concat(tables, how="vertical_relaxed")
    per_study = (
        pl.concat(counts)
        .group_by("study", maintain_order=True)
        .agg(
            pl.col(pl.Int64, pl.Int32, pl.UInt32).sum(),
            pl.col("lambda_gc_applied").first(),
        )
    )
    if strand is not None:
        per_study = per_study.join(strand, on="study", how="left", maintain_order="left")
    result = MetaResult(table=table, studies=per_study, dropped=pl.concat(dropped))
    return _gc_result(result) if gc_result else result


def _gc_result(result: MetaResult) -> MetaResult:
    """Genomic control of the combined statistics, lambda over all chromosomes."""
    table, per_study = result.table, result.studies

    z = table["z"].to_numpy()
    lam = gc_lambda(z**2)
    lam = lam if np.isfinite(lam) and lam > 1.0 else 1.0
    if lam > 1.0:
        z = z / np.sqrt(lam)
        nlp = neg_log10_p_from_z(z)
        table = table.with_columns(
            pl.Series("z", z),
            pl.Series("neg_log_10_p_value", nlp),
            pl.Series("p_value", np.power(10.0, -nlp)),
            pl.col("standard_error") * np.sqrt(lam),
        )
    per_study = per_study.with_columns(pl.lit(lam).alias("lambda_gc_result"))
    return MetaResult(table=table, studies=per_study, dropped=result.dropped)
