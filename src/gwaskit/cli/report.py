"""``gwaskit report RESULTS_DIR --out report.html``: one self-contained HTML report."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from gwaskit import choices
from gwaskit.errors import InputError
from gwaskit.qc.inflation import LAMBDA_WARN

if TYPE_CHECKING:
    from gwaskit.report import ReportInputs

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report",
        parents=[common],
        help="write one self-contained HTML report of a results folder",
        description=(
            "Write one self-contained HTML file (figures, tables, provenance; nothing fetched "
            "from the network) from a results folder laid out as docs/results-layout.md says."
        ),
    )
    parser.add_argument("results", metavar="RESULTS_DIR", help="folder the pipeline wrote")
    parser.add_argument(
        "--out", required=True, metavar="FILE", help="HTML file to write (e.g. report.html)"
    )
    parser.add_argument(
        "--dpi", type=int, default=110, help="resolution of the figures (default: 110)"
    )
    parser.add_argument(
        "--build",
        choices=choices.BUILDS,
        help="genome build: gene tracks from the bundled GENCODE tables when the folder has no "
        "genes.parquet",
    )
    parser.add_argument(
        "--ld-ref",
        metavar="GENOTYPES",
        help="LD reference panel: r² of each locus's variants with its lead, for the regional "
        "plots of loci without an ld/ table",
    )
    parser.add_argument(
        "--genetic-map",
        metavar="FILE",
        help="genetic map (PLINK .map, HapMap, SHAPEIT2/IMPUTE2 or SHAPEIT4 format): the "
        "recombination-rate track of the regional plots (default: none)",
    )
    parser.add_argument(
        "--lambda-warn",
        type=float,
        default=LAMBDA_WARN,
        metavar="L",
        help="warn (in the report and here) when a study's or the meta-analysis' lambda GC is "
        f"above L (default: {LAMBDA_WARN}; inf: never)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise InputError(out, "--out must be a file name, got a folder.")
    if not out.parent.is_dir():
        raise InputError(out.parent, "output folder does not exist; create it first.")
    from gwaskit.qc.inflation import check_lambda_warn
    from gwaskit.report import load_report_inputs, write_report  # matplotlib: only when needed

    lambda_warn = check_lambda_warn(args.lambda_warn)
    inputs = _complete(load_report_inputs(args.results), build=args.build, ld_ref=args.ld_ref)
    if args.genetic_map is not None:
        from gwaskit.io.genetic_map import read_genetic_map

        genetic_map = read_genetic_map(args.genetic_map)
        inputs = dataclasses.replace(inputs, genetic_map=genetic_map)
    write_report(inputs, out, dpi=args.dpi, lambda_warn=lambda_warn)
    log.info("report written to %s", out)
    return 0


def _complete(inputs: ReportInputs, *, build: str | None, ld_ref: str | None) -> ReportInputs:
    """Add what only the pipeline writes to a folder assembled from the verbs' outputs: gene
    coordinates for ``build`` and LD with each lead on the ``ld_ref`` panel (tables the folder
    already holds are kept)."""
    changes: dict[str, Any] = {}
    if build is not None and inputs.genes is None:
        from gwaskit.annotate.genes import load_genes

        genes = load_genes(build)
        changes["genes"] = genes.rename({"symbol": "gene_name"})
    gw = inputs.genome_wide
    if ld_ref is not None and inputs.loci is not None and gw is not None:
        from gwaskit.io import open_genotypes
        from gwaskit.loci.ld import lead_r2

        ld = dict(inputs.ld)
        with open_genotypes(ld_ref, build=build) as source:
            for locus in inputs.loci.iter_rows(named=True):
                if locus["locus_id"] in ld or locus.get("variant_id") is None:
                    continue
                position = locus["base_pair_location"]
                start, end = locus.get("start") or position, locus.get("end") or position
                region = gw.filter(
                    (pl.col("chromosome") == str(locus["chromosome"]))
                    & pl.col("base_pair_location").is_between(start, end)
                )
                ld[locus["locus_id"]] = lead_r2(source, region, locus["variant_id"])
        changes["ld"] = ld
    return dataclasses.replace(inputs, **changes) if changes else inputs
