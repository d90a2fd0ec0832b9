"""``gwaskit replicate LOCI --study NAME=SUMSTATS ...``: look discovery leads up in replication
studies."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from gwaskit.build.check import resolve_build
from gwaskit.cli import _options
from gwaskit.cli._inputs import build_of, check_distinct_rows, read_checked_sumstats, read_loci
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.duplicates import ALLOW_DUPLICATES, check_distinct_files
from gwaskit.io.outputs import sha256
from gwaskit.io.tables import write_table
from gwaskit.loci.define import drop_untestable
from gwaskit.loci.replicate import replicate_loci
from gwaskit.meta.duplicates import rows_fingerprint

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
    parser.add_argument(
        "--alpha", type=_options.probability, default=0.05, help="family-wise alpha (0.05)"
    )
    parser.add_argument(
        ALLOW_DUPLICATES,
        action="store_true",
        help="accept two studies with identical files or identical rows (refused by default)",
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


def run(args: argparse.Namespace) -> int:
    loci, meta = read_loci(args.loci)
    loci, untestable = drop_untestable(loci)
    if untestable:
        log.warning(
            "%s: %d locus/loci whose lead has no p-value (NA/NaN) skipped", args.loci, untestable
        )
    build = meta.get("genome_assembly")
    skipped = {"loci": untestable}
    files: dict[str, Path] = {}
    for spec in args.study:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ParameterError(f"--study must be NAME=SUMSTATS, got {spec!r}.")
        if name in files:
            raise ParameterError(f"--study: the name {name!r} is used twice.")
        files[name] = Path(path)
    # the discovery summary statistics the loci came from are no replication of themselves
    # (the loci record their source by name, size and checksum, never by path)
    source = meta.get("source")
    if isinstance(source, dict) and source.get("sha256") and not args.allow_duplicate_studies:
        for name, path in files.items():
            if (
                path.is_file()
                and path.stat().st_size == source.get("bytes")
                and sha256(path) == source["sha256"]
            ):
                raise InputError(
                    path,
                    f"study {name!r} is the discovery summary statistics the loci came from "
                    f"({source.get('file')}, same SHA-256); a study is no replication of itself. "
                    f"Give an independent study, or add {ALLOW_DUPLICATES} if it really is one.",
                )
    discovery = {}
    if isinstance(source, str) and Path(source).is_file():
        discovery = {"discovery": Path(source)}
    check_distinct_files({**discovery, **files}, allow=args.allow_duplicate_studies)
    studies = {}
    read: dict[Path, object] = {}
    fingerprints = {}
    for name, path in files.items():
        table, smeta = read_checked_sumstats(path)
        read[path] = table
        fingerprints[name] = rows_fingerprint(table)
        resolve_build(
            build,
            build_of(smeta, None, path),
            str(path),
            message="{source}: study is on {found} but the loci are on {declared}; lift it "
            "over (`gwaskit liftover`).",
        )
        table, skipped[name] = drop_untestable(table)
        if skipped[name]:
            log.warning(
                "%s: %d untestable variant(s) (no p-value: NA/NaN) skipped", path, skipped[name]
            )
        studies[name] = table
    check_distinct_rows(fingerprints, files, read.__getitem__, allow=args.allow_duplicate_studies)
    out, summary = replicate_loci(loci, studies, alpha=args.alpha)
    metadata = {
        **meta,
        "replication_studies": list(studies),
        "alpha": args.alpha,
        "n_untestable_skipped": skipped,
    }
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
