"""The chunked genome-wide scan: an open genotype source + aligned phenotypes -> SumStats.

:func:`scan_phenotypes` fits the null model once, maps :func:`scan_block` over variant blocks
through :mod:`gwaskit.engine` (each task is a pure function of the scan's genotype handle, the
block range and the fitted null model, so it runs the same on a Dask cluster) and assembles a
SumStats table. It reads no file but the genotypes it is given; :func:`run_scan` is the same
from file paths (for scripts), and :func:`gwaskit.association_scan` from tables in memory.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from gwaskit import __version__
from gwaskit.assoc.chrx import x_chromosome_model
from gwaskit.assoc.design import Design, make_design
from gwaskit.assoc.filters import check_filters, filter_variants, quality_note
from gwaskit.assoc.handle import GenotypeHandle
from gwaskit.assoc.imputation import imputation_quality
from gwaskit.assoc.linear import LinearNull, fit_linear_null, linear_block
from gwaskit.assoc.logistic import LogisticNull, fit_logistic_null, logistic_block
from gwaskit.assoc.results import BlockResult
from gwaskit.assoc.score import score_block
from gwaskit.assoc.trend import allelic_block, trend_block
from gwaskit.choices import MODELS, TESTS
from gwaskit.engine import Engine, opened_engine
from gwaskit.errors import ParameterError
from gwaskit.io import open_genotypes
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.phenotypes import Phenotypes, load_phenotypes
from gwaskit.io.sumstats import conform, write_sumstats
from gwaskit.stats import lambda_gc, p_from_neg_log10

log = logging.getLogger(__name__)

#: Float64 working memory per block, in bytes (several n x m arrays live at once).
BLOCK_BYTES = 24 * 2**20
#: Variants per block at the least: with fewer, per-block costs dominate (500,000 samples would
#: give 6-variant blocks, 2-3x slower). A logistic block holds about 36 bytes per sample and
#: variant, so 32 variants of 500,000 samples take about 0.6 GB per thread.
MIN_BLOCK_VARIANTS = 32
#: The same floor for the score test, which holds only the float32 block (4 bytes per sample
#: and variant: 256 MB per thread at 500,000 samples) and reads its (k+1) x n left factor once
#: per 64-variant chunk: 128-variant blocks make 100,000 samples 1.6x faster than 30.
MIN_SCORE_BLOCK_VARIANTS = 128


@dataclass(frozen=True)
class ScanOptions:
    """What to test. ``model`` None picks linear or logistic from the trait type."""

    model: str | None = None
    test: str = "wald"
    firth_fallback: bool = True
    spa: bool = True
    mean_impute: bool = False
    maf: float | None = None
    #: Variant filters after the tests (:mod:`gwaskit.assoc.filters`): minor allele count,
    #: IMPUTE2 info, MaCH r² and HWE exact-test p-value thresholds (None: no filter).
    mac: float | None = None
    min_info: float | None = None
    min_mach_r2: float | None = None
    hwe: float | None = None
    #: Firth-fitted variants get the penalised likelihood-ratio test and SE = |beta|/sqrt(chi2)
    #: (REGENIE's --firth-se) instead of the Wald test (plink2's).
    firth_se: bool = False

    def resolve(self, binary: bool) -> ScanOptions:
        model = self.model or ("logistic" if binary else "linear")
        if model not in MODELS:
            raise ParameterError(f"model must be one of {', '.join(MODELS)}, got {model!r}.")
        if self.test not in TESTS:
            raise ParameterError(f"test must be one of {', '.join(TESTS)}, got {self.test!r}.")
        if model == "logistic" and not binary:
            raise ParameterError(
                "model: logistic needs a case/control phenotype (1/2 or 0/1), but the "
                "phenotype is quantitative. Use --model linear."
            )
        if model == "linear" and self.test != "wald":
            raise ParameterError(
                f"test {self.test!r} needs --model logistic; linear regression uses its t test."
            )
        if self.test in ("trend", "allelic") and not binary:
            raise ParameterError(f"test: {self.test} needs a case/control phenotype.")
        check_options(replace(self, model=model))
        return replace(self, model=model)

    @property
    def label(self) -> str:
        if self.model == "linear":
            return "linear"
        if self.test == "wald":
            return "logistic firth-fallback" if self.firth_fallback else "logistic"
        if self.test == "score":
            return "score-spa" if self.spa else "score"
        return self.test


def check_options(options: ScanOptions) -> None:
    """Raise :class:`ParameterError` for filter thresholds out of range, or ``firth_se`` with a
    model or test that fits no Firth regression (checks that need no data)."""
    model, test = options.model, options.test
    if options.firth_se and (model == "linear" or test not in ("wald", "firth")):
        raise ParameterError(
            f"firth_se applies to Firth regression (--model logistic with --test wald or firth), "
            f"got --model {model or 'auto'} --test {test}; drop --firth-se."
        )
    check_filters(options)


@dataclass(frozen=True)
class ScanContext:
    """What every block task of one scan shares, sent once per worker (the engine's ``context``)
    rather than with each task: the scan's genotype file and its models, each the samples it
    reads and what it tests them with (for :func:`scan_block`, ``(sample_index, null)``)."""

    genotypes: GenotypeHandle
    models: tuple[Any, ...] = field(repr=False)


@dataclass(frozen=True)
class BlockTask:
    """One unit of work, picklable (for Dask as well) and small: a block of variants and the
    index of its model in the scan's :class:`ScanContext` (0, or 1 for haploid X)."""

    variants: range | np.ndarray
    model: int
    options: ScanOptions


def scan_block(context: ScanContext, task: BlockTask) -> BlockResult:
    """Read one block of variants and test each of them."""
    sample_index, null = context.models[task.model]
    g, variance = context.genotypes.read_with_variance(task.variants, sample_index)
    return apply_test(null, g, task.options, variance=variance)


def apply_test(
    null: LinearNull | LogisticNull | Design,
    g: np.ndarray,
    options: ScanOptions,
    *,
    variance: np.ndarray | None = None,
) -> BlockResult:
    """Apply the resolved test of ``options`` to dosages ``g`` ``(n_samples, m)``, with the
    imputation quality of the block (``variance``: the genotype variances of a file of
    probabilities, :func:`gwaskit.assoc.imputation.imputation_quality`)."""
    quality = imputation_quality(g, variance)
    return replace(
        _test_block(null, g, options),
        mach_r2=quality.mach_r2,
        info=quality.info,
        hwe_neg_log10_p=quality.hwe_neg_log10_p,
    )


def _test_block(
    null: LinearNull | LogisticNull | Design, g: np.ndarray, options: ScanOptions
) -> BlockResult:
    if options.model == "linear":
        assert isinstance(null, LinearNull)
        return linear_block(null, g, mean_impute=options.mean_impute)
    if options.test in ("trend", "allelic"):
        assert isinstance(null, Design)
        return (trend_block if options.test == "trend" else allelic_block)(null.y, g)
    assert isinstance(null, LogisticNull)
    if options.test == "score":
        return score_block(null, g, spa=options.spa)
    firth = (
        "always" if options.test == "firth" else "fallback" if options.firth_fallback else "never"
    )
    return logistic_block(
        null, g, firth=firth, mean_impute=options.mean_impute, firth_se=options.firth_se
    )


def fit_null(
    phenotypes: Phenotypes, options: ScanOptions, *, source: str | None = None
) -> LinearNull | LogisticNull | Design:
    """The null model a block task needs (fitted once per phenotype); errors name ``source``
    (default: the table the phenotypes came from)."""
    source = source or phenotypes.origin
    design = make_design(
        phenotypes.y, phenotypes.covariates, binary=phenotypes.binary, source=source
    )
    if options.model == "linear":
        return fit_linear_null(design)
    if options.test in ("trend", "allelic"):
        if phenotypes.covariates.shape[1]:
            log.warning(
                "the %s test ignores the %d covariate(s)",
                options.test,
                phenotypes.covariates.shape[1],
            )
        return design
    return fit_logistic_null(design, source=source)


@dataclass(frozen=True)
class ScanResult:
    """The SumStats table of a scan and what describes it."""

    sumstats: pl.DataFrame
    phenotypes: Phenotypes
    options: ScanOptions
    lambda_gc: float
    metadata: dict[str, Any]


def scan_phenotypes(
    source: GenotypeSource,
    phenotypes: Phenotypes,
    *,
    options: ScanOptions | None = None,
    engine: Engine | str | None = None,
    threads: int | None = None,
    progress: bool = True,
    block_bytes: int = BLOCK_BYTES,
    variant_mask: np.ndarray | None = None,
) -> ScanResult:
    """Genome-wide association scan of one phenotype aligned to an open genotype source.

    ``phenotypes`` are matched to ``source.samples`` (by
    :func:`gwaskit.io.phenotypes.load_phenotypes` from files, or by
    :func:`gwaskit.align_phenotypes` from tables in memory). ``variant_mask`` (booleans over
    the source's variants, as ``--extract``/``--exclude`` lists give them) restricts the scan;
    the SumStats table holds the variants of the mask only. The source stays open for its
    caller; what the scan's tasks open elsewhere (Dask workers) goes when the scan ends.
    """
    options = (options or ScanOptions()).resolve(phenotypes.binary)
    log.info(
        "%s: %d samples analysed (%s), %d covariate column(s), %d variants; %d sample(s) dropped",
        phenotypes.name,
        phenotypes.n,
        f"{phenotypes.n_cases} cases, {phenotypes.n_controls} controls"
        if phenotypes.binary
        else "quantitative",
        len(phenotypes.covariate_names),
        source.n_variants,
        phenotypes.dropped.height,
    )
    null = fit_null(phenotypes, options)
    if variant_mask is not None and not variant_mask.any():
        raise ParameterError("no variant is left to test (the variant list selects none).")
    blocks = variant_blocks(
        source.n_variants,
        variant_mask,
        block_variants=max(
            MIN_SCORE_BLOCK_VARIANTS if options.test == "score" else MIN_BLOCK_VARIANTS,
            block_bytes // 2 // (4 * max(phenotypes.n, 1)),
        ),
    )
    models = [(phenotypes.sample_index, null)]
    tasks = [BlockTask(block, 0, options) for block in blocks]
    x_model = _x_chromosome_model(source, phenotypes, options, phenotypes.origin)
    if x_model is not None:
        haploid, x_phenotypes, x_null = x_model
        models.append((x_phenotypes.sample_index, x_null))
        tasks = [
            replace(task, variants=part, model=int(on_x))
            for task in tasks
            for part, on_x in split_where_changes(task.variants, haploid)
        ]
    results = run_blocks(
        scan_block, tasks, source, tuple(models), engine, threads, progress,
        f"assoc {options.label}",
    )  # fmt: skip
    return finish_scan(source, phenotypes, options, results, variant_mask, x_model)


def run_blocks(
    fn: Any,
    tasks: Sequence[Any],
    source: GenotypeSource,
    models: tuple[Any, ...],
    engine: Engine | str | None,
    threads: int | None,
    progress: bool,
    description: str,
) -> list[Any]:
    """``fn(context, task)`` for every task on the engine, with ``context`` the scan's
    :class:`ScanContext`: its own :class:`GenotypeHandle` of ``source`` (closed at the end, with
    what it opened elsewhere) and ``models``. The tasks carry no sample arrays or null models,
    so a Dask scan of 200,000 samples does not send them once per block."""
    context = ScanContext(GenotypeHandle(source), models)
    # parallelism is across blocks (the engine); the per-block matrix products are small and
    # run several times slower when BLAS threads compete with each other or with the engine's
    try:
        with (
            opened_engine(engine, threads=threads, progress=progress) as runner,
            threadpool_limits(limits=1),
        ):
            return runner.map(fn, tasks, description=description, context=context)
    finally:
        context.genotypes.close()


def run_scan(
    genotypes: str | Path | GenotypeSource,
    pheno: str | Path,
    *,
    pheno_name: str | None = None,
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
) -> ScanResult:
    """A scan from files, for scripts: the phenotype (and covariate) files are read by
    :func:`gwaskit.io.phenotypes.load_phenotypes`, then :func:`scan_phenotypes` runs.

    ``genotypes`` is a path (opened with ``build``, closed at the end) or an open source.
    ``sample_mask`` restricts the samples (``--keep``/``--remove``); the other arguments are
    :func:`scan_phenotypes`'s. On tables in memory, use :func:`gwaskit.association_scan`.
    """
    opened = not isinstance(genotypes, GenotypeSource)
    source = open_genotypes(genotypes, build=build) if opened else genotypes
    try:
        phenotypes = load_phenotypes(
            source.samples,
            pheno,
            pheno_name=pheno_name,
            covar=covar,
            covar_names=covar_names,
            binary=binary,
            sample_mask=sample_mask,
        )
        return scan_phenotypes(
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


def finish_scan(
    source: GenotypeSource,
    phenotypes: Phenotypes,
    options: ScanOptions,
    results: Sequence[BlockResult],
    variant_mask: np.ndarray | None,
    x_model: tuple[np.ndarray, Phenotypes, Any] | None,
) -> ScanResult:
    """The ScanResult of one phenotype from its block results (in variant order): the SumStats
    table (the variant filters of ``options`` applied), lambda GC and the metadata."""
    path = str(source.path)
    tested = source.variants if variant_mask is None else source.variants.filter(variant_mask)
    table = assemble_sumstats(tested, results, binary=phenotypes.binary)
    if x_model is not None and "hwe_neg_log_10_p" in table.columns:  # none on haploid X
        on_x = x_model[0] if variant_mask is None else x_model[0][variant_mask]
        table = table.with_columns(
            pl.when(pl.Series(on_x))
            .then(None)
            .otherwise(pl.col("hwe_neg_log_10_p"))
            .alias("hwe_neg_log_10_p")
        )
    table, filtered = filter_variants(table, options)
    dropped = phenotypes.dropped["reason"].value_counts(sort=True)
    lam = lambda_gc(table["neg_log_10_p_value"].to_numpy())
    metadata = {
        "genome_assembly": source.build or "unknown",
        "coordinate_system": "1-based",
        "genotyping_technology": "genotyped or imputed dosages",
        "sample_size": phenotypes.n,
        "case_count": phenotypes.n_cases,
        "control_count": phenotypes.n_controls,
        "analysis_software": f"gwaskit {__version__}",
        "gwaskit": {
            "version": __version__,
            "genotypes": Path(path).name,  # a name, never the site's path
            "phenotype": phenotypes.name,
            "covariates": list(phenotypes.covariate_names),
            "model": options.model,
            "test": options.test,
            "firth_fallback": options.firth_fallback,
            "spa": options.spa,
            "mean_impute": options.mean_impute,
            "maf": options.maf,
            "firth_se": options.firth_se,
            "variant_filters": filtered,
            "imputation_quality": quality_note(source.holds_probabilities),
            "lambda_gc": lam,
            "dropped_samples": dict(
                zip(dropped["reason"].to_list(), dropped["count"].to_list(), strict=True)
            ),
            "variants_below_maf": filtered.get("maf", {}).get("dropped", 0),
            "variants_excluded_by_list": 0 if variant_mask is None else int((~variant_mask).sum()),
            "failed_variants": int(table["reason"].is_not_null().sum()),
        },
    }
    if x_model is not None:
        metadata["gwaskit"]["chrX"] = {
            "variants_with_sex_covariate": int(x_model[0].sum()),
            "samples": x_model[1].n,
            "covariates": list(x_model[1].covariate_names),
        }
    log.info(
        "lambda GC = %.4f; %d variant(s) without an estimate",
        lam,
        metadata["gwaskit"]["failed_variants"],
    )
    return ScanResult(table, phenotypes, options, lam, metadata)


def _x_chromosome_model(
    source: GenotypeSource, phenotypes: Phenotypes, options: ScanOptions, where: str
) -> tuple[np.ndarray, Phenotypes, LinearNull | LogisticNull] | None:
    """:func:`gwaskit.assoc.chrx.x_chromosome_model` with this scan's null model."""
    return x_chromosome_model(
        source, phenotypes, options.test, lambda p: fit_null(p, options, source=where)
    )


def variant_blocks(
    n_variants: int, mask: np.ndarray | None, *, block_variants: int
) -> list[range | np.ndarray]:
    """Blocks of at most ``block_variants`` variants, in file order: ranges over all variants,
    or index arrays over those of ``mask``."""
    if mask is None:
        starts = range(0, n_variants, block_variants)
        return [range(a, min(a + block_variants, n_variants)) for a in starts]
    chosen = np.flatnonzero(mask)
    return [chosen[a : a + block_variants] for a in range(0, chosen.size, block_variants)]


def split_where_changes(
    variants: range | np.ndarray, flag: np.ndarray
) -> list[tuple[range | np.ndarray, bool]]:
    """A block of variant indices cut where ``flag`` (over all variants) changes value: the
    consecutive parts (ranges stay ranges), each with its flag."""
    index = np.asarray(variants)
    cuts = [0, *(np.flatnonzero(np.diff(flag[index].astype(np.int8))) + 1), index.size]
    parts = []
    for a, b in itertools.pairwise(cuts):
        part = variants[a:b]
        parts.append((part, bool(flag[index[a]])))
    return parts


def assemble_sumstats(
    variants: pl.DataFrame, results: Sequence[BlockResult], *, binary: bool
) -> pl.DataFrame:
    """Concatenate block results into a SumStats table beside the variant table."""

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(r, name) for r in results])

    beta = cat("beta")
    neg = cat("neg_log10_p")
    columns: dict[str, Any] = {
        "chromosome": variants["chromosome"],
        "base_pair_location": variants["base_pair_location"],
        "effect_allele": variants["effect_allele"],
        "other_allele": variants["other_allele"],
        "beta": beta,
        "standard_error": cat("standard_error"),
        "effect_allele_frequency": cat("effect_allele_frequency"),
        "p_value": p_from_neg_log10(neg),
        "neg_log_10_p_value": neg,
        "n": cat("n"),
        "variant_id": variants["variant_id"],
        # one rsid per row: the first rs number of a VCF multi-ID such as "rs1;rs2"
        "rsid": variants["variant_id"].str.extract(r"(?:^|[;,|])(rs[0-9]+)(?:$|[;,|])", 1),
        "z": cat("statistic"),
        "method": cat("method").astype(str),
        "reason": pl.Series(cat("reason").astype(str)).replace("", None),
    }
    if results and results[0].info is not None:
        columns["info"] = cat("info")
        columns["machr2"] = cat("mach_r2")
        columns["hwe_neg_log_10_p"] = cat("hwe_neg_log10_p")
    if binary:
        columns["n_cases"] = cat("n_cases")
        columns["n_controls"] = cat("n_controls")
        with np.errstate(divide="ignore", invalid="ignore"):
            columns["n_effective"] = 4.0 / (1.0 / columns["n_cases"] + 1.0 / columns["n_controls"])
        with np.errstate(over="ignore"):
            columns["odds_ratio"] = np.exp(beta)
    table = pl.DataFrame(columns, nan_to_null=True)
    return conform(table)


def write_scan(result: ScanResult, prefix: str | Path) -> list[Path]:
    """Write ``PREFIX.parquet``, ``PREFIX.tsv.gz`` and its YAML sidecar."""
    return write_sumstats(result.sumstats, prefix, metadata=result.metadata)
