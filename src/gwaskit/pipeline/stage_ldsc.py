"""The ``ldsc`` stage: LD score regression on the discovery studies and their meta-analysis.

LD scores come from the study's LD reference panel (the plan's, else the first discovery
cohort's QC'd genotypes) in a kb window; the same scores serve as regression weights (LDSC's
``w_ld`` is the LD score over the regression variants, which here are the panel's variants
shared with the studies). Per study and for the meta-analysis: h² (observed and, with a
population prevalence, liability scale), intercept, ratio, mean chi² and λGC; between every pair
of studies: rg and the cross-trait intercept (near 0 when they share no samples). Outputs:
``scores.l2.ldscore.gz`` (+ ``.M``/``.M_5_50``), ``h2.parquet``/``.tsv.gz`` and, with two or
more studies, ``rg.parquet``/``.tsv.gz``.
"""

from __future__ import annotations

import itertools
import logging
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.errors import GwaskitError
from gwaskit.io import open_genotypes
from gwaskit.io.ldscore import read_ld_scores, write_ld_scores
from gwaskit.io.sumstats import read_sumstats
from gwaskit.io.tables import write_table
from gwaskit.ldsc import LdScores, compute_ld_scores, estimate_h2, estimate_rg
from gwaskit.ldsc.munge import munge_sumstats
from gwaskit.pipeline.runner import Task

log = logging.getLogger(__name__)

#: The row of the meta-analysis in ``h2``.
META_ROW = "meta-analysis"


def ldsc_task(
    *,
    studies: dict[str, str],
    meta: str,
    reference: Path,
    reference_task: str | None,
    build: str,
    window_kb: float,
    population_prevalence: float | None,
    depends: tuple[str, ...],
) -> Task:
    """The ``ldsc/discovery`` task (see the module docstring)."""
    params = {"window_kb": window_kb, "population_prevalence": population_prevalence}
    return Task(
        "ldsc",
        "discovery",
        partial(
            run_ldsc,
            studies=studies,
            meta=meta,
            reference=str(reference),
            build=build,
            window_kb=window_kb,
            population_prevalence=population_prevalence,
        ),
        params=params,
        inputs=() if reference_task else (reference,),
        depends=depends + ((reference_task,) if reference_task else ()),
    )


def _sample_prevalence(table: pl.DataFrame) -> float | None:
    if {"n_cases", "n_controls"} <= set(table.columns) and table["n_cases"].null_count() == 0:
        cases = table["n_cases"].cast(pl.Float64).to_numpy()
        total = cases + table["n_controls"].cast(pl.Float64).to_numpy()
        return float(np.nanmedian(cases / total))
    return None


def run_ldsc(
    folder: Path,
    *,
    studies: dict[str, str],
    meta: str,
    reference: str,
    build: str,
    window_kb: float,
    population_prevalence: float | None,
) -> None:
    """Compute LD scores of ``reference`` and run LD score regression (module docstring)."""
    with open_genotypes(reference, build=build) as source:
        scores = compute_ld_scores(source, window_kb=window_kb, progress=False)
    write_ld_scores(scores.table, scores.m, scores.m_5_50, folder / "scores")
    # the regression reads the scores back as written (3 decimals, repeated IDs once), as an
    # ldsc user would: the last bits of the matrix products vary with the BLAS thread count,
    # the written file does not, so local and Dask runs give the same bytes
    table, m = read_ld_scores(folder / "scores")
    # variants are matched by position (the studies' IDs come from different tools)
    table = table.with_columns(_position_key(pl.col("CHR"), pl.col("BP")).alias("SNP"))
    table = table.unique(subset="SNP", keep="first", maintain_order=True)
    scores = LdScores(table, m, m)
    weights = scores.table.select("SNP", pl.col(scores.score_columns[0]))
    munged: dict[str, pl.DataFrame] = {}
    rows = []
    for name, path in {**studies, META_ROW: meta}.items():
        table, _ = read_sumstats(path, build=build)
        keyed = table.with_columns(
            _position_key(pl.col("chromosome"), pl.col("base_pair_location")).alias("variant_id"),
            pl.lit(None, dtype=pl.String).alias("rsid"),
        )
        munged[name] = munge_sumstats(keyed).table
        prevalence = _sample_prevalence(table) if population_prevalence is not None else None
        try:
            result = estimate_h2(
                munged[name],
                scores,
                weights,
                sample_prevalence=prevalence,
                population_prevalence=population_prevalence if prevalence else None,
                name=name,
            )
        except GwaskitError as exc:
            log.warning("LD score regression of %s failed: %s", name, exc)
            continue
        log.info(
            "%s: LDSC intercept %.3f (SE %.3f), lambda GC %.3f, h2 %.3f (SE %.3f)",
            name, result.intercept, result.intercept_se, result.lambda_gc, result.h2,
            result.h2_se,
        )  # fmt: skip
        rows.append({"study": name, **result.as_row()})
    write_table(pl.DataFrame(rows), folder / "h2", metadata={"genome_assembly": build})
    names = [n for n in studies if n in munged]
    pairs = []
    for a, b in itertools.combinations(names, 2):
        try:
            result = estimate_rg(munged[a], munged[b], scores, weights, names=(a, b))
        except GwaskitError as exc:
            log.warning("genetic correlation of %s and %s not estimated: %s", a, b, exc)
            continue
        pairs.append({"study1": a, "study2": b, **result.as_row()})
    if pairs:
        write_table(pl.DataFrame(pairs), folder / "rg", metadata={"genome_assembly": build})


def _position_key(chromosome: pl.Expr, position: pl.Expr) -> pl.Expr:
    return pl.concat_str(chromosome.cast(pl.String), pl.lit(":"), position.cast(pl.String))
