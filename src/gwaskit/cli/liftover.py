"""``gwaskit liftover --sumstats FILE --chain FILE --to GRCh38 --out PREFIX``: summary
statistics from one genome build to the other with a UCSC chain file.

Reads any summary-statistics layout gwaskit reads; writes ``PREFIX.parquet`` + ``PREFIX.tsv.gz``
(GWAS-SSF, the new build in its metadata, with a ``liftover`` record: chain, builds, counts) and
``PREFIX.unmapped.parquet``/``.tsv.gz``, every row that could not be lifted with its reason
(:data:`gwaskit.build.liftover.REASONS`).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import polars as pl

from gwaskit import __version__, choices
from gwaskit.build.liftover import REASONS, lift_sumstats_to, prepare_liftover
from gwaskit.errors import InputError
from gwaskit.io.chain import read_chain
from gwaskit.io.outputs import file_record
from gwaskit.io.sumstats import read_sumstats, write_sumstats
from gwaskit.io.tables import write_table

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "liftover",
        parents=[common],
        help="lift summary statistics between GRCh37 and GRCh38 with a UCSC chain file",
        description=(
            "Lift summary statistics (any layout gwaskit reads) to another genome build with a "
            "UCSC chain file (hg19ToHg38.over.chain.gz / hg38ToHg19.over.chain.gz). Alleles on "
            "reverse-strand blocks are complemented. Writes PREFIX.* (GWAS-SSF, the new build "
            "in its metadata) and PREFIX.unmapped.*, each row not lifted with its reason."
        ),
    )
    parser.add_argument("--sumstats", required=True, metavar="FILE", help="summary statistics")
    parser.add_argument("--chain", required=True, metavar="FILE", help="UCSC chain file (.gz)")
    parser.add_argument("--to", required=True, choices=choices.BUILDS, help="the build to lift to")
    parser.add_argument(
        "--build",
        choices=choices.BUILDS,
        help="build of --sumstats when neither its metadata nor its positions tell it",
    )
    parser.add_argument(
        "--allow-chromosome-change",
        action="store_true",
        help="keep variants the chain moves to another chromosome (default: unmapped, reason "
        "other_chromosome)",
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InputError(out.parent, "output folder does not exist; create it first.")
    liftover = prepare_liftover(read_chain(args.chain), target_build=args.to)
    table, meta = read_sumstats(args.sumstats, build=args.build)
    if meta.get("genome_assembly") is None:
        raise InputError(
            args.sumstats,
            "its genome build is unknown (no metadata, and too few HapMap3 SNPs to tell it from "
            f"positions); declare it with --build {liftover.source_build} if it is that.",
        )
    lifted, lifted_meta, unmapped = lift_sumstats_to(
        table, meta, liftover, source=str(args.sumstats)
    )
    if unmapped is None:
        log.warning("%s is already on %s: written unchanged", args.sumstats, args.to)
        unmapped = table.clear().with_columns(
            pl.lit(None, pl.String).alias(c)
            for c in ("reason", "reason_text", "target_chromosome", "target_position")
        )
    dropped = ("source", "format", "build_detected")
    metadata = {
        **{k: v for k, v in lifted_meta.items() if k not in dropped},
        "genome_assembly": args.to,
        "gwaskit_version": __version__,
        "analysis": "liftover",
        "inputs": {"sumstats": file_record(args.sumstats), "chain": file_record(args.chain)},
    }
    written = write_sumstats(lifted, out, metadata=metadata)
    written += write_table(
        unmapped,
        out.with_name(out.name + ".unmapped"),
        metadata={"genome_assembly": meta["genome_assembly"]},
    )
    counts = lifted_meta.get("liftover", {})
    reasons = ", ".join(f"{k}: {counts[k]}" for k in REASONS if counts.get(k))
    log.info(
        "%d of %d rows lifted from %s to %s; %d not lifted%s",
        lifted.height,
        table.height,
        liftover.source_build,
        args.to,
        table.height - lifted.height,
        f" ({reasons})" if reasons else "",
    )
    for path in written:
        log.info("wrote %s", path)
    return 0
