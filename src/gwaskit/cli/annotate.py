"""``gwaskit annotate LOCI``: genes at each locus and, with summary statistics and an LD
reference, gene-level association and tissue enrichment (GTEx)."""

from __future__ import annotations

import argparse
import logging

from gwaskit import choices
from gwaskit.annotate.genes import annotate_genes, load_genes
from gwaskit.annotate.tissues import gene_association, tissue_enrichment
from gwaskit.build.check import resolve_build
from gwaskit.cli import _options
from gwaskit.cli._inputs import build_of, read_checked_sumstats, read_loci
from gwaskit.errors import ParameterError
from gwaskit.io import open_genotypes
from gwaskit.io.tables import write_table
from gwaskit.loci.define import drop_untestable

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "annotate",
        parents=[common],
        help="genes at each locus; gene-level association and tissue enrichment",
        description=(
            "Name loci by their genes (bundled GENCODE v32). Writes PREFIX.* (Loci), "
            "PREFIX.genes.*; with --sumstats and --ld-ref also PREFIX.gene_association.* and "
            "PREFIX.tissues.*."
        ),
    )
    parser.add_argument(
        "loci", metavar="LOCI", help="Loci table of `gwaskit loci` (.parquet or .tsv.gz)"
    )
    parser.add_argument("--build", choices=choices.BUILDS, help="genome build of LOCI")
    parser.add_argument("--sumstats", metavar="FILE", help="summary statistics (tissue step)")
    parser.add_argument("--ld-ref", metavar="GENOTYPES", help="LD reference panel")
    parser.add_argument(
        "--window-kb", type=_options.window_kb, default=500, help="gene window (500 kb)"
    )
    parser.add_argument(
        "--all-genes", action="store_true", help="all GENCODE genes, not only protein-coding"
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
    skipped = {"loci": untestable}
    build = build_of(meta, args.build, args.loci)
    if build is None:
        raise ParameterError("--build: the loci do not say their genome build; add --build.")
    if args.sumstats and not args.ld_ref:
        raise ParameterError("--sumstats needs --ld-ref for the gene-level test.")
    sumstats = None
    if args.sumstats:
        sumstats, smeta = read_checked_sumstats(args.sumstats)
        sumstats, skipped["sumstats"] = drop_untestable(sumstats)
        if skipped["sumstats"]:
            log.warning(
                "%s: %d untestable variant(s) (no p-value: NA/NaN) skipped",
                args.sumstats,
                skipped["sumstats"],
            )
        resolve_build(
            build,
            build_of(smeta, None, args.sumstats),
            args.sumstats,
            message="{source}: on {found} but the loci are on {declared}.",
        )
    reference = open_genotypes(args.ld_ref, build=build) if args.ld_ref else None
    try:
        genes = load_genes(build, coding_only=not args.all_genes)
        out, long = annotate_genes(loci, genes=genes, window_kb=args.window_kb, reference=reference)
        tables = {"": out, ".genes": long}
        if sumstats is not None:
            assoc = gene_association(sumstats, reference, genes)
            tables[".gene_association"] = assoc
            tables[".tissues"] = tissue_enrichment(assoc)
    finally:
        if reference is not None:
            reference.close()
    metadata = {
        **meta,
        "genome_assembly": build,
        "gene_table": f"GENCODE v32 {build}",
        "n_untestable_skipped": skipped,
    }
    for suffix, table in tables.items():
        write_table(table, f"{args.out}{suffix}", metadata=metadata)
    log.info("annotated %d loci", out.height)
    return 0
