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

from gwaskit import __version__, choices
from gwaskit.build.check import common_build
from gwaskit.build.liftover import Liftover, prepare_liftover
from gwaskit.cli import _options
from gwaskit.cli._inputs import check_distinct_rows
from gwaskit.engine import DaskEngine, opened_engine
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.chain import read_chain
from gwaskit.io.duplicates import ALLOW_DUPLICATES, check_distinct_files
from gwaskit.io.eaf_reference import read_eaf_reference
from gwaskit.io.ldscore import read_ld_scores
from gwaskit.io.outputs import file_record
from gwaskit.io.sumstats import read_sumstats, write_sumstats
from gwaskit.io.tables import scratch_folder, write_table
from gwaskit.ldsc.scores import LdScores
from gwaskit.meta.analyse import meta_analyse_studies
from gwaskit.meta.chrx import CODINGS
from gwaskit.meta.prepare import PreparedStudy, prepare_study
from gwaskit.meta.strand import log_strand_decisions, reference_checks
from gwaskit.qc.frequency import speak_warnings
from gwaskit.qc.inflation import LAMBDA_WARN, check_lambda_warn, inflation_warning
from gwaskit.qc.sumstats import QC_PRESETS, qc_filters
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
        choices=choices.META_METHODS,
        default="fixed",
        help="inverse-variance fixed effects (default), random effects, or METAL's "
        "sample-size weighted Z",
    )
    parser.add_argument(
        "--random-method",
        choices=choices.RANDOM_METHODS,
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
    parser.add_argument("--build", choices=choices.BUILDS, help="genome build of every input")
    parser.add_argument(
        "--liftover-chain",
        metavar="FILE",
        help="UCSC chain file (e.g. hg19ToHg38.over.chain.gz): studies on its source build are "
        "lifted to its target build first (unmapped rows go to PREFIX.dropped, stage liftover)",
    )
    parser.add_argument(
        "--target-build",
        choices=choices.BUILDS,
        help="the build to bring every study to (checked against --liftover-chain's target)",
    )
    parser.add_argument(
        "--palindromic",
        choices=choices.PALINDROMIC,
        default="auto",
        help="A/T and C/G SNPs: `auto` (default) keeps them as given (as METAL and GWAMA do) "
        "in a study whose other SNPs show no strand flips against the reference or the other "
        "studies, and aligns them by allele frequency in a study that does; `frequency`: "
        "align by frequency in every study; `forward`: trust the strand as given; `drop`",
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
    qc = parser.add_argument_group("per-variant QC filters of each study (off unless given)")
    qc.add_argument(
        "--qc-preset",
        choices=sorted(QC_PRESETS),
        help="a consortium's filters: ihgc2022 = the 2022 migraine meta-analysis (Hautakangas "
        "et al. 2022, doi:10.1038/s41588-021-00990-0): MAF > 0.01, info > 0.6, HWE p > 1e-6, "
        "allele frequency within 0.30 of the reference (indels 0.20); the options below "
        "override its values",
    )
    qc.add_argument(
        "--min-info",
        type=_options.in_range(0.0, 1.0),
        metavar="X",
        help="keep variants with imputation quality (INFO / MACH r²) above X",
    )
    qc.add_argument(
        "--maf",
        type=_options.in_range(0.0, 0.5),
        metavar="X",
        help="keep variants with minor allele frequency above X",
    )
    qc.add_argument(
        "--hwe",
        type=_options.in_range(0.0, 1.0),
        metavar="P",
        help="keep variants with Hardy-Weinberg p above P (when the study reports one)",
    )
    qc.add_argument(
        "--min-n", type=_options.in_range(0.0), metavar="N", help="keep variants with N >= N"
    )
    qc.add_argument(
        "--min-n-fraction",
        type=_options.in_range(0.0, 1.0),
        metavar="F",
        help="keep variants whose N is at least F times the study's largest N",
    )
    qc.add_argument(
        "--max-eaf-diff",
        type=_options.in_range(0.0, 1.0),
        metavar="D",
        help="drop SNPs whose allele frequency differs from the reference by more than D",
    )
    qc.add_argument(
        "--max-eaf-diff-indel",
        type=_options.in_range(0.0, 1.0),
        metavar="D",
        help="the same for indels (default: --max-eaf-diff)",
    )
    qc.add_argument(
        "--eaf-reference",
        metavar="FILE",
        help="allele-frequency reference (e.g. a biobank's): a table with chromosome, position, "
        "two alleles and the first allele's frequency; default: the 1000 Genomes HapMap3 SNPs "
        "shipped with gwaskit, for --population",
    )
    qc.add_argument(
        "--strict",
        action="store_true",
        help="make every study-level QC warning (allele frequencies against the reference "
        "correlated negatively, failed SE-N or P-Z check) an error: exit 2, nothing written",
    )
    parser.add_argument(
        "--study-n",
        action="append",
        default=[],
        metavar="NAME=N",
        help="sample size of a study whose file has no N column (METAL's DEFAULTWEIGHT)",
    )
    parser.add_argument(
        "--x-coding",
        action="append",
        default=[],
        metavar="NAME=0/1|0/2",
        help="how a study coded male chrX dosages (plink2 --xchr-model 1: 0/1; 2, the default: "
        "0/2); default: read from its metadata (male_x_dosage) or detected from its SE, N and "
        "frequencies. Every study is put on the 0/2 scale (0/1 betas halved)",
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
    """Rough memory (GB) for holding every study encoded in memory: rows from a Parquet file's
    footer, or estimated from a text file's size and the mean length of its first lines (gzip
    counted as 4x its size)."""
    from gwaskit.io.compression import head_lines, sniff

    total_rows = 0.0
    for path in paths:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        if head[:4] == b"PAR1":  # Parquet: the footer holds the row count
            total_rows += pl.scan_parquet(path).select(pl.len()).collect().item()
            continue
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


def _parse_x_codings(values: list[str], studies: dict[str, Path]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, coding = value.partition("=")
        if name not in studies:
            raise ParameterError(f"--x-coding: {name!r} is not a study given with --study.")
        if not sep or coding not in CODINGS:
            raise ParameterError(f"--x-coding must be NAME=0/1 or NAME=0/2, got {value!r}.")
        out[name] = coding
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
    x_codings = _parse_x_codings(args.x_coding, studies)
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
    filters = qc_filters(
        args.qc_preset,
        info=args.min_info,
        maf=args.maf,
        hwe_p=args.hwe,
        min_n=args.min_n,
        min_n_fraction=args.min_n_fraction,
        eaf_diff=args.max_eaf_diff,
        eaf_diff_indel=args.max_eaf_diff_indel,
    )
    reference = read_eaf_reference(args.eaf_reference) if args.eaf_reference else None
    with (
        opened_engine(
            args.scheduler, threads=args.threads, progress=not args.no_progress
        ) as engine,
        scratch_folder(out) as tmp,
    ):

        def prepare(
            item: tuple[str, Path], form: str, indels: pl.DataFrame | None = None
        ) -> PreparedStudy:
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
                filters=filters,
                reference=reference,
                x_coding=x_codings.get(name),
                indels=indels,
                form=form,
                scratch=Path(tmp).resolve(),
                lambda_warn=args.lambda_warn,
            )

        dask = isinstance(engine, DaskEngine)  # workers have their own working folder
        items = [(name, path.resolve() if dask else path) for name, path in studies.items()]
        # Dask workers hand back only file names and small tables: spilled studies
        form = "encoded" if in_memory and not dask else "spilled"

        def prepare_all(form: str) -> list[PreparedStudy]:
            done = engine.map(lambda item: prepare(item, form), items, description="reading")
            # studies coding indels I/D: read again, resolved against the other studies' indels
            for i, p in enumerate(done):
                if p.qc_stats.get("indel_id_coded"):
                    others = [q.indels for j, q in enumerate(done) if j != i]
                    done[i] = prepare(
                        items[i], form, pl.concat(others).unique() if others else None
                    )
            return done

        prepared = prepare_all(form)
        if any(isinstance(p.data, pl.DataFrame) for p in prepared) and not all(
            isinstance(p.data, pl.DataFrame) for p in prepared
        ):  # some studies lack positions: match all by id
            prepared = prepare_all("table")
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
        summaries = {p.name: p.qc_stats for p in prepared}
        warnings = speak_warnings(summaries, strict=args.strict, files=studies)
        rows = [{**p.summary, "qc_warnings": warnings[p.name]} for p in prepared]
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
            strand_checks=reference_checks(summaries),
        )
    log_strand_decisions(result.studies)
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
        "male_x_dosage": {r["study"]: r["x_coding"] for r in rows},
        "male_x_dosage_scale": "0/2",
        "qc_filters": {k: v for k, v in vars(filters).items() if v is not None},
        "qc_preset": args.qc_preset,
        "eaf_reference": Path(args.eaf_reference).name if args.eaf_reference else None,
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
