"""``gwaskit report RESULTS_DIR --out report.html``: one self-contained HTML report."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from gwaskit.errors import InputError

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
    return parser


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise InputError(out, "--out must be a file name, got a folder.")
    if not out.parent.is_dir():
        raise InputError(out.parent, "output folder does not exist; create it first.")
    from gwaskit.report import load_report_inputs, write_report  # matplotlib: only when needed

    inputs = load_report_inputs(args.results)
    write_report(inputs, out, dpi=args.dpi)
    log.info("report written to %s", out)
    return 0
