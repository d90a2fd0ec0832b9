"""The plink2 variant-selection options (``--chr``, ``--from-bp``/``--to-bp``, ``--range``,
``--snp``/``--window``) of the verbs that read genotypes; the selection itself is
:mod:`gwaskit.io.variant_selection`."""

from __future__ import annotations

import argparse
import logging

import numpy as np
import polars as pl

from gwaskit.cli import _options
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.variant_selection import (
    VariantSelection,
    parse_chromosomes,
    read_ranges,
    select_variants,
)

log = logging.getLogger(__name__)

_bp = _options.in_range(0, kind=int)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the selection options, in their own group of ``--help``."""
    group = parser.add_argument_group("variant selection (as plink2; every one given must hold)")
    group.add_argument(
        "--chr",
        nargs="+",
        metavar="CHR",
        help="chromosomes, e.g. 1-4,22,X (default: all)",
    )
    group.add_argument("--from-bp", type=_bp, metavar="BP", help="first position (with one --chr)")
    group.add_argument("--to-bp", type=_bp, metavar="BP", help="last position (with one --chr)")
    group.add_argument(
        "--range", metavar="FILE", help="variants inside the ranges of FILE (CHR START END [LABEL])"
    )
    group.add_argument("--snp", metavar="ID", help="this variant (with --window: and around it)")
    group.add_argument(
        "--window",
        type=_options.window_kb,
        metavar="KB",
        help="with --snp: a window KB kilobases wide centred on it (as plink)",
    )


def selection(args: argparse.Namespace) -> VariantSelection:
    """The selection the options give (empty when none is given)."""
    return VariantSelection(
        chromosomes=None if args.chr is None else parse_chromosomes(args.chr),
        from_bp=args.from_bp,
        to_bp=args.to_bp,
        ranges=None if args.range is None else read_ranges(args.range),
        snp=args.snp,
        window_kb=args.window,
    )


def variant_mask(
    args: argparse.Namespace, variants: pl.DataFrame
) -> tuple[np.ndarray | None, dict[str, object]]:
    """The mask of the selected variants (``None``: no selection given) and what it did, for
    the outputs' metadata; says how many variants were selected."""
    chosen = selection(args)
    if not chosen.given:
        return None, {}
    mask = select_variants(variants, chosen)
    n = int(mask.sum())
    if n == 0:
        message = f"no variant of the {variants.height} in the genotypes is selected"
        if args.range:
            raise InputError(args.range, f"{message} by its ranges (and the other criteria).")
        raise ParameterError(f"{message} by --chr/--from-bp/--to-bp/--snp; check the values.")
    log.info("variant selection: %d of %d variants selected", n, variants.height)
    return mask, {**chosen.describe(), "selected": n, "not_selected": variants.height - n}
