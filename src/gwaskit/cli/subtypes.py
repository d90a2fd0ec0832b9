"""``gwaskit subtypes --subtype A=SUMSTATS --subtype B=SUMSTATS --loci LOCI --out PREFIX``: per
locus, does the risk allele act on both case subsets, on one only, or on neither?"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import polars as pl

from gwaskit.cli._inputs import read_checked_sumstats, read_loci
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.tables import write_table
from gwaskit.subtypes.analyse import align_subtypes, analyse_subtypes, estimate_correlations
from gwaskit.subtypes.correlation import DEFAULT_NULL_P
from gwaskit.subtypes.model import DEFAULT_MODEL_WEIGHTS, DEFAULT_PRIOR_SD, DEFAULT_THRESHOLD

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "subtypes",
        parents=[common],
        help="per-locus subtype analysis: effect on both case subsets, on one only, or neither",
        description=(
            "Compare two case subsets (e.g. migraine with and without aura, each against shared "
            "controls) at each locus: the equal-effect test with correlated estimates and the "
            "Bayesian model comparison of Hautakangas et al. 2022 (NULL, FIXED, IND, A only, "
            "B only). The first two --subtype are compared; further ones enter the correlation "
            "table. Writes PREFIX.parquet and PREFIX.tsv.gz (one row per locus) and "
            "PREFIX.correlation.* (one row per pair of subtypes)."
        ),
    )
    parser.add_argument(
        "--subtype",
        action="append",
        required=True,
        metavar="NAME=SUMSTATS",
        help="a subtype's summary statistics; repeat (at least twice)",
    )
    parser.add_argument(
        "--loci", required=True, metavar="LOCI", help="loci (.parquet of `gwaskit loci`)"
    )
    parser.add_argument(
        "--r",
        type=float,
        metavar="R",
        help="correlation of the two subtypes' estimates (default: estimated from the variants "
        "null in both, outside the loci)",
    )
    parser.add_argument(
        "--null-p",
        type=float,
        default=DEFAULT_NULL_P,
        help=f"variants with p above this in both subtypes count as null ({DEFAULT_NULL_P})",
    )
    parser.add_argument(
        "--prior-sd",
        type=float,
        default=DEFAULT_PRIOR_SD,
        help=f"prior SD of a non-null effect, log odds scale ({DEFAULT_PRIOR_SD})",
    )
    parser.add_argument(
        "--model-weights",
        default=",".join(f"{w:g}" for w in DEFAULT_MODEL_WEIGHTS),
        metavar="W0,W1,W2,W3,W4",
        help="prior weights of NULL, FIXED, IND, A only, B only "
        f"({','.join(f'{w:g}' for w in DEFAULT_MODEL_WEIGHTS)})",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"posterior a call needs ({DEFAULT_THRESHOLD})",
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


def _parse_subtypes(values: list[str]) -> dict[str, Path]:
    subtypes: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ParameterError(f"--subtype must be NAME=SUMSTATS, got {value!r}.")
        if name in subtypes:
            raise ParameterError(f"--subtype: the name {name!r} is given twice; names must differ.")
        if not Path(path).is_file():
            raise InputError(path, "file not found.")
        subtypes[name] = Path(path)
    if len(subtypes) < 2:
        raise ParameterError(f"--subtype must be given at least twice, got {len(subtypes)}.")
    return subtypes


def _parse_weights(text: str) -> tuple[float, ...]:
    try:
        weights = tuple(float(w) for w in text.split(","))
    except ValueError:
        weights = ()
    if len(weights) != 5 or not all(w >= 0 for w in weights) or not any(w > 0 for w in weights):
        raise ParameterError(
            "--model-weights must be 5 non-negative numbers (NULL, FIXED, IND, A only, B only), "
            f"not all 0, got {text!r}."
        )
    return weights


def run(args: argparse.Namespace) -> int:
    subtypes = _parse_subtypes(args.subtype)
    weights = _parse_weights(args.model_weights)
    if args.r is not None and not -1.0 < args.r < 1.0:
        raise ParameterError(f"--r must be in (-1, 1), got {args.r!r}.")
    if not 0.0 < args.prior_sd < 10.0:
        raise ParameterError(f"--prior-sd must be in (0, 10), got {args.prior_sd!r}.")
    if not 0.5 <= args.threshold < 1.0:
        raise ParameterError(f"--threshold must be in [0.5, 1), got {args.threshold!r}.")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InputError(out.parent, "output folder does not exist; create it first.")
    loci, _ = read_loci(args.loci)
    tables = {name: read_checked_sumstats(path)[0] for name, path in subtypes.items()}
    aligned = align_subtypes(tables)
    if aligned.variants.height == 0:
        raise InputError(
            subtypes[aligned.names[0]], "no variant is shared with the other subtypes' files."
        )
    a, b = aligned.names[:2]
    if args.r is None:
        correlations = estimate_correlations(
            aligned, null_p=args.null_p, exclude=loci
        ).with_columns(source=pl.lit("null z-scores"))
        r = float(correlations["r"][0])
        log.info(
            "correlation of %s and %s: %.4f from %d null variants (%d inside loci left out)",
            a, b, r, correlations["n_variants"][0], correlations["n_in_loci"][0],
        )  # fmt: skip
    else:
        r = args.r
        try:
            correlations = estimate_correlations(aligned, null_p=args.null_p, exclude=loci)
        except ParameterError:  # too few variants to estimate: the given value only
            correlations = None
        given = {"subtype_a": a, "subtype_b": b, "r": r, "source": "given"}
        if correlations is None:
            correlations = _given_row(given, args.null_p)
        else:
            correlations = correlations.with_columns(source=pl.lit("null z-scores"))
            correlations = correlations.vstack(_given_row(given, args.null_p))
    table = analyse_subtypes(
        aligned,
        loci,
        r=r,
        subtypes=(a, b),
        prior_sd=args.prior_sd,
        model_weights=weights,
        threshold=args.threshold,
    )
    metadata = {
        "subtype_a": a,
        "subtype_b": b,
        "sources": {name: str(path) for name, path in subtypes.items()},
        "loci": Path(args.loci).name,
        "r": r,
        "r_source": "given" if args.r is not None else "null z-scores",
        "prior_sd": args.prior_sd,
        "model_weights": list(weights),
        "threshold": args.threshold,
    }
    write_table(correlations, f"{args.out}.correlation", metadata=metadata)
    write_table(table, args.out, metadata=metadata)
    counts = table["call"].value_counts(sort=True)
    log.info(
        "%d loci: %s; written to %s.parquet",
        table.height,
        ", ".join(f"{c} {n}" for c, n in counts.iter_rows()),
        args.out,
    )
    return 0


def _given_row(given: dict[str, object], null_p: float) -> pl.DataFrame:

    return pl.DataFrame(
        [{**given, "r_truncated": None, "n_variants": None, "null_p": null_p, "n_in_loci": None}],
        schema={
            "subtype_a": pl.String,
            "subtype_b": pl.String,
            "r": pl.Float64,
            "source": pl.String,
            "r_truncated": pl.Float64,
            "n_variants": pl.Int64,
            "null_p": pl.Float64,
            "n_in_loci": pl.Int64,
        },
    ).select(
        "subtype_a", "subtype_b", "r", "r_truncated", "n_variants", "null_p", "n_in_loci", "source"
    )
