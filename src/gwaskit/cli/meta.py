"""``gwaskit meta --study NAME=FILE ... --out PREFIX``: meta-analysis of summary statistics.

Each study file is read (any supported format), checked and encoded for harmonisation by
:func:`gwaskit.meta.prepare.prepare_study`; the encoded studies are held in memory when the
estimated size of all studies fits ``--memory-gb``, else each chromosome of each study is written
to a small temporary Parquet beside the output and read back when that chromosome is harmonised
(the same algorithm, the same output). The studies are then harmonised and combined one
chromosome at a time, the chromosomes being tasks of the engine. Writes ``PREFIX.parquet`` + ``PREFIX.tsv.gz``
(GWAS-SSF as the GWAS Catalog accepts it, with ``PREFIX.untested.tsv.gz``, the rows it cannot hold)
(+ YAML sidecar; ``--no-tsv``: Parquet only), the MetaStats table; ``PREFIX.studies.tsv.gz``/
``.parquet``, one row per study (QC counts per reason, harmonisation counts, lambda GC, SE-N
scale, build); and ``PREFIX.dropped.tsv.gz``/``.parquet``, every dropped input row with its
reason.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import polars as pl

from gwaskit import __version__
from gwaskit.build.check import common_build
from gwaskit.build.liftover import Liftover, prepare_liftover
from gwaskit.cli import _options
from gwaskit.cli._inputs import check_distinct_rows
from gwaskit.engine import DaskEngine, opened_engine
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.chain import read_chain
from gwaskit.io.duplicates import ALLOW_DUPLICATES, check_distinct_files
from gwaskit.io.ldscore import read_ld_scores
from gwaskit.io.outputs import file_record
from gwaskit.io.sumstats import read_sumstats, write_sumstats
from gwaskit.io.tables import scratch_folder, write_table
from gwaskit.ldsc.scores import LdScores
from gwaskit.meta.analyse import meta_analyse_studies
from gwaskit.meta.prepare import PreparedStudy, prepare_study
from gwaskit.qc.inflation import LAMBDA_WARN, check_lambda_warn, inflation_warning
from gwaskit.stats import lambda_gc

log = logging.getLogger(__name__)


def add_parser(
    subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "meta",
        parents=[common],
        help="meta-analyse summary statistics of several studies",
        description=(
            "Meta-analyse summary statistics (GWAS-SSF, PLINK 2 .glm.*, REGENIE, SAIGE, "
            "METAL/GWAMA inputs, gwaskit Parquet): QC, allele harmonisation, fixed / random "
            "effects or sample-size weighted Z, heterogeneity."
        ),
    )
    parser.add_argument(
        "--study",
        action="append",
        required=True,
        metavar="NAME=FILE",
        help="a study's summary statistics; repeat per study (order = direction string order)",
    )
    parser.add_argument(
        "--method",
        choices=["fixed", "random", "samplesize"],
        default="fixed",
        help="inverse-variance fixed effects (default), random effects, or METAL's "
        "sample-size weighted Z",
    )
    parser.add_argument(
        "--random-method",
        choices=["dl", "reml"],
        default="dl",
        help="tau2 estimator for random effects (default: DerSimonian-Laird)",
    )
    parser.add_argument(
        "--hksj", action="store_true", help="Hartung-Knapp-Sidik-Jonkman random-effects SE"
    )
    parser.add_argument(
        "--gc",
        nargs="?",
        const="lambda",
        choices=["lambda", "ldsc"],
        help="genomic control of each study: by its lambda GC (`--gc`), or by its LD score "
        "regression intercept (`--gc ldsc`, needs --ref-ld and --w-ld)",
    )
    parser.add_argument(
        "--ref-ld", metavar="PREFIX", help="LD scores for --gc ldsc (as `gwaskit ldsc h2`)"
    )
    parser.add_argument(
        "--w-ld", metavar="PREFIX", help="regression-weight LD scores for --gc ldsc"
    )
    parser.add_argument(
        "--gc-result", action="store_true", help="genomic control of the meta-analysis result"
    )
    parser.add_argument("--build", choices=["GRCh37", "GRCh38"], help="genome build of every input")
    parser.add_argument(
        "--liftover-chain",
        metavar="FILE",
        help="UCSC chain file (e.g. hg19ToHg38.over.chain.gz): studies on its source build are "
        "lifted to its target build first (unmapped rows go to PREFIX.dropped, stage liftover)",
    )
    parser.add_argument(
        "--target-build",
        choices=["GRCh37", "GRCh38"],
        help="the build to bring every study to (checked against --liftover-chain's target)",
    )
    parser.add_argument(
        "--palindromic",
        choices=["frequency", "forward", "drop"],
        default="frequency",
        help="A/T and C/G SNPs: align by allele frequency (default), trust the strand as "
        "given (METAL, GWAMA), or drop them",
    )
    parser.add_argument(
        "--maf-threshold",
        type=float,
        default=0.4,
        help="palindromic SNPs with MAF at or above this are dropped (default 0.4)",
    )
    parser.add_argument(
        "--population",
        choices=["eur", "eas", "amr", "sas", "afr", "none"],
        default="eur",
        help="1000 Genomes super-population for the allele-frequency check",
    )
    parser.add_argument(
        "--study-n",
        action="append",
        default=[],
        metavar="NAME=N",
        help="sample size of a study whose file has no N column (METAL's DEFAULTWEIGHT)",
    )
    parser.add_argument(
        "--no-tsv",
        action="store_true",
        help="write the Parquet tables only (no .tsv.gz copies, which take most of the "
        "writing time)",
    )
    parser.add_argument(
        "--memory-gb",
        type=_options.memory_gb,
        default=1.0,
        metavar="GB",
        help="keep the checked studies in memory when they are estimated to fit in this "
        "much (default 1); beyond it each chromosome of each study is kept in a temporary "
        "Parquet file and read when that chromosome is combined (same results)",
    )
    parser.add_argument(
        ALLOW_DUPLICATES,
        action="store_true",
        help="accept two studies with identical files or identical rows (refused by default: "
        "a study counted twice looks twice as precise as it is)",
    )
    parser.add_argument(
        "--lambda-warn",
        type=float,
        default=LAMBDA_WARN,
        metavar="L",
        help=f"warn when a study's or the result's lambda GC is above L (default: "
        f"{LAMBDA_WARN}; inf: never)",
    )
    parser.add_argument(
        "--scheduler",
        type=_options.scheduler,
        metavar="tcp://HOST:PORT",
        help="Dask scheduler: studies are read and chromosomes combined on its workers (the "
        "output folder must be on storage they reach)",
    )
    parser.add_argument("--out", required=True, metavar="PREFIX", help="output prefix")
    return parser


#: Bytes per input row held for an encoded study (codes, position, ids, values) and transient
#: copies; measured: 2.1 GB peak for 22 studies x 1M rows.
_BYTES_PER_ROW = 100


def estimate_memory_gb(paths: list[Path]) -> float:
    """Rough memory (GB) for holding every study encoded in memory: rows estimated from each
    file's size and the mean length of its first lines (gzip counted as 4x its size)."""
    from gwaskit.io.compression import head_lines, sniff

    total_rows = 0.0
    for path in paths:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        size = path.stat().st_size
        if sniff(path) in ("gzip", "bgzip", "zstd", "bzip2"):
            head = "\n".join(head_lines(path, 1000)).encode()[: 1 << 16]
            size *= 4
        lines = head.count(b"\n") or 1
        total_rows += size / (len(head) / lines)
    return total_rows * _BYTES_PER_ROW / 1e9


def _parse_studies(values: list[str]) -> dict[str, Path]:
    studies: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ParameterError(f"--study must be NAME=FILE, got {value!r}.")
        if name in studies:
            raise ParameterError(f"--study: the name {name!r} is given twice; names must differ.")
        if not Path(path).is_file():
            raise InputError(path, "file not found.")
        studies[name] = Path(path)
    if len(studies) < 2:
        raise ParameterError(
            f"--study: a meta-analysis needs at least 2 studies, got {len(studies)}."
        )
    return studies


def _parse_study_n(values: list[str], studies: dict[str, Path]) -> dict[str, float]:
    out = {}
    for value in values:
        name, sep, number = value.partition("=")
        if name not in studies:
            raise ParameterError(f"--study-n: {name!r} is not a study given with --study.")
        try:
            n = float(number)
        except ValueError:
            n = float("nan")
        if not sep or not n > 0:
            raise ParameterError(f"--study-n must be NAME=N with N > 0, got {value!r}.")
        out[name] = n
    return out


def _liftover(args: argparse.Namespace) -> Liftover | None:
    if args.liftover_chain is None:
        if args.target_build:
            raise ParameterError("--target-build needs --liftover-chain FILE to lift studies.")
        return None
    return prepare_liftover(read_chain(args.liftover_chain), target_build=args.target_build)


def run(args: argparse.Namespace) -> int:
    studies = _parse_studies(args.study)
    check_distinct_files(studies, allow=args.allow_duplicate_studies)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InputError(out.parent, "output folder does not exist; create it first.")
    if not 0.0 < args.maf_threshold <= 0.5:
        raise ParameterError(f"--maf-threshold must be in (0, 0.5], got {args.maf_threshold!r}.")
    check_lambda_warn(args.lambda_warn)
    population = None if args.population == "none" else args.population
    default_n = _parse_study_n(args.study_n, studies)
    gc_ld = None
    if args.gc == "ldsc":
        if not (args.ref_ld and args.w_ld):
            raise ParameterError("--gc ldsc needs LD scores: add --ref-ld PREFIX --w-ld PREFIX.")
        table, m = read_ld_scores(args.ref_ld)
        gc_ld = (LdScores(table, m, m), read_ld_scores(args.w_ld, m_suffix=None)[0])
    elif args.ref_ld or args.w_ld:
        raise ParameterError("--ref-ld and --w-ld are for --gc ldsc.")
    in_memory = estimate_memory_gb(list(studies.values())) <= args.memory_gb
    liftover = _liftover(args)
    with (
        opened_engine(
            args.scheduler, threads=args.threads, progress=not args.no_progress
        ) as engine,
        scratch_folder(out) as tmp,
    ):

        def prepare(item: tuple[str, Path], form: str) -> PreparedStudy:
            name, path = item
            return prepare_study(
                name,
                path,
                method=args.method,
                build=args.build,
                n=default_n.get(name),
                population=population,
                palindromic=args.palindromic,
                maf_threshold=args.maf_threshold,
                gc=args.gc,
                gc_ld=gc_ld,
                liftover=liftover,
                form=form,
                scratch=Path(tmp).resolve(),
                lambda_warn=args.lambda_warn,
            )

        dask = isinstance(engine, DaskEngine)  # workers have their own working folder
        items = [(name, path.resolve() if dask else path) for name, path in studies.items()]
        # Dask workers hand back only file names and small tables: spilled studies
        form = "encoded" if in_memory and not dask else "spilled"
        prepared = engine.map(lambda item: prepare(item, form), items, description="reading")
        if any(isinstance(p.data, pl.DataFrame) for p in prepared) and not all(
            isinstance(p.data, pl.DataFrame) for p in prepared
        ):  # some studies lack positions: match all by id
            prepared = engine.map(lambda item: prepare(item, "table"), items, description="reading")
        if dask:  # the workers logged each study's warning in their own logs: say it here
            for p in prepared:
                message = inflation_warning(
                    f"study {p.name}", p.summary["qc_lambda_gc"], args.lambda_warn
                )
                if message:
                    log.warning("%s", message)
        check_distinct_rows(
            {p.name: p.fingerprint for p in prepared},
            studies,
            lambda path: read_sumstats(path, build=args.build)[0],
            allow=args.allow_duplicate_studies,
        )
        rows = [p.summary for p in prepared]
        qc_dropped = [p.dropped for p in prepared]
        lift_dropped = [p.unlifted for p in prepared if p.unlifted is not None]
        builds = {p.name: p.build for p in prepared if p.build}
        lambdas = (
            {p.name: p.lambda_gc for p in prepared}
            if all(p.lambda_gc is not None for p in prepared)
            else None
        )
        common_build(
            builds,
            hint="bring them to one build first: add --liftover-chain FILE (a UCSC chain, e.g. "
            "hg19ToHg38.over.chain.gz) or run `gwaskit liftover`.",
        )
        result = meta_analyse_studies(
            {p.name: p.data for p in prepared},
            method=args.method,
            gc=bool(args.gc),
            gc_result=args.gc_result,
            palindromic=args.palindromic,
            maf_threshold=args.maf_threshold,
            random_method=args.random_method,
            hksj=args.hksj,
            engine=engine,
            lambdas=lambdas,
        )
    lam = lambda_gc(result.table["neg_log_10_p_value"].to_numpy())
    message = inflation_warning("meta-analysis", lam, args.lambda_warn)
    if message:
        log.warning("%s", message)
    build = next(iter(builds.values()), None)
    metadata = {
        "genome_assembly": build,
        "gwaskit_version": __version__,
        "analysis": "meta-analysis",
        "method": args.method,
        "random_method": args.random_method,
        "hksj": args.hksj,
        "genomic_control": args.gc or False,
        "genomic_control_result": args.gc_result,
        "palindromic": args.palindromic,
        "maf_threshold": args.maf_threshold,
        "studies": {name: file_record(path) for name, path in studies.items()},
        "direction_order": list(studies),
    }
    summary = pl.DataFrame(rows).join(result.studies, on="study", how="left")
    tsv = not args.no_tsv
    written = write_sumstats(result.table, out, metadata=metadata, compresslevel=2, tsv=tsv)
    written += write_table(summary, out.with_name(out.name + ".studies"), compresslevel=2, tsv=tsv)
    dropped = (
        pl.concat(
            [
                *[d.with_columns(pl.lit("liftover").alias("stage")) for d in lift_dropped],
                *[d.with_columns(pl.lit("qc").alias("stage")) for d in qc_dropped],
                result.dropped.with_columns(pl.lit("harmonise").alias("stage")),
            ],
            how="vertical_relaxed",
        )
        if result.dropped is not None
        else pl.concat(qc_dropped)
    )
    written += write_table(dropped, out.with_name(out.name + ".dropped"), compresslevel=2, tsv=tsv)
    log.info(
        "%d variants meta-analysed from %d studies; %d input rows dropped (%s)",
        result.table.height,
        len(studies),
        dropped.height,
        ", ".join(f"{r}: {c}" for r, c in dropped["reason"].value_counts(sort=True).iter_rows()),
    )
    for path in written:
        log.info("wrote %s", path)
    return 0
