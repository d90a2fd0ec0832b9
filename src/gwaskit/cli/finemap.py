"""``gwaskit finemap SUMSTATS --loci LOCI --ld-ref GENOTYPES``: credible sets per locus
(SuSiE-RSS, or Wakefield ABF per conditional signal)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from threadpoolctl import threadpool_limits

from gwaskit import choices
from gwaskit.build.check import resolve_build
from gwaskit.cli._inputs import build_of, read_checked_sumstats, read_loci
from gwaskit.errors import ParameterError
from gwaskit.finemap.loci import finemap_loci
from gwaskit.io import open_genotypes
from gwaskit.io.outputs import file_record
from gwaskit.io.tables import write_table

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "finemap",
        parents=[common],
        help="fine-map loci: SuSiE-RSS or ABF credible sets with PIPs",
        description=(
            "Fine-map every locus of a Loci table (from `gwaskit loci`) on an LD reference "
            "panel: SuSiE-RSS (susieR's IBSS, up to --max-effects signals) or single-signal "
            "Wakefield ABF per COJO signal, conditioned on the others. Checks the LD matrix "
            "and the z-scores against it (allele flips) first. Writes PREFIX.parquet and "
            "PREFIX.tsv.gz (per variant: pip, posterior_mean, posterior_sd, credible_set) and "
            "PREFIX.sets.* (one row per credible set)."
        ),
    )
    parser.add_argument("sumstats", metavar="SUMSTATS", help="gwaskit .parquet or GWAS-SSF .tsv.gz")
    parser.add_argument("--loci", required=True, metavar="LOCI", help="Loci table (.parquet)")
    parser.add_argument(
        "--ld-ref", required=True, metavar="GENOTYPES", help="LD reference panel (or the sample)"
    )
    parser.add_argument(
        "--method",
        choices=choices.FINEMAP_METHODS,
        default="susie",
        help="fine-mapping method (susie)",
    )
    parser.add_argument(
        "--max-effects", type=int, default=10, help="SuSiE: most causal signals per locus (10)"
    )
    parser.add_argument("--n", type=float, help="GWAS sample size where the table has no n")
    parser.add_argument("--coverage", type=float, default=0.95, help="credible-set level (0.95)")
    parser.add_argument(
        "--min-abs-corr", type=float, default=0.5, help="SuSiE purity threshold (0.5)"
    )
    parser.add_argument(
        "--estimate-residual-variance",
        action="store_true",
        help="SuSiE: estimate the residual variance (only with in-sample LD)",
    )
    parser.add_argument(
        "--prior-weights",
        metavar="COLUMN",
        help="SuSiE: column of per-variant prior weights (e.g. PolyFun SNPVAR)",
    )
    parser.add_argument(
        "--z-check",
        choices=choices.Z_CHECKS,
        default="error",
        help="z-scores inconsistent with the LD (allele flips): stop, warn or skip (error)",
    )
    parser.add_argument(
        "--trait",
        choices=["quantitative", "binary"],
        default="quantitative",
        help="ABF: trait type for the default prior SD (quantitative: 0.15 sdY; binary: 0.2)",
    )
    parser.add_argument("--prior-sd", type=float, help="ABF: prior SD of the effect")
    parser.add_argument("--p", type=float, default=5e-8, help="ABF: COJO signal threshold (5e-8)")
    parser.add_argument(
        "--build", choices=choices.BUILDS, help="build of SUMSTATS, if its metadata lacks it"
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


def run(args: argparse.Namespace) -> int:
    if not 0 < args.coverage < 1:
        raise ParameterError(f"--coverage must be in (0, 1), got {args.coverage!r}.")
    if not 1 <= args.max_effects <= 50:
        raise ParameterError(f"--max-effects must be in 1..50, got {args.max_effects!r}.")
    sumstats, meta = read_checked_sumstats(args.sumstats)
    build = build_of(meta, args.build, args.sumstats)
    loci, _ = read_loci(args.loci)
    reference = open_genotypes(args.ld_ref, build=build)
    try:
        resolve_build(
            build,
            reference.build,
            args.ld_ref,
            message="{source}: --ld-ref is {found} but the summary statistics are {declared}.",
        )
        # one BLAS thread: the same bytes on a Dask worker and locally (LD products are small)
        with threadpool_limits(limits=1):
            variants, sets = finemap_loci(
                sumstats,
                loci,
                reference,
                method=args.method,
                n=args.n,
                max_effects=args.max_effects,
                coverage=args.coverage,
                min_abs_corr=args.min_abs_corr,
                estimate_residual_variance=args.estimate_residual_variance,
                prior_weights=args.prior_weights,
                z_check=args.z_check,
                trait=args.trait,
                prior_sd=args.prior_sd,
                p=args.p,
            )
    finally:
        reference.close()
    metadata = {
        "genome_assembly": build,
        "source": file_record(args.sumstats),
        "loci": Path(args.loci).name,
        "ld_reference": Path(args.ld_ref).name,
        "method": args.method,
        "max_effects": args.max_effects if args.method == "susie" else None,
        "coverage": args.coverage,
        "min_abs_corr": args.min_abs_corr if args.method == "susie" else None,
    }
    write_table(variants, args.out, metadata=metadata)
    write_table(sets, f"{args.out}.sets", metadata=metadata)
    log.info(
        "%d credible sets over %d loci written to %s.sets.parquet",
        sets.height,
        loci.height,
        args.out,
    )
    return 0
