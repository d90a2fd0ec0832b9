"""``gwaskit replicate LOCI --study NAME=SUMSTATS ...``: look discovery leads up in replication
studies."""

from __future__ import annotations

import argparse
import logging

from gwaskit.cli._inputs import build_of, read_checked_sumstats, read_loci
from gwaskit.errors import BuildMismatchError, ParameterError
from gwaskit.io.tables import write_table
from gwaskit.loci.replicate import replicate_loci

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "replicate",
        parents=[common],
        help="replication of loci in other studies: concordance, one-sided p, sign test",
        description=(
            "Look up each locus lead in replication summary statistics (aligned by alleles). "
            "Writes PREFIX.* (the Loci table with replication columns) and PREFIX.summary.*."
        ),
    )
    parser.add_argument(
        "loci", metavar="LOCI", help="Loci table of `gwaskit loci` (.parquet or .tsv.gz)"
    )
    parser.add_argument(
        "--study",
        action="append",
        required=True,
        metavar="NAME=SUMSTATS",
        help="a replication study (repeatable)",
    )
    parser.add_argument("--alpha", type=float, default=0.05, help="family-wise alpha (0.05)")
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


def run(args: argparse.Namespace) -> int:
    loci, meta = read_loci(args.loci)
    build = meta.get("genome_assembly")
    studies = {}
    for spec in args.study:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ParameterError(f"--study must be NAME=SUMSTATS, got {spec!r}.")
        if name in studies:
            raise ParameterError(f"--study: the name {name!r} is used twice.")
        table, smeta = read_checked_sumstats(path)
        other = build_of(smeta, None, path)
        if build and other and other != build:
            raise BuildMismatchError(f"{path}: study is on {other} but the loci are on {build}.")
        studies[name] = table
    out, summary = replicate_loci(loci, studies, alpha=args.alpha)
    metadata = {**meta, "replication_studies": list(studies), "alpha": args.alpha}
    write_table(out, args.out, metadata=metadata)
    write_table(summary, f"{args.out}.summary", metadata=metadata)
    row = summary.row(0, named=True)
    log.info(
        "%d of %d loci found; %d concordant (sign test -log10 p %.2f); %d replicated",
        row["n_found"],
        row["n_loci"],
        row["n_concordant"],
        row["sign_test_neg_log_10_p"],
        row["n_replicated"],
    )
    return 0
