"""``gwaskit loci SUMSTATS``: genome-wide significant loci, optionally clumped on an LD
reference, with independent signals (COJO) and known/new status."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from gwaskit import choices
from gwaskit.build.check import resolve_build
from gwaskit.cli import _options
from gwaskit.cli._inputs import build_of, read_checked_sumstats, read_known
from gwaskit.errors import ParameterError
from gwaskit.io import open_genotypes
from gwaskit.io.outputs import file_record
from gwaskit.io.tables import write_table
from gwaskit.loci.cojo import cojo_loci
from gwaskit.loci.define import define_loci, drop_untestable
from gwaskit.loci.novelty import annotate_novelty

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "loci",
        parents=[common],
        help="define risk loci from summary statistics (windows or LD clumping, COJO, novelty)",
        description=(
            "Cut genome-wide significant variants into loci: by distance (lead ± --window-kb), or "
            "by PLINK-style LD clumping when --ld-ref is given. Writes PREFIX.parquet and "
            "PREFIX.tsv.gz (and PREFIX.signals.* with --cojo)."
        ),
    )
    parser.add_argument(
        "sumstats",
        metavar="SUMSTATS",
        help="summary statistics: gwaskit .parquet or any text table (plain, gzip, bgzip, zstd)",
    )
    parser.add_argument("--ld-ref", metavar="GENOTYPES", help="LD reference panel")
    parser.add_argument(
        "--p", type=_options.probability, default=5e-8, help="significance threshold (5e-8)"
    )
    parser.add_argument(
        "--window-kb",
        type=_options.window_kb,
        default=500,
        help="locus window / clump window in kb (500)",
    )
    parser.add_argument(
        "--clump-r2", type=_options.probability, default=0.1, help="clumping r² (0.1)"
    )
    parser.add_argument(
        "--clump-p2",
        type=_options.probability,
        default=1e-2,
        help="clumping p for secondary variants (0.01)",
    )
    parser.add_argument(
        "--known", metavar="FILE", help="known loci (tsv: chr, pos and/or rsid; or a Loci table)"
    )
    parser.add_argument(
        "--known-build", choices=choices.BUILDS, help="build of the --known positions"
    )
    parser.add_argument(
        "--build", choices=choices.BUILDS, help="build of SUMSTATS, if its metadata lacks it"
    )
    parser.add_argument(
        "--cojo", action="store_true", help="conditional/joint analysis per locus (needs --ld-ref)"
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


def run(args: argparse.Namespace) -> int:
    if args.cojo and not args.ld_ref:
        raise ParameterError("--cojo needs an LD reference: add --ld-ref GENOTYPES.")
    sumstats, meta = read_checked_sumstats(args.sumstats)
    build = build_of(meta, args.build, args.sumstats)
    sumstats, untestable = drop_untestable(sumstats)
    if untestable:
        log.warning(
            "%s: %d untestable variant(s) (no p-value: NA/NaN) skipped; none can be a locus",
            args.sumstats,
            untestable,
        )
    known = read_known(args.known) if args.known else None
    reference = open_genotypes(args.ld_ref, build=build) if args.ld_ref else None
    try:
        if reference is not None:
            resolve_build(
                build,
                reference.build,
                args.ld_ref,
                message="{source}: --ld-ref is {found} but the summary statistics are {declared}.",
            )
        loci = define_loci(
            sumstats,
            p=args.p,
            window_kb=args.window_kb,
            reference=reference,
            clump_r2=args.clump_r2,
            clump_p2=args.clump_p2,
        )
        signals = None
        if args.cojo and loci.height:
            loci, signals = cojo_loci(sumstats, loci, reference, p=args.p, engine=None)
        if known is not None:
            try:
                loci = annotate_novelty(
                    loci,
                    known,
                    build=build,
                    known_build=args.known_build,
                    window_kb=args.window_kb,
                    reference=reference,
                    sumstats=sumstats,
                )
            except ParameterError as exc:
                if exc.parameter != "known_build":
                    raise
                raise ParameterError(
                    f"--known {args.known} gives positions, so their genome build must be "
                    "declared: add --known-build GRCh37 or GRCh38 (or a build column).",
                    parameter="known_build",
                ) from None
    finally:
        if reference is not None:
            reference.close()
    metadata = {
        "genome_assembly": build,
        "source": file_record(args.sumstats),
        "p": args.p,
        "window_kb": args.window_kb,
        "ld_reference": Path(args.ld_ref).name if args.ld_ref else None,
        "clump_r2": args.clump_r2 if args.ld_ref else None,
        "clump_p2": args.clump_p2 if args.ld_ref else None,
        "cojo": bool(args.cojo),
        "n_untestable_skipped": untestable,
    }
    write_table(loci, args.out, metadata=metadata)
    if signals is not None:
        write_table(signals, f"{args.out}.signals", metadata=metadata)
    log.info("%d loci written to %s.parquet", loci.height, args.out)
    return 0
