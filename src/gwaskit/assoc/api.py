"""Association on tables in memory: :func:`align_phenotypes` and :func:`association_scan`.

The genotypes are an open :class:`~gwaskit.io.genotypes.GenotypeSource` (its caller opens and
closes it); phenotypes and covariates are tables (polars, or pandas converted) with an ``IID``
column (and optionally ``FID``), matched to the genotype samples as the ``assoc`` verb matches
its files (:mod:`gwaskit.io.phenotypes`): the numbers are those of the verb on the same data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from gwaskit.assoc.scan import ScanOptions, ScanResult, scan_phenotypes
from gwaskit.engine import Engine
from gwaskit.errors import ParameterError
from gwaskit.io.genotypes import GenotypeSource
from gwaskit.io.phenotypes import Phenotypes, align_sample_tables
from gwaskit.io.sample_tables import frame_table


def align_phenotypes(
    samples: GenotypeSource | pl.DataFrame,
    phenotypes: Any,
    *,
    pheno_name: str | None = None,
    covariates: Any = None,
    covar_names: Sequence[str] | None = None,
    binary: bool | None = None,
    categorical: Sequence[str] | None = None,
    sample_mask: np.ndarray | None = None,
) -> Phenotypes:
    """Match a phenotype table (and a covariate table) to the samples of a genotype source.

    Parameters
    ----------
    samples
        The genotype source, or its ``samples`` table (``fid, iid, ...``).
    phenotypes, covariates
        polars or pandas DataFrames with an ``IID`` column (and ``FID``, matched too when
        present) and one column per trait or covariate; nulls and NaN are missing, text
        covariates categorical (one 0/1 indicator per level but the first).
    pheno_name
        The trait column (default: the first); ``covar_names`` the covariates (default: all).
    binary
        ``True``/``False`` declares the trait type; ``None`` detects it (every value 0/1 or
        1/2: case/control, 1 or 2 the cases).
    categorical
        Covariates treated as categorical even when numeric.
    sample_mask
        Booleans over the genotype samples: the samples to analyse.

    Returns
    -------
    Phenotypes
        ``y`` ``(n,)``, the covariates ``(n, k)`` and ``sample_index`` into the genotype
        samples, with the samples left out and why (``dropped``).
    """
    table = samples.samples if isinstance(samples, GenotypeSource) else samples
    return align_sample_tables(
        table,
        frame_table(phenotypes, name="phenotypes table"),
        pheno_name=pheno_name,
        covar=None if covariates is None else frame_table(covariates, name="covariates table"),
        covar_names=covar_names,
        binary=binary,
        categorical=categorical,
        sample_mask=sample_mask,
    )


def association_scan(
    genotypes: GenotypeSource,
    phenotypes: Any,
    *,
    pheno_name: str | None = None,
    covariates: Any = None,
    covar_names: Sequence[str] | None = None,
    binary: bool | None = None,
    model: str | None = None,
    test: str = "wald",
    firth_fallback: bool = True,
    spa: bool = True,
    mean_impute: bool = False,
    maf: float | None = None,
    sample_mask: np.ndarray | None = None,
    variant_mask: np.ndarray | None = None,
    engine: Engine | str | None = None,
    threads: int | None = None,
    progress: bool = False,
) -> ScanResult:
    """Genome-wide association scan of one trait, on an open genotype source and tables.

    Parameters
    ----------
    genotypes
        An open source (:func:`gwaskit.open_genotypes`); it stays open (close it yourself).
    phenotypes, pheno_name, covariates, covar_names, binary, sample_mask
        As :func:`align_phenotypes`.
    model
        ``"linear"`` or ``"logistic"``; ``None`` picks logistic for a case/control trait.
    test
        ``"wald"`` (logistic with Firth fallback when ``firth_fallback``, or linear),
        ``"firth"``, ``"score"`` (with the saddlepoint correction when ``spa``), ``"trend"``
        or ``"allelic"``; as ``gwaskit assoc --test``.
    mean_impute
        Impute missing calls with the mean dosage instead of dropping them per variant.
    maf
        Keep the variants with minor-allele frequency at least ``maf`` in the table.
    variant_mask
        Booleans over ``genotypes.variants``: the variants to test.
    engine, threads, progress
        Where the blocks run (``"local"``, a Dask scheduler address or an engine).

    Returns
    -------
    ScanResult
        ``sumstats`` (GWAS-SSF columns, one row per tested variant; ``beta`` per copy of the
        effect allele, log odds for a binary trait; ``neg_log_10_p_value``), ``lambda_gc`` and
        the ``metadata`` the verb writes beside its table.
    """
    if not isinstance(genotypes, GenotypeSource):
        raise ParameterError(
            f"genotypes must be an open genotype source, got {type(genotypes).__name__}. "
            "Open the file with gwaskit.open_genotypes(path) (and close it when done)."
        )
    aligned = align_phenotypes(
        genotypes,
        phenotypes,
        pheno_name=pheno_name,
        covariates=covariates,
        covar_names=covar_names,
        binary=binary,
        sample_mask=sample_mask,
    )
    options = ScanOptions(
        model=model,
        test=test,
        firth_fallback=firth_fallback,
        spa=spa,
        mean_impute=mean_impute,
        maf=maf,
    )
    return scan_phenotypes(
        genotypes,
        aligned,
        options=options,
        engine=engine,
        threads=threads,
        progress=progress,
        variant_mask=variant_mask,
    )
