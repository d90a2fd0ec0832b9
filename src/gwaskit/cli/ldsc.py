"""``gwaskit ldsc``: LD scores, SNP heritability and genetic correlation (LD score regression).

Four steps with ``ldsc.py``'s flag names: ``scores`` (``--l2``), ``munge`` (``munge_sumstats.py``),
``h2`` (``--h2``) and ``rg`` (``--rg``). Summary statistics may be LDSC ``.sumstats`` files or any
table gwaskit reads (munged on the fly with munge's defaults).
"""

from __future__ import annotations

import argparse
import logging
import math
from pathlib import Path

import numpy as np
import polars as pl

from gwaskit.cli._inputs import read_checked_sumstats
from gwaskit.errors import InputError, ParameterError
from gwaskit.io import open_genotypes
from gwaskit.io.ldscore import (
    is_ldsc_sumstats,
    read_ld_scores,
    read_ldsc_sumstats,
    write_ld_scores,
    write_ldsc_sumstats,
)
from gwaskit.io.tables import write_table
from gwaskit.ldsc import LdScores, compute_ld_scores, estimate_h2, rg_matrix
from gwaskit.ldsc.munge import munge_sumstats

log = logging.getLogger(__name__)


def _positive(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text!r}")
    return value


def _regression_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ref-ld",
        required=True,
        metavar="PREFIX",
        help="reference LD scores: PREFIX.l2.ldscore[.gz] and PREFIX.l2.M_5_50; '@' in PREFIX "
        "stands for the chromosome (1-22), as ldsc's --ref-ld-chr",
    )
    parser.add_argument(
        "--w-ld",
        required=True,
        metavar="PREFIX",
        help="regression-weight LD scores (PREFIX.l2.ldscore[.gz]; '@' as in --ref-ld)",
    )
    parser.add_argument(
        "--not-m-5-50", action="store_true", help="use PREFIX.l2.M instead of .l2.M_5_50"
    )
    parser.add_argument(
        "--two-step",
        type=_positive,
        metavar="CHISQ",
        help="two-step estimator cut-off (h²: 30 by default with one annotation and a free "
        "intercept; rg: none, as ldsc)",
    )
    parser.add_argument("--chisq-max", type=_positive, help="drop variants with larger chi²")
    parser.add_argument("--n-blocks", type=int, default=200, help="jackknife blocks (200)")
    parser.add_argument(
        "--n", type=_positive, metavar="N", help="sample size, for tables without an n column"
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "ldsc",
        help="LD score regression: LD scores, SNP heritability, genetic correlation",
        description=(
            "LD score regression as the ldsc package computes it (Bulik-Sullivan et al. 2015): "
            "`scores` writes LD scores of a reference panel, `munge` LDSC .sumstats files, "
            "`h2` the SNP heritability, intercept and ratio per study, `rg` the genetic "
            "correlation and cross-trait intercept of every pair of studies."
        ),
    )
    # the common options go on each step (on both levels, the step's defaults would win)
    steps = parser.add_subparsers(
        dest="step", required=True, metavar="STEP", parser_class=type(parser)
    )

    scores = steps.add_parser("scores", parents=[common], help="LD scores of a reference panel")
    scores.add_argument("genotypes", metavar="GENOTYPES", help=".bed/.pgen/.vcf/.bgen panel")
    window = scores.add_mutually_exclusive_group(required=True)
    window.add_argument("--ld-wind-kb", type=_positive, metavar="KB", help="window in kb")
    window.add_argument("--ld-wind-snps", type=int, metavar="N", help="window in variants")
    window.add_argument(
        "--ld-wind-cm", type=_positive, metavar="CM", help="window in cM (.bim third column)"
    )
    scores.add_argument("--annot", metavar="FILE", help="LDSC .annot[.gz] file (one per panel)")
    scores.add_argument("--maf", type=float, help="drop variants with MAF at or below this")
    scores.add_argument(
        "--chunk-size", type=int, default=50, help="ldsc's chunk size (50; sets the windows)"
    )
    scores.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")

    munge = steps.add_parser("munge", parents=[common], help="LDSC .sumstats from a table")
    munge.add_argument("sumstats", metavar="SUMSTATS", help="any summary statistics gwaskit reads")
    munge.add_argument("--n", type=_positive, help="sample size when the table has none")
    munge.add_argument("--info-min", type=float, default=0.9, help="minimum INFO (0.9)")
    munge.add_argument("--maf-min", type=float, default=0.01, help="minimum MAF (0.01)")
    munge.add_argument("--n-min", type=float, help="minimum N (90th percentile / 1.5)")
    munge.add_argument("--out", required=True, metavar="PREFIX", help="writes PREFIX.sumstats.gz")

    h2 = steps.add_parser("h2", parents=[common], help="SNP heritability, intercept, ratio")
    h2.add_argument("sumstats", nargs="+", metavar="SUMSTATS", help="one or more studies")
    _regression_options(h2)
    h2.add_argument("--intercept-h2", type=float, metavar="X", help="constrain the intercept")
    h2.add_argument(
        "--samp-prev", type=_fraction, metavar="P", help="sample prevalence (liability scale)"
    )
    h2.add_argument(
        "--pop-prev", type=_fraction, metavar="K", help="population prevalence (liability scale)"
    )

    rg = steps.add_parser("rg", parents=[common], help="genetic correlation of every pair")
    rg.add_argument("sumstats", nargs="+", metavar="SUMSTATS", help="two or more studies")
    _regression_options(rg)
    rg.add_argument(
        "--intercept-h2", type=float, metavar="X", help="constrain both h² intercepts to X"
    )
    rg.add_argument(
        "--intercept-gencov", type=float, metavar="X", help="constrain the cross-trait intercept"
    )
    return parser


def _name(path: str) -> str:
    name = Path(path).name
    for suffix in (".gz", ".tsv", ".parquet", ".sumstats", ".txt"):
        name = name.removesuffix(suffix)
    return name


def _studies(paths: list[str], n: float | None) -> dict[str, pl.DataFrame]:
    studies: dict[str, pl.DataFrame] = {}
    for path in paths:
        name = _name(path)
        if name in studies:
            raise ParameterError(f"two studies are named {name!r}; rename one of the files.")
        if not Path(path).is_file():
            raise InputError(path, "file not found.")
        if is_ldsc_sumstats(path):
            studies[name] = read_ldsc_sumstats(path)
        else:
            table, _ = read_checked_sumstats(path)
            studies[name] = munge_sumstats(table, n=n).table
    return studies


def _ld(args: argparse.Namespace) -> tuple[LdScores, pl.DataFrame]:
    table, m = read_ld_scores(args.ref_ld, m_suffix="M" if args.not_m_5_50 else "M_5_50")
    weights, _ = read_ld_scores(args.w_ld, m_suffix=None)
    return LdScores(table, m, m), weights


def run(args: argparse.Namespace) -> int:
    return {"scores": _run_scores, "munge": _run_munge, "h2": _run_h2, "rg": _run_rg}[args.step](
        args
    )


def _run_scores(args: argparse.Namespace) -> int:
    if args.ld_wind_snps is not None and args.ld_wind_snps < 1:
        raise ParameterError(f"--ld-wind-snps must be at least 1, got {args.ld_wind_snps}.")
    annotations = None
    if args.annot:
        from gwaskit.io.compression import text_source

        annotations = pl.read_csv(text_source(args.annot, "an annotation table"), separator="\t")
    positions_cm = None
    if args.ld_wind_cm is not None:
        bim = Path(args.genotypes).with_suffix(".bim")
        if not bim.is_file():
            raise ParameterError("--ld-wind-cm reads cM from a .bim; give a PLINK 1 fileset.")
        positions_cm = np.loadtxt(bim, usecols=2, dtype=np.float64, ndmin=1)
    with open_genotypes(args.genotypes) as source:
        scores = compute_ld_scores(
            source,
            window_kb=args.ld_wind_kb,
            window_snps=args.ld_wind_snps,
            window_cm=args.ld_wind_cm,
            positions_cm=positions_cm,
            annotations=annotations,
            maf_min=args.maf,
            chunk_size=args.chunk_size,
        )
    write_ld_scores(scores.table, scores.m, scores.m_5_50, args.out)
    log.info("LD scores of %d variants written to %s.l2.ldscore.gz", scores.table.height, args.out)
    return 0


def _run_munge(args: argparse.Namespace) -> int:
    table, _ = read_checked_sumstats(args.sumstats)
    munged = munge_sumstats(
        table, n=args.n, info_min=args.info_min, maf_min=args.maf_min, n_min=args.n_min
    )
    write_ldsc_sumstats(munged.table, f"{args.out}.sumstats.gz")
    dropped = ", ".join(f"{k} {v}" for k, v in munged.dropped.items() if v) or "none"
    log.info(
        "%d variants written to %s.sumstats.gz (dropped: %s)",
        munged.table.height,
        args.out,
        dropped,
    )
    return 0


def _run_h2(args: argparse.Namespace) -> int:
    if (args.samp_prev is None) != (args.pop_prev is None):
        raise ParameterError("--samp-prev and --pop-prev go together.")
    ref, weights = _ld(args)
    rows = []
    for name, table in _studies(args.sumstats, args.n).items():
        result = estimate_h2(
            table,
            ref,
            weights,
            intercept=args.intercept_h2,
            two_step=args.two_step,
            chisq_max=args.chisq_max,
            n_blocks=args.n_blocks,
            sample_prevalence=args.samp_prev,
            population_prevalence=args.pop_prev,
            name=name,
        )
        if result.h2 < 0:
            log.warning(
                "%s: negative h² estimate (%.4g, SE %.2g): too little signal or N too "
                "small for LD score regression",
                name,
                result.h2,
                result.h2_se,
            )
        log.info(
            "%s: h² %.4f (%.4f), intercept %.4f (%.4f), lambda GC %.4f, mean chi² %.4f",
            name,
            result.h2,
            result.h2_se,
            result.intercept,
            result.intercept_se,
            result.lambda_gc,
            result.mean_chisq,
        )
        rows.append({"study": name, **result.as_row()})
    write_table(pl.DataFrame(rows), args.out, metadata=_provenance(args))
    return 0


def _run_rg(args: argparse.Namespace) -> int:
    if len(args.sumstats) < 2:
        raise ParameterError("rg needs at least two summary statistics files.")
    ref, weights = _ld(args)
    icpt = args.intercept_h2
    table = rg_matrix(
        _studies(args.sumstats, args.n),
        ref,
        weights,
        intercept_h2=(icpt, icpt),
        intercept_gencov=args.intercept_gencov,
        two_step=args.two_step,
        chisq_max=args.chisq_max,
        n_blocks=args.n_blocks,
    )
    for row in table.iter_rows(named=True):
        log.info(
            "%s ~ %s: rg %.4f (%.4f), cross-trait intercept %.4f (%.4f)",
            row["study1"],
            row["study2"],
            row["rg"],
            row["rg_se"],
            row["gencov_intercept"],
            row["gencov_intercept_se"],
        )
    write_table(table, args.out, metadata=_provenance(args))
    return 0


def _provenance(args: argparse.Namespace) -> dict[str, object]:
    return {
        "method": "LD score regression (Bulik-Sullivan et al. 2015, doi:10.1038/ng.3211)",
        "studies": [Path(p).name for p in args.sumstats],
        "ref_ld": Path(args.ref_ld).name,
        "w_ld": Path(args.w_ld).name,
        "two_step": args.two_step,
        "chisq_max": args.chisq_max,
        "n_blocks": args.n_blocks,
    }
