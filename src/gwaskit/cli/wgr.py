"""``gwaskit wgr GENOTYPES --pheno FILE --out PREFIX``: whole-genome regression (REGENIE's step 1)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from gwaskit import choices
from gwaskit.cli import _options
from gwaskit.errors import ParameterError

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "wgr",
        parents=[common],
        help="whole-genome ridge regression (REGENIE step 1): LOCO predictions for assoc --pred",
        description=(
            "Fit REGENIE's whole-genome regression to one or more phenotypes in one pass over "
            "the genotypes: level 0 ridge regressions on blocks of variants over a grid of "
            "shrinkage values set from heritabilities 0.01-0.99, K-fold cross-validated; level 1 "
            "stacking per phenotype (ridge, or ridge-penalised logistic regression for binary "
            "traits) giving leave-one-chromosome-out predictions. Writes REGENIE's layout: "
            "PREFIX_1.loco, PREFIX_2.loco, ... (one per phenotype) and PREFIX_pred.list, for "
            "gwaskit assoc --pred (or regenie --step 2 --pred), and PREFIX.wgr.yaml (settings)."
        ),
    )
    parser.add_argument("genotypes", metavar="GENOTYPES", help="genotype file or PLINK prefix")
    parser.add_argument("--sample", metavar="FILE", help="the Oxford .sample of a .bgen/.gen")
    parser.add_argument("--pheno", required=True, metavar="FILE", help="phenotype file")
    parser.add_argument(
        "--pheno-name", metavar="A,B", help="phenotype columns (default: every column)"
    )
    parser.add_argument("--covar", metavar="FILE", help="covariate file")
    parser.add_argument("--covar-name", metavar="A,B", help="covariate columns (default: all)")
    parser.add_argument(
        "--pcs", type=int, metavar="N", help="use columns PC1..PCN of --covar, as assoc --pcs"
    )
    parser.add_argument(
        "--pheno-type",
        choices=["auto", "binary", "quantitative"],
        default="auto",
        help="trait type of every phenotype (auto: binary when every value is 1/2 or 0/1)",
    )
    parser.add_argument(
        "--block-size",
        type=int,
        default=1000,
        metavar="N",
        help="variants per level-0 block (REGENIE's --bsize; default: 1000)",
    )
    parser.add_argument(
        "--folds", type=int, default=5, metavar="K", help="cross-validation folds (default: 5)"
    )
    parser.add_argument("--keep", metavar="FILE", help="samples to analyse (FID IID or IID)")
    parser.add_argument("--remove", metavar="FILE", help="samples to leave out (FID IID or IID)")
    parser.add_argument("--extract", metavar="FILE", help="variants to use (one ID per line)")
    parser.add_argument("--exclude", metavar="FILE", help="variants to leave out")
    parser.add_argument("--build", choices=choices.BUILDS, help="genome build")
    parser.add_argument(
        "--scheduler", type=_options.scheduler, metavar="tcp://HOST:PORT", help="Dask scheduler"
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


def run(args: argparse.Namespace) -> int:
    import yaml

    from gwaskit.cli.assoc import _list_masks
    from gwaskit.io import open_genotypes
    from gwaskit.io.loco import write_loco_files
    from gwaskit.io.phenotypes import parse_names, read_sample_table
    from gwaskit.io.tables import atomic_path
    from gwaskit.provenance import current_record
    from gwaskit.wgr.model import WgrOptions, whole_genome_regression

    if args.block_size < 1 or args.folds < 2:
        raise ParameterError(
            f"--block-size must be at least 1 and --folds at least 2, got {args.block_size} "
            f"and {args.folds}."
        )
    covar_names = parse_names(args.covar_name, "--covar-name")
    if args.pcs is not None:
        if args.pcs < 1 or args.covar is None:
            raise ParameterError(f"--pcs must be at least 1 and needs --covar, got {args.pcs}.")
        covar_names = (covar_names or []) + [f"PC{i}" for i in range(1, args.pcs + 1)]
    names = (
        parse_names(args.pheno_name, "--pheno-name") or read_sample_table(args.pheno).values.columns
    )
    source = open_genotypes(args.genotypes, build=args.build, sample=args.sample)
    sample_mask, variant_mask = _list_masks(args, source.samples, source.variants)
    result = whole_genome_regression(
        source,
        args.pheno,
        pheno_names=list(names),
        covar=args.covar,
        covar_names=covar_names,
        binary={"auto": None, "binary": True, "quantitative": False}[args.pheno_type],
        options=WgrOptions(block_size=args.block_size, folds=args.folds),
        sample_mask=sample_mask,
        variant_mask=variant_mask,
        engine=args.scheduler,
        threads=args.threads,
        progress=not args.no_progress,
    )
    out = Path(args.out)
    written = write_loco_files(
        out, result.samples, result.phenotypes, result.chromosomes, result.loco
    )
    settings = out.parent / f"{out.name}.wgr.yaml"
    with atomic_path(settings) as tmp:
        record = current_record()  # the run's provenance, as every verb's tables carry it
        metadata = {**result.metadata, **({"provenance": record} if record else {})}
        tmp.write_text(yaml.safe_dump(metadata, sort_keys=False))
    log.info("wrote %s", ", ".join(str(p) for p in [*written, settings]))
    return 0
