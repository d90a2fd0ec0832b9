"""``gwaskit simulate --out DIR``: a simulated consortium with known truth (see
:mod:`gwaskit.simulate`)."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gwaskit.cli import _options
from gwaskit.errors import ParameterError

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "simulate",
        parents=[common],
        help="simulate a consortium of case/control cohorts with LD and planted loci",
        description=(
            "Simulate cohorts with real linkage disequilibrium (msprime, two sub-populations), "
            "a liability-threshold phenotype with planted causal variants, and write per cohort "
            "a PLINK 1 fileset, a phenotype and a covariate file, plus truth.tsv and cohorts.tsv."
        ),
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--cohorts", type=int, default=3, metavar="N", help="cohorts (default 3)")
    parser.add_argument(
        "--samples",
        default="2000",
        metavar="N[,N...]",
        help="samples per cohort: one number (cohort sizes fall evenly from N to N/2) or one "
        "per cohort (default 2000)",
    )
    parser.add_argument(
        "--variants", type=int, default=20_000, metavar="N", help="variants (default 20000)"
    )
    parser.add_argument(
        "--chromosomes", type=int, default=4, metavar="K", help="chromosomes 1..K (default 4)"
    )
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    parser.add_argument(
        "--prevalence",
        type=_options.proportion,
        default=1 / 7,
        metavar="F",
        help="prevalence (default 1/7)",
    )
    parser.add_argument(
        "--case-fraction",
        type=float,
        default=0.5,
        metavar="F",
        help="fraction of cases among the samples (default 0.5; 0 for a population sample)",
    )
    parser.add_argument(
        "--missing-rate",
        type=float,
        default=None,
        metavar="F",
        help="missing-call rate (default: from 0.5%% in the first cohort to 2%% in the last)",
    )
    parser.add_argument(
        "--quantitative", action="store_true", help="a quantitative trait instead of binary"
    )
    parser.add_argument("--null", action="store_true", help="no causal variants (calibration)")
    parser.add_argument(
        "--heterogeneous",
        action="store_true",
        help="add a locus whose odds ratio differs between cohorts (1.0 to 1.3)",
    )
    parser.add_argument(
        "--subpop-covariate",
        action="store_true",
        help="write the sub-population label as a covariate column 'subpop'",
    )
    return parser


def _parse_samples(text: str) -> int | tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ParameterError(
            f"--samples must be an integer or a comma-separated list of integers, got {text!r}."
        ) from None
    return values[0] if len(values) == 1 else values


def run(args: argparse.Namespace) -> int:
    # msprime takes seconds to import: only when simulating, not for every gwaskit command
    from gwaskit.simulate import default_spec, simulate_consortium, write_consortium

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out must be a folder, got the file {str(out)!r}.")
    if args.seed < 0:
        raise ParameterError(f"--seed must be a non-negative integer, got {args.seed!r}.")
    if not 0 <= args.case_fraction < 1:
        raise ParameterError(f"--case-fraction must be in [0, 1), got {args.case_fraction!r}.")
    spec = default_spec(
        n_cohorts=args.cohorts,
        n_samples=_parse_samples(args.samples),
        n_variants=args.variants,
        n_chromosomes=args.chromosomes,
        prevalence=args.prevalence,
        case_fraction=args.case_fraction or None,
        missing_rate=args.missing_rate,
        quantitative=args.quantitative,
        null=args.null,
        heterogeneous=args.heterogeneous,
    )
    start = time.perf_counter()
    consortium = simulate_consortium(
        spec, seed=args.seed, threads=args.threads, progress=not args.no_progress
    )
    simulated = time.perf_counter() - start
    paths = write_consortium(consortium, out, subpop_covariate=args.subpop_covariate)
    log.debug("simulated in %.1f s, written in %.1f s", simulated, time.perf_counter() - start)
    table = Table(title=f"{out}: {spec.trait} trait, seed {args.seed}")
    for column in ("cohort", "samples", "cases", "controls", "variants", "missing", "file"):
        table.add_column(column, justify="left" if column in ("cohort", "file") else "right")
    for cohort in consortium.cohorts:
        table.add_row(
            cohort.name,
            f"{cohort.n_samples:,}",
            f"{cohort.n_cases:,}" if cohort.trait == "binary" else "-",
            f"{cohort.n_controls:,}" if cohort.trait == "binary" else "-",
            f"{cohort.genotypes.shape[1]:,}",
            f"{cohort.missing_rate:.2%}",
            paths.genotypes[cohort.name].name,
        )
    console = Console()
    console.print(table)
    console.print(
        f"{consortium.truth.height} causal variants in "
        f"{consortium.truth['locus_id'].n_unique()} loci: {paths.truth}"
    )
    return 0
