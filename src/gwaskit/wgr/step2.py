"""Step 2 of whole-genome regression: the association scans with LOCO offsets.

For a variant on chromosome ``c`` the phenotype's LOCO prediction for ``c`` enters as an offset
(REGENIE's step 2):

- quantitative: the phenotype is adjusted for the covariates and scaled to unit variance, the
  LOCO prediction subtracted, and the linear scan runs on that (it projects the covariates
  again, as REGENIE does);
- binary: the covariate-only logistic null model is fitted with the LOCO prediction as offset;
  the score test (with SPA when asked) uses its fitted probabilities, and where its p is below
  ``firth_threshold`` the approximate Firth test (:mod:`gwaskit.wgr.firth`) replaces it.

Each chromosome has its own null model; the blocks are engine tasks as in
:func:`gwaskit.assoc.scan.run_scan`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

from gwaskit.assoc.design import impute_block, make_design
from gwaskit.assoc.linear import LinearNull, fit_linear_null
from gwaskit.assoc.logistic import LogisticNull
from gwaskit.assoc.results import BlockResult
from gwaskit.assoc.scan import (
    MIN_SCORE_BLOCK_VARIANTS,
    ScanOptions,
    ScanResult,
    apply_test,
    finish_scan,
    split_where_changes,
    variant_blocks,
)
from gwaskit.engine import Engine, opened_engine
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.loco import LocoPredictions, chromosome_key, sample_keys
from gwaskit.io.phenotypes import Phenotypes, load_phenotypes
from gwaskit.wgr.firth import approximate_firth, firth_null
from gwaskit.wgr.ridge import standardise
from gwaskit.wgr.sources import registered, task_source

log = logging.getLogger(__name__)

#: REGENIE's default ``--pThresh``: the score test's p below which Firth replaces it.
FIRTH_THRESHOLD = 0.05


@dataclass(frozen=True)
class LocoTask:
    """One block of step 2 (picklable)."""

    path: str
    build: str | None
    variants: range | np.ndarray
    sample_index: np.ndarray
    null: LinearNull | LogisticNull = field(repr=False)
    options: ScanOptions
    firth_offset: np.ndarray | None = field(default=None, repr=False)
    firth_threshold: float = FIRTH_THRESHOLD


def loco_block(task: LocoTask) -> BlockResult:
    """Test one block against its chromosome's null model; Firth where the score p is small."""
    source = task_source(task.path, task.build)
    g = source.read(task.variants, task.sample_index)
    res = apply_test(task.null, g, task.options)
    if task.firth_offset is None:
        return res
    assert isinstance(task.null, LogisticNull)
    redo = np.flatnonzero((res.neg_log10_p > -np.log10(task.firth_threshold)) & (res.reason == ""))
    if redo.size == 0:
        return res
    y = task.null.y
    gi = impute_block(np.asarray(g[:, redo], dtype=np.float64), y, np.ones_like(y))[0]
    beta, se, neg, ok = approximate_firth(gi, y, task.firth_offset, task.null.x)
    out = {k: np.array(v, copy=True) for k, v in vars(res).items() if v is not None}
    out["beta"][redo] = np.where(ok, beta, np.nan)
    out["standard_error"][redo] = np.where(ok, se, np.nan)
    out["neg_log10_p"][redo] = np.where(ok, neg, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["statistic"][redo] = np.where(ok, beta / se, np.nan)
    out["method"][redo] = "firth-approx"
    out["reason"][redo] = np.where(ok, "", "FIRTH_NO_CONVERGE")
    return BlockResult(**out)


def fit_offset_logistic_null(y: np.ndarray, x: np.ndarray, offset: np.ndarray, where: str):
    """Covariate coefficients of ``logit P(y=1) = offset + x a`` (Newton-Raphson)."""
    a = np.zeros(x.shape[1])
    for _ in range(100):
        mu = expit(offset + x @ a)
        step = np.linalg.solve(x.T @ (x * (mu * (1 - mu))[:, None]), x.T @ (y - mu))
        a = a + step
        if np.max(np.abs(step)) < 1e-12 or not np.all(np.isfinite(a)):
            break
    if not np.all(np.isfinite(a)) or np.max(np.abs(a)) > 30:
        raise InputError(
            where, "the covariate-only logistic model with the LOCO offset does not converge."
        )
    mu = expit(offset + x @ a)
    return LogisticNull(y=y, x=x, coef=a, mu=mu)


def _restrict(phenotypes: Phenotypes, keep: np.ndarray) -> Phenotypes:
    return replace(
        phenotypes,
        y=phenotypes.y[keep],
        covariates=phenotypes.covariates[keep],
        sample_index=phenotypes.sample_index[keep],
    )


def loco_scan(
    source: GenotypeSource,
    pheno: str | Path,
    predictions: Mapping[str, LocoPredictions],
    *,
    pheno_name: str | None = None,
    covar: str | Path | None = None,
    covar_names: Sequence[str] | None = None,
    binary: bool | None = None,
    options: ScanOptions | None = None,
    firth_threshold: float = FIRTH_THRESHOLD,
    sample_mask: np.ndarray | None = None,
    variant_mask: np.ndarray | None = None,
    engine: Engine | str | None = None,
    threads: int | None = None,
    progress: bool = True,
    pred_source: str = "--pred",
    wgr_settings: dict | None = None,
) -> ScanResult:
    """Association scan of one phenotype with its LOCO predictions as offsets; see the module
    docstring. Samples missing from the predictions are left out (counted in the metadata)."""
    options = options or ScanOptions()
    if not 0 < firth_threshold <= 1:
        raise ParameterError(f"firth_threshold must be in (0, 1], got {firth_threshold!r}.")
    phenotypes = load_phenotypes(
        source.samples,
        pheno,
        pheno_name=pheno_name,
        covar=covar,
        covar_names=covar_names,
        binary=binary,
        sample_mask=sample_mask,
    )
    if phenotypes.name not in predictions:
        raise InputError(
            pred_source,
            f"has no LOCO predictions for phenotype {phenotypes.name!r} (it lists "
            f"{', '.join(predictions) or 'none'}).",
        )
    pred = predictions[phenotypes.name]
    if phenotypes.binary and options.test == "wald":
        # REGENIE's step 2: the score test, approximate Firth for small p
        log.info("%s: LOCO offsets with a binary trait: score test", phenotypes.name)
        options = replace(options, test="score")
    options = options.resolve(phenotypes.binary)
    if options.test not in ("wald", "score"):
        raise ParameterError(
            f"with LOCO predictions the test must be the score test (binary) or linear "
            f"regression, got {options.test!r}."
        )
    column = {key: i for i, key in enumerate(pred.sample_ids)}
    keys = sample_keys(source.samples[phenotypes.sample_index])
    found = np.array([k in column for k in keys])
    if not found.any():
        raise InputError(pred_source, "shares no sample (FID_IID) with the phenotype file.")
    n_missing = int((~found).sum())
    phenotypes = _restrict(phenotypes, found)
    cols = np.array([column[k] for k, f in zip(keys, found, strict=True) if f])
    design = make_design(
        phenotypes.y, phenotypes.covariates, binary=phenotypes.binary, source=str(covar or pheno)
    )
    rows = {chromosome_key(c): i for i, c in enumerate(pred.chromosomes)}
    chrom = source.variants["chromosome"].to_numpy()
    if variant_mask is not None and not variant_mask.any():
        raise ParameterError("no variant is left to test (the variant list selects none).")
    blocks = variant_blocks(
        source.n_variants,
        variant_mask,
        block_variants=max(MIN_SCORE_BLOCK_VARIANTS, 2**22 // max(phenotypes.n, 1)),
    )
    run = np.cumsum(np.concatenate([[False], chrom[1:] != chrom[:-1]]))  # chromosome runs
    parts = [part for block in blocks for part, _ in split_where_changes(block, run % 2 == 1)]
    if not phenotypes.binary:
        basis = np.linalg.qr(design.x)[0]
        ys = standardise((design.y - basis @ (basis.T @ design.y))[:, None])[:, 0]
    nulls: dict[str, tuple[LinearNull | LogisticNull, np.ndarray | None]] = {}
    for name in dict.fromkeys(chrom[np.asarray(p)[0]] for p in parts):
        key = chromosome_key(str(name))
        if key not in rows:
            raise InputError(
                pred_source,
                f"has no LOCO prediction for chromosome {name} (phenotype {phenotypes.name}).",
            )
        offset = pred.values[rows[key], cols]
        if phenotypes.binary:
            null = fit_offset_logistic_null(design.y, design.x, offset, pred_source)
            firth = None
            if options.firth_fallback:
                firth = offset + design.x @ firth_null(design.x, design.y, offset)
            nulls[name] = (null, firth)
        else:
            nulls[name] = (fit_linear_null(replace(design, y=ys - offset)), None)
    path = str(source.path)
    tasks = []
    for part in parts:
        null, firth = nulls[chrom[np.asarray(part)[0]]]
        tasks.append(
            LocoTask(
                path,
                source.build,
                part,
                phenotypes.sample_index,
                null,
                options,
                firth,
                firth_threshold,
            )
        )
    with (
        registered(source),
        opened_engine(engine, threads=threads, progress=progress) as runner,
        threadpool_limits(limits=1),
    ):
        results = runner.map(loco_block, tasks, description=f"assoc {options.label} + LOCO")
    result = finish_scan(source, phenotypes, options, results, variant_mask, None)
    result.metadata["gwaskit"]["wgr"] = {
        "loco_offsets": True,
        "predictions": Path(pred_source).name,  # a name, never the site's path
        "step1": wgr_settings,
        "samples_without_prediction": n_missing,
        "firth": "approximate (REGENIE --approx)"
        if phenotypes.binary and options.firth_fallback
        else None,
        "firth_threshold": firth_threshold if phenotypes.binary else None,
        "chromosomes": sorted(nulls, key=lambda c: chromosome_key(c).zfill(3)),
    }
    return result
