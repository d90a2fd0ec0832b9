"""``gwaskit assoc GENOTYPES --pheno FILE --out PREFIX``: a genome-wide association scan."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gwaskit.cli import _options
from gwaskit.errors import InputError, ParameterError
from gwaskit.qc.inflation import LAMBDA_WARN, check_lambda_warn, inflation_warning

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "assoc",
        parents=[common],
        help="association scan: linear, logistic (Firth fallback), score + SPA, trend",
        description=(
            "Test every variant for association with a phenotype. Variants on X outside the "
            "pseudo-autosomal regions (of --build, or all of X when the build is unknown) are "
            "tested as plink2 --glm does: with sex from the .fam/.psam as a covariate and without "
            "the samples of unknown sex. Writes PREFIX.parquet (every variant), PREFIX.tsv.gz "
            "(GWAS-SSF as the GWAS Catalog accepts it), PREFIX.tsv.gz-meta.yaml and "
            "PREFIX.untested.tsv.gz (the variants without an estimate, with their reason)."
        ),
    )
    parser.add_argument("genotypes", metavar="GENOTYPES", help="genotype file or PLINK prefix")
    parser.add_argument(
        "--sample",
        metavar="FILE",
        help="the Oxford .sample of a .bgen/.gen without one beside it (plink2's --sample)",
    )
    parser.add_argument(
        "--pheno",
        required=True,
        metavar="FILE",
        help="phenotype file: with a FID IID (or IID) header, or headerless FID IID values "
        "(columns PHENO1, PHENO2, ...), or a .fam (its columns 6, 7, ... as PHENO1, PHENO2, ...)",
    )
    names = parser.add_mutually_exclusive_group()
    names.add_argument(
        "--pheno-name",
        metavar="A,B",
        help="phenotype column(s) (default: the first); with several, one scan each, written "
        "to PREFIX.NAME.* (as plink2 names PREFIX.NAME.glm.*)",
    )
    names.add_argument(
        "--pheno-col-nums",
        metavar="N,M-K",
        help="phenotype column(s) by 1-based number in the file, FID and IID counting as 1 and 2 "
        "(plink2's --pheno-col-nums; e.g. 6,7 for a GEMMA .fam's two phenotypes)",
    )
    parser.add_argument("--covar", metavar="FILE", help="covariate file (e.g. with PC columns)")
    parser.add_argument("--covar-name", metavar="A,B", help="covariate columns (default: all)")
    parser.add_argument(
        "--pcs",
        type=int,
        metavar="N",
        help="use columns PC1..PCN of --covar (e.g. a gwaskit/plink2 .eigenvec), plus any "
        "--covar-name columns",
    )
    parser.add_argument(
        "--pheno-type",
        choices=["auto", "binary", "quantitative"],
        default="auto",
        help="trait type (auto: binary when every value is 1/2 or 0/1)",
    )
    parser.add_argument(
        "--model",
        choices=["linear", "logistic"],
        help="default: logistic for a case/control trait, linear otherwise",
    )
    parser.add_argument(
        "--test",
        choices=["wald", "firth", "score", "trend", "allelic"],
        default="wald",
        help="wald (logistic with Firth fallback, or linear), firth (always), score (+SPA), "
        "trend (Cochran-Armitage) or allelic (chi-square), both without covariates",
    )
    parser.add_argument(
        "--firth-fallback",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="use Firth regression where logistic regression fails (PLINK 2 semantics)",
    )
    parser.add_argument(
        "--spa",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="saddlepoint correction of the score test where |z| > 2",
    )
    parser.add_argument(
        "--mean-impute",
        action="store_true",
        help="impute missing calls with the mean dosage instead of dropping them per variant",
    )
    parser.add_argument("--keep", metavar="FILE", help="samples to analyse (FID IID or IID)")
    parser.add_argument("--remove", metavar="FILE", help="samples to leave out (FID IID or IID)")
    parser.add_argument("--extract", metavar="FILE", help="variants to test (one ID per line)")
    parser.add_argument("--exclude", metavar="FILE", help="variants to skip (one ID per line)")
    parser.add_argument("--maf", type=float, metavar="F", help="report variants with MAF >= F")
    parser.add_argument("--build", choices=["GRCh37", "GRCh38"], help="genome build")
    parser.add_argument(
        "--scheduler", type=_options.scheduler, metavar="tcp://HOST:PORT", help="Dask scheduler"
    )
    parser.add_argument(
        "--lambda-warn",
        type=float,
        default=LAMBDA_WARN,
        metavar="L",
        help=f"warn when a scan's lambda GC is above L (default: {LAMBDA_WARN}; inf: never)",
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


def run(args: argparse.Namespace) -> int:
    from gwaskit.assoc.scan import ScanOptions, scan_phenotypes, write_scan
    from gwaskit.io import open_genotypes
    from gwaskit.io.phenotypes import (
        column_names,
        load_phenotypes,
        parse_column_numbers,
        parse_names,
    )
    from gwaskit.io.tables import scratch_folder

    covar_names = parse_names(args.covar_name, "--covar-name")
    if args.pcs is not None:
        if args.pcs < 1 or args.covar is None:
            raise ParameterError(
                f"--pcs must be at least 1 and needs --covar FILE with PC columns, got "
                f"--pcs {args.pcs}{'' if args.covar else ' without --covar'}."
            )
        covar_names = (covar_names or []) + [f"PC{i}" for i in range(1, args.pcs + 1)]
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InputError(out.parent, "output folder does not exist; create it first.")
    lambda_warn = check_lambda_warn(args.lambda_warn)
    options = ScanOptions(
        model=args.model,
        test=args.test,
        firth_fallback=args.firth_fallback,
        spa=args.spa,
        mean_impute=args.mean_impute,
        maf=args.maf,
    )
    names = parse_names(args.pheno_name, "--pheno-name") or [None]
    if args.pheno_col_nums is not None:
        numbers = parse_column_numbers(args.pheno_col_nums, "--pheno-col-nums")
        names = column_names(args.pheno, numbers)
    _check_phenotype_names(names)
    binary = {"auto": None, "binary": True, "quantitative": False}[args.pheno_type]
    with open_genotypes(args.genotypes, build=args.build, sample=args.sample) as source:
        sample_mask, variant_mask = _list_masks(args, source.samples, source.variants)
        # the verb reads the files and aligns them to the genotype samples; the scan reads
        # nothing but the genotypes
        phenotypes = [
            load_phenotypes(
                source.samples,
                args.pheno,
                pheno_name=name,
                covar=args.covar,
                covar_names=covar_names,
                binary=binary,
                sample_mask=sample_mask,
            )
            for name in names
        ]
        scan_options = dict(
            variant_mask=variant_mask,
            options=options,
            engine=args.scheduler,
            threads=args.threads,
            progress=not args.no_progress,
        )
        if len(names) == 1:
            result = scan_phenotypes(source, phenotypes[0], **scan_options)
        else:  # one read of the genotypes for every phenotype
            from gwaskit.assoc.multi import scan_phenotype_list

            results = scan_phenotype_list(source, phenotypes, **scan_options)
    if len(names) == 1:
        _warn_inflation(result, lambda_warn)
        written = write_scan(result, out)
    else:  # every result lands together, or none (one bad phenotype fails the whole run)
        with scratch_folder(out) as tmp:
            staged = []
            for name, result in zip(names, results, strict=True):
                _warn_inflation(result, lambda_warn)
                staged += write_scan(result, tmp / f"{out.name}.{name}")
            written = [out.parent / path.name for path in staged]
            for path, final in zip(staged, written, strict=True):
                os.replace(path, final)
    log.info("wrote %s", ", ".join(str(p) for p in written))
    return 0


def _warn_inflation(result: Any, threshold: float) -> None:
    message = inflation_warning(f"phenotype {result.phenotypes.name}", result.lambda_gc, threshold)
    if message:
        log.warning("%s", message)


def _check_phenotype_names(names: list[str | None]) -> None:
    """Several phenotypes name output files: they must be distinct and file-name safe."""
    if len(names) == 1:
        return
    if len(set(names)) != len(names):
        raise ParameterError(f"--pheno-name repeats a column: {','.join(map(str, names))}.")
    unsafe = [n for n in names if n is not None and ("/" in n or n.startswith("."))]
    if unsafe:
        raise ParameterError(
            f"--pheno-name {unsafe[0]!r} cannot name an output file (with several phenotypes "
            "each is written to PREFIX.NAME.*); rename the column."
        )


def _list_masks(
    args: argparse.Namespace, samples: pl.DataFrame, variants: pl.DataFrame
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The samples and variants the --keep/--remove and --extract/--exclude lists leave
    (None: all), as booleans over the genotype file's samples and variants."""
    import numpy as np

    from gwaskit.cli._lists import read_sample_list, read_variant_list

    sample_mask = variant_mask = None
    if args.keep or args.remove:
        sample_mask = np.full(samples.height, not args.keep)  # no --keep: everyone to start
        if args.keep:
            sample_mask[read_sample_list(args.keep, samples)] = True
        if args.remove:
            sample_mask[read_sample_list(args.remove, samples)] = False
    if args.extract or args.exclude:
        variant_mask = np.ones(variants.height, dtype=bool)
        if args.extract:
            variant_mask &= read_variant_list(args.extract, variants)
        if args.exclude:
            variant_mask &= ~read_variant_list(args.exclude, variants)
        if not variant_mask.any():
            raise InputError(
                args.extract or args.exclude, "no variant is left to test after the lists."
            )
    return sample_mask, variant_mask
