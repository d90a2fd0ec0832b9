"""Whole-genome regression (step 1) on a genotype source: level 0 by blocks, level 1, LOCO.

:func:`whole_genome_regression` loads the phenotypes (several in one pass over the genotypes),
projects the covariates out, maps :func:`level0_task` over blocks of variants through
:mod:`gwaskit.engine` (each task is a pure function of the file path, the block and the
projected phenotypes, so it runs the same on Dask) and stacks the predictions per phenotype.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from gwaskit import __version__
from gwaskit.assoc.design import make_design
from gwaskit.assoc.logistic import fit_logistic_null
from gwaskit.engine import Engine, opened_engine
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.phenotypes import Phenotypes, load_phenotypes
from gwaskit.wgr.arrays import block_starts, level1
from gwaskit.wgr.ridge import HERITABILITIES, sample_folds, shrinkage_grid, standardise
from gwaskit.wgr.sources import registered, task_source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WgrOptions:
    """Step-1 settings (REGENIE's defaults: blocks of 1,000 variants, 5 folds)."""

    block_size: int = 1000
    folds: int = 5
    heritabilities: tuple[float, ...] = HERITABILITIES

    def check(self, n_samples: int, source: str) -> None:
        if self.block_size < 1:
            raise ParameterError(f"block size must be at least 1, got {self.block_size!r}.")
        if self.folds < 2:
            raise ParameterError(f"folds must be at least 2, got {self.folds!r}.")
        if not all(0 < h < 1 for h in self.heritabilities):
            raise ParameterError(f"heritabilities must be in (0, 1), got {self.heritabilities!r}.")
        if n_samples < 2 * self.folds:
            raise InputError(
                source,
                f"only {n_samples} samples have every phenotype and covariate; {self.folds}-fold "
                f"cross-validation needs at least {2 * self.folds} (2 per fold). Use fewer folds.",
            )


@dataclass(frozen=True)
class Level0Task:
    """One block of level 0 (picklable)."""

    path: str
    build: str | None
    variants: range | np.ndarray
    sample_index: np.ndarray
    basis: np.ndarray = field(repr=False)  # orthonormal covariate basis (n, k)
    y: np.ndarray = field(repr=False)  # projected, standardised phenotypes (n, q)
    folds: np.ndarray = field(repr=False)
    alphas: np.ndarray


def level0_task(task: Level0Task) -> np.ndarray:
    """Read one block, mean-impute missing calls, project the covariates out, standardise and
    return the block's level-0 predictions ``(a, n, q)``."""
    from gwaskit.wgr.ridge import ridge_cv_predict

    source = task_source(task.path, task.build)
    g = source.read(task.variants, task.sample_index).astype(np.float64)
    missing = np.isnan(g)
    if missing.any():
        means = np.nanmean(g, axis=0)
        g[missing] = np.take(means, np.nonzero(missing)[1])
    constant = np.ptp(g, axis=0) == 0
    if constant.any():
        first = int(task.variants[int(np.argmax(constant))])
        raise InputError(
            source.path,
            f"{int(constant.sum())} of a block of {g.shape[1]} variants are monomorphic "
            f"among the {g.shape[0]} analysed samples "
            f"(first: {source.variants['variant_id'][first]}); exclude them (--exclude or a "
            "MAF filter) before whole-genome regression.",
        )
    g -= task.basis @ (task.basis.T @ g)
    return ridge_cv_predict(standardise(g), task.y, task.folds, task.alphas)[0]


@dataclass(frozen=True)
class WgrResult:
    """Step 1 of every phenotype.

    Attributes
    ----------
    samples
        Table ``fid, iid`` of the analysed samples (those with every phenotype and covariate).
    phenotypes
        Phenotype names, in order.
    binary
        Whether each phenotype is case/control.
    chromosomes
        Chromosome of each LOCO prediction.
    loco
        ``(n_chromosomes, n_samples, n_phenotypes)``: for a quantitative trait on the scale of
        its covariate-adjusted, unit-variance residual; for a binary trait on the logit scale
        (the offset step 2 adds to the covariates' linear predictor), as REGENIE's ``.loco``.
    metadata
        Settings and counts, for the outputs.
    """

    samples: pl.DataFrame
    phenotypes: tuple[str, ...]
    binary: tuple[bool, ...]
    chromosomes: tuple[str, ...]
    loco: np.ndarray
    metadata: dict[str, Any]


def _load_all(
    source: GenotypeSource,
    pheno: str | Path,
    names: Sequence[str | None],
    covar: str | Path | None,
    covar_names: Sequence[str] | None,
    binary: bool | None,
    sample_mask: np.ndarray | None,
) -> list[Phenotypes]:
    loaded = [
        load_phenotypes(
            source.samples,
            pheno,
            pheno_name=name,
            covar=covar,
            covar_names=covar_names,
            binary=binary,
            sample_mask=sample_mask,
        )
        for name in names
    ]
    return loaded


def whole_genome_regression(
    source: GenotypeSource,
    pheno: str | Path,
    *,
    pheno_names: Sequence[str | None] = (None,),
    covar: str | Path | None = None,
    covar_names: Sequence[str] | None = None,
    binary: bool | None = None,
    options: WgrOptions | None = None,
    sample_mask: np.ndarray | None = None,
    variant_mask: np.ndarray | None = None,
    engine: Engine | str | None = None,
    threads: int | None = None,
    progress: bool = True,
) -> WgrResult:
    """REGENIE's step 1 for one or more phenotypes; see the module docstring.

    The samples analysed are those with every phenotype and covariate. ``variant_mask``
    selects the variants of the whole-genome model (e.g. the genotyped array variants).
    Quantitative phenotypes and binary ones (level 1 by ridge-penalised logistic regression
    with the covariate-only logit as offset) can be mixed.
    """
    options = options or WgrOptions()
    loaded = _load_all(source, pheno, pheno_names, covar, covar_names, binary, sample_mask)
    common = loaded[0].sample_index
    for p in loaded[1:]:
        common = np.intersect1d(common, p.sample_index)
    where = str(pheno)
    options.check(common.size, where)
    rows = [np.searchsorted(p.sample_index, common) for p in loaded]
    covariates = loaded[0].covariates[rows[0]]
    y = np.column_stack([p.y[r] for p, r in zip(loaded, rows, strict=True)])
    is_binary = np.array([p.binary for p in loaded])
    n = common.size
    design = make_design(y[:, 0], covariates, binary=False, source=str(covar or pheno))
    basis = np.linalg.qr(design.x)[0]
    resid = y - basis @ (basis.T @ y)
    ys = standardise(resid)
    offsets = np.zeros((n, y.shape[1]))
    for j in np.flatnonzero(is_binary):
        null = fit_logistic_null(make_design(y[:, j], covariates, binary=True, source=where))
        offsets[:, j] = design.x @ null.coef
    chrom = source.variants["chromosome"].to_numpy()
    selected = (
        np.arange(source.n_variants) if variant_mask is None else np.flatnonzero(variant_mask)
    )
    if selected.size == 0:
        raise ParameterError(
            "no variant is left for whole-genome regression (the lists select none)."
        )
    codes, names = _chromosome_codes(chrom[selected])
    starts = block_starts(codes, options.block_size)
    stops = np.append(starts[1:], codes.size)
    folds = sample_folds(n, options.folds)
    alphas0 = shrinkage_grid(selected.size, options.heritabilities)
    path = str(source.path)
    tasks = [
        Level0Task(path, source.build, _as_range(selected[a:b]), common, basis, ys, folds, alphas0)
        for a, b in zip(starts, stops, strict=True)
    ]
    with (
        registered(source),
        opened_engine(engine, threads=threads, progress=progress) as runner,
        threadpool_limits(1),
    ):
        pred0 = np.stack(runner.map(level0_task, tasks, description="wgr level 0"))
    target = np.where(is_binary[None, :], y, ys)
    fit = level1(
        pred0,
        target,
        folds,
        codes[starts],
        binary=is_binary,
        offsets=offsets,
        alphas=shrinkage_grid(pred0.shape[0] * pred0.shape[1], options.heritabilities),
    )
    samples = source.samples[common].select("fid", "iid")
    metadata = {
        "wgr": {
            "software": f"gwaskit {__version__}",
            "method": "whole-genome ridge regression (REGENIE step 1), LOCO predictions",
            "block_size": options.block_size,
            "folds": options.folds,
            "heritabilities": list(options.heritabilities),
            "level0_penalties": alphas0.tolist(),
            "variants": int(selected.size),
            "blocks": len(tasks),
            "samples": int(n),
            "covariates": list(loaded[0].covariate_names),
            "phenotypes": {
                p.name: {
                    "binary": bool(p.binary),
                    "level1": "ridge logistic" if p.binary else "ridge",
                    "level1_penalty": s.alpha,
                }
                for p, s in zip(loaded, fit.stacked, strict=True)
            },
        }
    }
    log.info(
        "wgr: %d samples, %d variants in %d blocks, %d phenotype(s), %d chromosome(s)",
        n,
        selected.size,
        len(tasks),
        y.shape[1],
        len(names),
    )
    return WgrResult(
        samples,
        tuple(p.name for p in loaded),
        tuple(bool(b) for b in is_binary),
        tuple(names[c] for c in fit.contigs),
        fit.loco,
        metadata,
    )


def _chromosome_codes(chrom: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Integer code per variant in order of first appearance; the chromosomes must be
    contiguous (sorted files)."""
    change = np.concatenate([[True], chrom[1:] != chrom[:-1]])
    names = [str(c) for c in chrom[change]]
    if len(set(names)) != len(names):
        raise InputError(
            "genotypes",
            "the variants of a chromosome are not contiguous; sort the file by chromosome.",
        )
    return np.cumsum(change) - 1, names


def _as_range(index: np.ndarray) -> range | np.ndarray:
    """A range when ``index`` is consecutive (cheaper to read), else the array itself."""
    if index.size and index[-1] - index[0] + 1 == index.size:
        return range(int(index[0]), int(index[-1]) + 1)
    return index
