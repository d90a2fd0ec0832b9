"""``gwaskit init PLAN.toml``: write a commented example plan to start from."""

from __future__ import annotations

import argparse
import logging
from importlib.resources import files
from pathlib import Path

from gwaskit.errors import InputError
from gwaskit.io.tables import atomic_path

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "init",
        parents=[common],
        help="write a commented example plan file",
        description="Write a commented example plan (TOML) to edit; `gwaskit run` runs it.",
    )
    parser.add_argument("plan", metavar="PLAN.toml", type=Path)
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    return parser


def run(args: argparse.Namespace) -> int:
    if args.plan.exists() and not args.force:
        raise InputError(args.plan, "already exists; use --force to overwrite it.")
    with atomic_path(args.plan) as tmp:
        tmp.write_text(example_plan())
    log.info("wrote %s: edit the cohorts, then `gwaskit run %s`", args.plan, args.plan)
    return 0


def example_plan() -> str:
    """The commented example plan shipped with gwaskit."""
    return files("gwaskit.pipeline").joinpath("example.toml").read_text()
