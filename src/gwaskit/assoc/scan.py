"""The chunked genome-wide scan: genotypes + phenotypes -> SumStats.

:func:`run_scan` opens the genotypes, loads the phenotype and covariates, fits the null model
once, maps :func:`scan_block` over variant blocks through :mod:`gwaskit.engine` (each task is a
pure function of the file path, the block range and the fitted null model, so it runs the same
on a Dask cluster) and assembles a SumStats table.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from gwaskit import __version__
from gwaskit.assoc.design import Design, make_design
from gwaskit.assoc.filters import check_filters, filter_variants, quality_note
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
from gwaskit.io.chromosomes import haploid_x
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
class BlockTask:
    """One unit of work: a pure function input (picklable, for Dask as well)."""

    path: str
    build: str | None
    variants: range | np.ndarray
    sample_index: np.ndarray
    null: LinearNull | LogisticNull | Design = field(repr=False)
    options: ScanOptions


#: Sources opened by block tasks in this process, newest last (at most ``_OPEN_LIMIT``): a
#: worker opens a fileset once, not once per block; :func:`run_scan` puts its own here so that
#: blocks run in its process do not parse the ``.bim``/``.pvar`` again.
_OPEN: dict[tuple[str, str | None], GenotypeSource] = {}
_OPEN_LIMIT = 4
_OPEN_LOCK = threading.Lock()


def _open_cached(path: str, build: str | None) -> GenotypeSource:
    with _OPEN_LOCK:
        source = _OPEN.get((path, build))
    if source is None:
        source = open_genotypes(path, build=build)
        _remember(path, source)
    return source


def _remember(path: str, source: GenotypeSource) -> None:
    with _OPEN_LOCK:
        _OPEN[(path, source.build)] = source
        while len(_OPEN) > _OPEN_LIMIT:
            _OPEN.pop(next(iter(_OPEN)))


def scan_block(task: BlockTask) -> BlockResult:
    """Read one block of variants and test each of them."""
    source = _open_cached(task.path, task.build)
    g, variance = source.read_with_variance(task.variants, task.sample_index)
    return apply_test(task.null, g, task.options, variance=variance)


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
    phenotypes: Phenotypes, options: ScanOptions, *, source: str = "phenotype"
) -> LinearNull | LogisticNull | Design:
    """The null model a block task needs (fitted once per phenotype)."""
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
    """Genome-wide association scan of one phenotype; see the module docstring.

    ``genotypes`` is a path (opened with ``build``) or an open source. ``binary`` declares the
    trait type (``None``: detected from its values, see
    :func:`gwaskit.io.phenotypes.load_phenotypes`). ``sample_mask`` and ``variant_mask``
    (booleans over the genotype file's samples and variants, as ``--keep``/``--remove`` and
    ``--extract``/``--exclude`` lists give them) restrict the scan; the SumStats table holds
    the variants of ``variant_mask`` only.
    """
    options = options or ScanOptions()
    source = (
        genotypes
        if isinstance(genotypes, GenotypeSource)
        else open_genotypes(genotypes, build=build)
    )
    phenotypes = load_phenotypes(
        source.samples,
        pheno,
        pheno_name=pheno_name,
        covar=covar,
        covar_names=covar_names,
        binary=binary,
        sample_mask=sample_mask,
    )
    options = options.resolve(phenotypes.binary)
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
    null = fit_null(phenotypes, options, source=str(covar or pheno))
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
    path = str(source.path)
    _remember(path, source)
    tasks = [
        BlockTask(path, source.build, block, phenotypes.sample_index, null, options)
        for block in blocks
    ]
    x_model = _x_chromosome_model(source, phenotypes, options, str(covar or pheno))
    if x_model is not None:
        haploid, x_phenotypes, x_null = x_model
        tasks = [
            replace(task, variants=part, sample_index=x_phenotypes.sample_index, null=x_null)
            if on_x
            else replace(task, variants=part)
            for task in tasks
            for part, on_x in split_where_changes(task.variants, haploid)
        ]
    # parallelism is across blocks (the engine); the per-block matrix products are small and
    # run several times slower when BLAS threads compete with each other or with the engine's
    with (
        opened_engine(engine, threads=threads, progress=progress) as runner,
        threadpool_limits(limits=1),
    ):
        results = runner.map(scan_block, tasks, description=f"assoc {options.label}")
    return finish_scan(source, phenotypes, options, results, variant_mask, x_model)


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
    """The model of the variants on X outside the pseudo-autosomal regions, as plink2 --glm fits
    it: sex (1 male, 2 female) added as a covariate and the samples of unknown sex left out.
    Males keep the dosages of the file (0/2 for hemizygous calls in a ``.bed``).

    Returns the haploid-X mask over the source's variants, the phenotypes and the fitted null
    model, or None when no variant is on haploid X, the test takes no covariates (trend,
    allelic), or the analysed samples of known sex are all of one sex.
    """
    if options.test in ("trend", "allelic"):
        return None
    variants = source.variants
    haploid = haploid_x(variants["chromosome"], variants["base_pair_location"], source.build)
    if not haploid.any():
        return None
    sex = source.samples["sex"].to_numpy()[phenotypes.sample_index]
    known = sex > 0
    if np.unique(sex[known]).size < 2:
        log.warning(
            "chrX: the analysed samples of known sex are all of one sex; X variants are tested "
            "without a sex covariate"
        )
        return None
    covariates = phenotypes.covariates[known]
    names = phenotypes.covariate_names
    if not any(_same_information(column, sex[known]) for column in covariates.T):
        covariates = np.column_stack([covariates, sex[known].astype(np.float64)])
        names = (*names, "SEX")
    x_phenotypes = replace(
        phenotypes,
        y=phenotypes.y[known],
        covariates=covariates,
        covariate_names=names,
        sample_index=phenotypes.sample_index[known],
    )
    log.info(
        "chrX: %d variant(s) outside the pseudo-autosomal regions tested with sex as a covariate"
        "; %d sample(s) of unknown sex left out of them",
        int(haploid.sum()),
        int((~known).sum()),
    )
    return haploid, x_phenotypes, fit_null(x_phenotypes, options, source=where)


def _same_information(column: np.ndarray, sex: np.ndarray) -> bool:
    """Whether a covariate column is a recoding of sex (two values, split as sex is)."""
    values = np.unique(column)
    if values.size != 2:
        return False
    return bool(
        np.all((column == values[0]) == (sex == sex[0]))
        or np.all((column == values[0]) != (sex == sex[0]))
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
