"""``gwaskit info GENOTYPES``: what a genotype file holds."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from gwaskit import choices
from gwaskit.io import open_genotypes
from gwaskit.qc.summary import summarise_genotypes


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "info",
        parents=[common],
        help="describe a genotype file: samples, variants, chromosomes, build, missingness",
        description=(
            "Describe a genotype file (.bed/.pgen prefix, .vcf[.gz]/.bcf, .bgen or Oxford "
            ".gen/.haps): counts, and what the reader did (multi-allelic records split, "
            "variants skipped as PLINK skips them)."
        ),
    )
    parser.add_argument("genotypes", metavar="GENOTYPES", help="genotype file or PLINK prefix")
    parser.add_argument(
        "--sample",
        metavar="FILE",
        help="the Oxford .sample of a .bgen/.gen without one beside it (plink2's --sample)",
    )
    parser.add_argument(
        "--build", choices=choices.BUILDS, help="genome build, if the file does not say"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    with open_genotypes(args.genotypes, build=args.build, sample=args.sample) as source:
        summary = summarise_genotypes(source, threads=args.threads)
        summary.update(source.notes)
    table = Table(title=str(source.path), show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        table.add_row(
            key,
            value
            if isinstance(value, str)
            else f"{value:,}"
            if isinstance(value, int)
            else f"{value:.4g}",
        )
    Console().print(table)
    return 0
