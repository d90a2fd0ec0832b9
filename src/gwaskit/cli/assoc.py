"""``gwaskit assoc GENOTYPES --pheno FILE --out PREFIX``: a genome-wide association scan."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gwaskit import choices
from gwaskit.cli import _options, _selection
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
            "PREFIX.untested.tsv.gz (the variants without an estimate, with their reason). Every "
            "variant gets its imputation quality (info: IMPUTE2 info, from the genotype "
            "probabilities of a BGEN or VCF GP, else from the dosages; machr2: MaCH r2 as plink2 "
            "computes it), its HWE -log10 p on hard calls and its observed N "
            "(n; n_cases, n_controls and n_effective = 4/(1/cases + 1/controls) for a "
            "case/control trait)."
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
    parser.add_argument(
        "--covar",
        metavar="FILE",
        action="append",
        help="covariate file (FID IID or IID header); repeat to add more files, matched by "
        "sample (a sample missing from one is dropped and counted; a column name in two is "
        "an error)",
    )
    parser.add_argument("--covar-name", metavar="A,B", help="covariate columns (default: all)")
    parser.add_argument(
        "--pcs",
        metavar="FILE|N",
        help="principal components: an .eigenvec FILE (plink2, plink 1.9 or EIGENSOFT "
        "layout; all its PCs are used), or N for columns PC1..PCN of --covar",
    )
    parser.add_argument(
        "--pheno-type",
        choices=["auto", "binary", "quantitative"],
        default="auto",
        help="trait type (auto: binary when every value is 1/2 or 0/1)",
    )
    parser.add_argument(
        "--model",
        choices=choices.MODELS,
        help="default: logistic for a case/control trait, linear otherwise",
    )
    parser.add_argument(
        "--test",
        choices=choices.TESTS,
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
    parser.add_argument(
        "--firth-se",
        action="store_true",
        help="Firth-fitted variants get the penalised likelihood-ratio test and SE = "
        "|beta|/sqrt(chi2), so beta/SE reproduces the test in a meta-analysis (REGENIE's "
        "--firth-se; default: the Wald test and SE, as plink2)",
    )
    filters = parser.add_argument_group(
        "variant filters (plink2 semantics; each drop counted on the terminal and in the metadata)"
    )
    filters.add_argument("--maf", type=float, metavar="F", help="report variants with MAF >= F")
    filters.add_argument(
        "--mac",
        type=float,
        metavar="C",
        help="report variants whose minor allele count (dosage, samples with a call) is >= C",
    )
    filters.add_argument(
        "--min-info",
        type=float,
        metavar="X",
        help="report variants whose IMPUTE2 info (the info column) is >= X",
    )
    filters.add_argument(
        "--min-mach-r2",
        type=float,
        metavar="X",
        help="report variants whose MaCH r2 (as plink2 --freq cols=+machr2) is >= X",
    )
    filters.add_argument(
        "--hwe",
        type=float,
        metavar="P",
        help="report variants whose HWE exact test p (on hard calls: dosages within 0.1 of "
        "0/1/2) is >= P; not applied to haploid X",
    )
    parser.add_argument("--build", choices=choices.BUILDS, help="genome build")
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
    parser.add_argument(
        "--pred",
        metavar="FILE",
        help="LOCO predictions of whole-genome regression: a _pred.list from gwaskit wgr or "
        "regenie --step 1; each variant is tested with its chromosome's prediction as offset "
        "(binary traits: score test, approximate Firth where p < --firth-threshold)",
    )
    parser.add_argument(
        "--firth-threshold",
        type=float,
        default=0.05,
        metavar="P",
        help="with --pred: score-test p below which the approximate Firth test replaces it "
        "(REGENIE's --pThresh; default: 0.05)",
    )
    parser.add_argument(
        "--regenie",
        action="store_true",
        help="also write PREFIX.regenie: REGENIE's columns (CHROM GENPOS ID ALLELE0 ALLELE1 "
        "A1FREQ N TEST BETA SE CHISQ LOG10P)",
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    _selection.add_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from gwaskit.assoc.scan import ScanOptions, check_options, scan_phenotypes, write_scan
    from gwaskit.io import open_genotypes
    from gwaskit.io.phenotypes import (
        column_names,
        load_phenotypes,
        parse_column_numbers,
        parse_names,
    )
    from gwaskit.io.tables import scratch_folder

    covar, covar_names = _covariates(args, parse_names(args.covar_name, "--covar-name"))
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
        mac=args.mac,
        min_info=args.min_info,
        min_mach_r2=args.min_mach_r2,
        hwe=args.hwe,
        firth_se=args.firth_se,
    )
    check_options(options)  # before any file is read
    names = parse_names(args.pheno_name, "--pheno-name") or [None]
    if args.pheno_col_nums is not None:
        numbers = parse_column_numbers(args.pheno_col_nums, "--pheno-col-nums")
        names = column_names(args.pheno, numbers)
    _check_phenotype_names(names)
    binary = {"auto": None, "binary": True, "quantitative": False}[args.pheno_type]
    with open_genotypes(args.genotypes, build=args.build, sample=args.sample) as source:
        sample_mask, variant_mask = _list_masks(args, source.samples, source.variants)
        selected, selection = _selection.variant_mask(args, source.variants)
        if selected is not None:
            variant_mask = selected if variant_mask is None else variant_mask & selected
        scan_options = dict(
            variant_mask=variant_mask,
            options=options,
            engine=args.scheduler,
            threads=args.threads,
            progress=not args.no_progress,
        )
        if args.pred is not None:  # step 2 of whole-genome regression
            written = _run_with_predictions(
                args,
                source,
                names,
                out,
                {
                    **scan_options,
                    "sample_mask": sample_mask,
                    "covar": covar,
                    "covar_names": covar_names,
                    "binary": binary,
                },
                lambda_warn,
                selection,
            )
            log.info("wrote %s", ", ".join(str(p) for p in written))
            return 0
        # the verb reads the files and aligns them to the genotype samples; the scan reads
        # nothing but the genotypes
        phenotypes = [
            load_phenotypes(
                source.samples,
                args.pheno,
                pheno_name=name,
                covar=covar,
                covar_names=covar_names,
                binary=binary,
                sample_mask=sample_mask,
            )
            for name in names
        ]
        if len(names) == 1:
            result = scan_phenotypes(source, phenotypes[0], **scan_options)
            results = [result]
        else:  # one read of the genotypes for every phenotype
            from gwaskit.assoc.multi import scan_phenotype_list

            results = scan_phenotype_list(source, phenotypes, **scan_options)
    for result in results:
        _note_selection(result, selection)
    if len(names) == 1:
        _warn_inflation(result, lambda_warn)
        written = write_scan(result, out)
        if args.regenie:
            written.append(_write_regenie(result, out))
    else:  # every result lands together, or none (one bad phenotype fails the whole run)
        with scratch_folder(out) as tmp:
            staged = []
            for name, result in zip(names, results, strict=True):
                _warn_inflation(result, lambda_warn)
                staged += write_scan(result, tmp / f"{out.name}.{name}")
                if args.regenie:
                    staged.append(_write_regenie(result, tmp / f"{out.name}.{name}"))
            written = [out.parent / path.name for path in staged]
            for path, final in zip(staged, written, strict=True):
                os.replace(path, final)
    log.info("wrote %s", ", ".join(str(p) for p in written))
    return 0


def _run_with_predictions(
    args: argparse.Namespace,
    source: Any,
    names: list[str | None],
    out: Path,
    scan_options: dict[str, Any],
    lambda_warn: float,
    selection: dict[str, object],
) -> list[Path]:
    """Step 2 of whole-genome regression: one LOCO-offset scan per phenotype; every output
    lands together, or none."""
    from gwaskit.assoc.scan import write_scan
    from gwaskit.io.loco import read_pred_list, read_wgr_settings
    from gwaskit.io.tables import scratch_folder
    from gwaskit.wgr.step2 import loco_scan

    predictions = read_pred_list(args.pred)
    options = {k: v for k, v in scan_options.items() if k != "build"}
    with scratch_folder(out) as tmp:
        staged = []
        for name in names:
            result = loco_scan(
                source,
                args.pheno,
                predictions,
                pheno_name=name,
                firth_threshold=args.firth_threshold,
                pred_source=str(args.pred),
                wgr_settings=read_wgr_settings(args.pred),
                **options,
            )
            _note_selection(result, selection)
            _warn_inflation(result, lambda_warn)
            prefix = tmp / (out.name if len(names) == 1 else f"{out.name}.{name}")
            staged += write_scan(result, prefix)
            if args.regenie:
                staged.append(_write_regenie(result, prefix))
        written = [out.parent / path.name for path in staged]
        for path, final in zip(staged, written, strict=True):
            os.replace(path, final)
    return written


def _write_regenie(result: Any, prefix: Path) -> Path:
    from gwaskit.io.regenie import write_regenie

    return write_regenie(result.sumstats, prefix.parent / f"{prefix.name}.regenie")


def _covariates(args: argparse.Namespace, names: list[str] | None) -> tuple[Any, Any]:
    """The covariate files and columns of --covar (repeatable), --covar-name and --pcs."""
    from gwaskit.io.covariates import read_eigenvec

    covar: list[Any] = list(args.covar or [])
    if args.pcs is None:  # one file as such: messages name it
        return (covar[0] if len(covar) == 1 else covar or None), names
    if args.pcs.isdigit():  # --pcs N: columns PC1..PCN of --covar
        n = int(args.pcs)
        if n < 1 or not covar:
            raise ParameterError(
                f"--pcs N must be at least 1 and needs --covar FILE with PC columns, got "
                f"--pcs {n}{'' if covar else ' without --covar'}."
            )
        return covar, (names or []) + [f"PC{i}" for i in range(1, n + 1)]
    pcs = read_eigenvec(args.pcs)
    covar.append(pcs)
    return covar, None if names is None else names + pcs.values.columns


def _note_selection(result: Any, selection: dict[str, object]) -> None:
    """The variant selection (criteria and counts) in the scan's metadata."""
    if selection:
        result.metadata.setdefault("gwaskit", {})["variant_selection"] = selection


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
