"""Several phenotypes of one cohort in one pass over its genotypes.

:func:`scan_phenotype_list` takes each phenotype aligned to the genotype source (its own samples: a case subset leaves the other
subsets' cases out) and fits each null model once, then reads every block of variants once for
the union of the phenotypes' samples and tests it for each phenotype on that phenotype's rows
(:func:`scan_blocks`). Each phenotype's SumStats are what :func:`gwaskit.assoc.scan.run_scan`
gives for it alone (tested equal), at one read of the genotypes instead of one per phenotype.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gwaskit.assoc.results import BlockResult
from gwaskit.assoc.scan import (
    BLOCK_BYTES,
    MIN_BLOCK_VARIANTS,
    MIN_SCORE_BLOCK_VARIANTS,
    ScanContext,
    ScanOptions,
    ScanResult,
    _x_chromosome_model,
    apply_test,
    finish_scan,
    fit_null,
    run_blocks,
    split_where_changes,
    variant_blocks,
)
from gwaskit.engine import Engine
from gwaskit.errors import ParameterError
from gwaskit.io import open_genotypes
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.phenotypes import Phenotypes, load_phenotypes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MultiBlockTask:
    """One block of variants, read once and tested per phenotype with model ``model`` of the
    scan's :class:`~gwaskit.assoc.scan.ScanContext` (0, or 1 for haploid X): ``(sample_index,
    rows, nulls, options)``, the union of the phenotypes' samples (sorted) and per phenotype k
    its rows of the block, null model and resolved test. Picklable, for Dask as well."""

    variants: range | np.ndarray
    model: int


def scan_blocks(context: ScanContext, task: MultiBlockTask) -> tuple[BlockResult, ...]:
    """Read one block of variants once and test it for every phenotype."""
    sample_index, rows, nulls, options = context.models[task.model]
    g, variance = context.genotypes.read_with_variance(task.variants, sample_index)
    return tuple(
        apply_test(null, g[r], o, variance=None if variance is None else variance[r])
        for r, null, o in zip(rows, nulls, options, strict=True)
    )


def run_scans(
    genotypes: str | Path | GenotypeSource,
    pheno: str | Path,
    *,
    pheno_names: Sequence[str],
    covar: str | Path | None = None,
    covar_names: Sequence[str] | None = None,
    binary: bool | None = None,
    options: ScanOptions | None = None,
    build: str | None = None,
    engine: Engine | str | None = None,
    threads: int | None = None,
    progress: bool = True,
    block_bytes: int = BLOCK_BYTES,
    sample_mask: np.ndarray | None = None,
    variant_mask: np.ndarray | None = None,
) -> list[ScanResult]:
    """Association scans of several phenotypes (columns ``pheno_names`` of ``pheno``) in one
    pass over the genotypes, from files (for scripts): the arguments are those of
    :func:`gwaskit.assoc.scan.run_scan`, applied to every phenotype; the scan is
    :func:`scan_phenotype_list`. Returns one ScanResult per phenotype, in order."""
    if not pheno_names:
        raise ParameterError("run_scans: pheno_names must name at least one phenotype.")
    opened = not isinstance(genotypes, GenotypeSource)
    source = open_genotypes(genotypes, build=build) if opened else genotypes
    try:
        phenotypes = [
            load_phenotypes(
                source.samples,
                pheno,
                pheno_name=name,
                covar=covar,
                covar_names=covar_names,
                binary=binary,
                sample_mask=sample_mask,
            )
            for name in pheno_names
        ]
        return scan_phenotype_list(
            source,
            phenotypes,
            options=options,
            engine=engine,
            threads=threads,
            progress=progress,
            block_bytes=block_bytes,
            variant_mask=variant_mask,
        )
    finally:
        if opened:
            source.close()


def scan_phenotype_list(
    source: GenotypeSource,
    phenotypes: Sequence[Phenotypes],
    *,
    options: ScanOptions | None = None,
    engine: Engine | str | None = None,
    threads: int | None = None,
    progress: bool = True,
    block_bytes: int = BLOCK_BYTES,
    variant_mask: np.ndarray | None = None,
) -> list[ScanResult]:
    """:func:`gwaskit.assoc.scan.scan_phenotypes` of several phenotypes aligned to ``source``,
    in one pass over its genotypes. Returns one ScanResult per phenotype, in order."""
    options = options or ScanOptions()
    if not phenotypes:
        raise ParameterError("phenotypes must hold at least one phenotype.")
    if variant_mask is not None and not variant_mask.any():
        raise ParameterError("no variant is left to test (the variant list selects none).")
    prepared = []
    for one in phenotypes:
        resolved = options.resolve(one.binary)
        log.info(
            "%s: %d samples analysed (%s), %d covariate column(s), %d variants; %d sample(s) "
            "dropped",
            one.name,
            one.n,
            f"{one.n_cases} cases, {one.n_controls} controls" if one.binary else "quantitative",
            len(one.covariate_names),
            source.n_variants,
            one.dropped.height,
        )
        null = fit_null(one, resolved)
        x_model = _x_chromosome_model(source, one, resolved, one.origin)
        prepared.append((one, resolved, null, x_model))
    union = np.unique(np.concatenate([p[0].sample_index for p in prepared]))
    score = all(p[1].test == "score" for p in prepared)
    blocks = variant_blocks(
        source.n_variants,
        variant_mask,
        block_variants=max(
            MIN_SCORE_BLOCK_VARIANTS if score else MIN_BLOCK_VARIANTS,
            block_bytes // 2 // (4 * max(union.size, 1)),
        ),
    )
    options_k = tuple(p[1] for p in prepared)
    rows = tuple(np.searchsorted(union, p[0].sample_index) for p in prepared)
    nulls = tuple(p[2] for p in prepared)
    haploid = next((p[3][0] for p in prepared if p[3] is not None), None)
    models = [(union, rows, nulls, options_k)]
    if haploid is None:
        tasks = [MultiBlockTask(block, 0) for block in blocks]
    else:  # on haploid X, each phenotype with an X model uses its samples and null model
        x_rows = tuple(
            r if p[3] is None else np.searchsorted(union, p[3][1].sample_index)
            for r, p in zip(rows, prepared, strict=True)
        )
        x_nulls = tuple(
            n if p[3] is None else p[3][2] for n, p in zip(nulls, prepared, strict=True)
        )
        models.append((union, x_rows, x_nulls, options_k))
        tasks = [
            MultiBlockTask(part, int(on_x))
            for block in blocks
            for part, on_x in split_where_changes(block, haploid)
        ]
    label = "/".join(dict.fromkeys(o.label for o in options_k))
    results = run_blocks(
        scan_blocks, tasks, source, tuple(models), engine, threads, progress,
        f"assoc {label} x{len(prepared)}",
    )  # fmt: skip
    return [
        finish_scan(source, p[0], p[1], [r[k] for r in results], variant_mask, p[3])
        for k, p in enumerate(prepared)
    ]
