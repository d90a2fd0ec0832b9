"""``gwaskit coloc SUMSTATS1 SUMSTATS2``: colocalisation (coloc.abf, SuSiE-coloc) per locus."""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path

import polars as pl

from gwaskit import choices
from gwaskit.build.check import common_build
from gwaskit.cli._inputs import build_of, read_checked_sumstats, read_loci
from gwaskit.errors import ParameterError
from gwaskit.finemap.coloc import coloc_loci
from gwaskit.io import open_genotypes
from gwaskit.io.tables import write_table

log = logging.getLogger(__name__)

_REGION = re.compile(r"^(?:chr)?([0-9A-Za-z]+):([0-9,]+)-([0-9,]+)$")


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "coloc",
        parents=[common],
        help="colocalisation of two traits per locus (coloc.abf, SuSiE-coloc)",
        description=(
            "Posterior probabilities that two traits share a causal variant in each locus "
            "(coloc.abf: H0 none, H1/H2 one trait, H3 distinct variants, H4 shared), with the "
            "per-variant posterior of H4; with --ld-ref also SuSiE-coloc over every pair of "
            "credible sets. Writes PREFIX.parquet/.tsv.gz (one row per locus), PREFIX.snp.* "
            "and, with --ld-ref, PREFIX.susie.*."
        ),
    )
    parser.add_argument("sumstats1", metavar="SUMSTATS1", help="first trait (.parquet or .tsv.gz)")
    parser.add_argument("sumstats2", metavar="SUMSTATS2", help="second trait")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--loci", metavar="LOCI", help="Loci table (.parquet) of the regions")
    where.add_argument("--region", metavar="CHR:START-END", help="one region")
    parser.add_argument("--p1", type=float, default=1e-4, help="prior: causal for trait 1 (1e-4)")
    parser.add_argument("--p2", type=float, default=1e-4, help="prior: causal for trait 2 (1e-4)")
    parser.add_argument("--p12", type=float, default=1e-5, help="prior: causal for both (1e-5)")
    parser.add_argument(
        "--p12-susie", type=float, default=5e-6, help="SuSiE-coloc prior for both (5e-6)"
    )
    for k in (1, 2):
        parser.add_argument(
            f"--trait{k}",
            choices=["quantitative", "binary"],
            default="quantitative",
            help=f"trait {k} type, for the default prior SD (quantitative)",
        )
        parser.add_argument(f"--prior-sd{k}", type=float, help=f"trait {k}: prior effect SD")
        parser.add_argument(f"--n{k}", type=float, help=f"trait {k}: sample size if not in file")
    parser.add_argument("--ld-ref", metavar="GENOTYPES", help="LD panel: adds SuSiE-coloc")
    parser.add_argument(
        "--build", choices=choices.BUILDS, help="build of the inputs, if metadata lacks it"
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


def _region_table(text: str) -> pl.DataFrame:
    m = _REGION.match(text.strip())
    if m is None:
        raise ParameterError(f"--region must look like 8:97000000-99000000, got {text!r}.")
    chrom, start, end = (
        m.group(1),
        int(m.group(2).replace(",", "")),
        int(m.group(3).replace(",", "")),
    )
    if end < start:
        raise ParameterError(f"--region: end {end} is before start {start}.")
    return pl.DataFrame(
        {
            "locus_id": [f"chr{chrom}:{start}-{end}"],
            "chromosome": [chrom],
            "start": [start],
            "end": [end],
        }
    )


def run(args: argparse.Namespace) -> int:
    first, meta1 = read_checked_sumstats(args.sumstats1)
    second, meta2 = read_checked_sumstats(args.sumstats2)
    build = build_of(meta1, args.build, args.sumstats1)
    build2 = build_of(meta2, args.build, args.sumstats2)
    common_build({"SUMSTATS1": build, "SUMSTATS2": build2}, what="inputs")
    loci = read_loci(args.loci)[0] if args.loci else _region_table(args.region)
    reference = open_genotypes(args.ld_ref, build=build) if args.ld_ref else None
    try:
        summary, variants, pairs = coloc_loci(
            first,
            second,
            loci,
            p1=args.p1,
            p2=args.p2,
            p12=args.p12,
            trait1=args.trait1,
            trait2=args.trait2,
            prior_sd1=args.prior_sd1,
            prior_sd2=args.prior_sd2,
            n1=args.n1,
            n2=args.n2,
            reference=reference,
            p12_susie=args.p12_susie,
        )
    finally:
        if reference is not None:
            reference.close()
    metadata = {
        "genome_assembly": build,
        "sources": [Path(args.sumstats1).name, Path(args.sumstats2).name],
        "p1": args.p1,
        "p2": args.p2,
        "p12": args.p12,
        "ld_reference": Path(args.ld_ref).name if args.ld_ref else None,
    }
    write_table(summary, args.out, metadata=metadata)
    write_table(variants, f"{args.out}.snp", metadata=metadata)
    if reference is not None:
        write_table(pairs, f"{args.out}.susie", metadata=metadata | {"p12": args.p12_susie})
    log.info("coloc of %d loci written to %s.parquet", summary.height, args.out)
    return 0
