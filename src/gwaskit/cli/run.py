"""``gwaskit run PLAN.toml``: the whole study from one plan, resumable."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from gwaskit.cli import _options
from gwaskit.engine import DaskEngine, LocalEngine
from gwaskit.pipeline.plan import read_plan
from gwaskit.pipeline.runner import Runner
from gwaskit.pipeline.stages import STAGES, build_tasks

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "run",
        parents=[common],
        help="run a plan: cohort QC, PCA, association, meta-analysis, loci, report",
        description=(
            "Run every stage of a plan (see `gwaskit init`). Each stage writes its folder under "
            "the plan's output folder atomically, with a manifest; rerunning skips stages whose "
            "inputs and parameters are unchanged."
        ),
    )
    parser.add_argument("plan", metavar="PLAN.toml", type=Path)
    parser.add_argument(
        "--from", dest="start_from", choices=STAGES, help="redo this stage and later ones"
    )
    parser.add_argument("--only", choices=STAGES, help="run only this stage")
    parser.add_argument("--dry-run", action="store_true", help="print what would run; run nothing")
    parser.add_argument(
        "--scheduler",
        type=_options.scheduler,
        metavar="tcp://HOST:PORT",
        help="run the tasks of each stage on a Dask cluster (overrides [engine] of the plan)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    plan = read_plan(args.plan)
    scheduler = args.scheduler or plan.engine.scheduler
    threads = args.threads or plan.engine.threads
    if scheduler == "local":
        # one task at a time; each verb uses every core itself
        engine = LocalEngine(1, progress=False)
        verb_threads = threads
    else:
        engine = DaskEngine(scheduler, progress=not args.no_progress)
        verb_threads = threads or 1
    try:
        from gwaskit.cli import dispatch

        tasks = build_tasks(plan, threads=verb_threads, execute=dispatch)
        runner = Runner(plan.out, engine=engine, out_key="consortium.out")
        outcomes = runner.run(
            tasks, start_from=args.start_from, only=args.only, dry_run=args.dry_run
        )
    finally:
        if isinstance(engine, DaskEngine):
            engine.close()
    ran = sum(o.status == "ran" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    log.info("%d task(s) ran, %d up to date", ran, skipped)
    report = runner.folder("report/all") / "report.html"
    if report.is_file() and not args.dry_run:
        print(f"report: {report}")
    return 0
