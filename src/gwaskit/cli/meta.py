"""``gwaskit meta --study NAME=FILE ... --out PREFIX``: meta-analysis of summary statistics.

Each study file is read (any supported format) and checked
(:func:`gwaskit.qc.sumstats.qc_sumstats`); its kept rows are encoded for harmonisation
(:func:`gwaskit.meta.harmonise.encode_study`: integer codes, the columns needed) and held in
memory when the estimated size of all studies fits ``--memory-gb``, else written to a compact
temporary Parquet beside the output and read back one chromosome at a time. The studies are then
harmonised and combined one chromosome at a time. Writes ``PREFIX.parquet`` + ``PREFIX.tsv.gz``
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
from typing import Any

import polars as pl

from gwaskit import __version__
from gwaskit.build.check import common_build
from gwaskit.build.liftover import Liftover, lift_sumstats_to, prepare_liftover
from gwaskit.cli import _options
from gwaskit.cli._inputs import check_distinct_rows
from gwaskit.engine import LocalEngine
from gwaskit.errors import InputError, ParameterError
from gwaskit.io.chain import read_chain
from gwaskit.io.duplicates import ALLOW_DUPLICATES, check_distinct_files
from gwaskit.io.ldscore import read_ld_scores
from gwaskit.io.outputs import file_record
from gwaskit.io.sumstats import read_sumstats, write_sumstats
from gwaskit.io.tables import scratch_folder, write_table
from gwaskit.ldsc.estimate import intercept_correction
from gwaskit.ldsc.scores import LdScores
from gwaskit.meta.analyse import meta_analyse_studies, study_lambdas
from gwaskit.meta.duplicates import rows_fingerprint
from gwaskit.meta.harmonise import VALUE_COLUMNS, EncodedStudy, encode_study
from gwaskit.qc.inflation import LAMBDA_WARN, check_lambda_warn, inflation_warning
from gwaskit.qc.sumstats import qc_sumstats
from gwaskit.stats import lambda_gc

log = logging.getLogger(__name__)
#: Columns kept from each study for harmonisation and combination.
_KEEP = (
    "chromosome",
    "base_pair_location",
    "variant_id",
    "rsid",
    "effect_allele",
    "other_allele",
    "beta",
    "standard_error",
    "effect_allele_frequency",
    "neg_log_10_p_value",
    "n",
    "n_cases",
    "n_controls",
)


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
        default=3.0,
        metavar="GB",
        help="keep the checked studies in memory when they are estimated to fit in this "
        "much (default 3); beyond it they are kept in temporary Parquet files and read one "
        "chromosome at a time",
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


def _prepare_study(
    name: str,
    path: Path,
    part: Path,
    args: argparse.Namespace,
    n: float | None,
    population: str | None,
    in_memory: bool,
    gc_ld: tuple[LdScores, pl.DataFrame] | None = None,
) -> dict[str, Any]:
    """Read and QC one study; keep its rows encoded for harmonisation (``in_memory``) or
    write them, sorted, to a compact Parquet ``part``. With ``gc_ld`` (``--gc ldsc``), the
    study's genomic-control factor is its LD score regression intercept (at least 1)."""
    table, meta = read_sumstats(path, build=args.build, n=n)
    fingerprint = rows_fingerprint(table)
    table, meta, unlifted = lift_sumstats_to(table, meta, args.liftover, source=str(path))
    qc = qc_sumstats(
        table,
        require_beta=args.method != "samplesize",
        require_n=args.method == "samplesize",
        population=population,
        build=meta.get("genome_assembly"),
    )
    if qc.table.height == 0:
        reasons = ", ".join(f"{r}: {c}" for r, c in qc.counts.items() if c)
        hint = " Give its sample size with --study-n NAME=N." if qc.counts.get("n_missing") else ""
        raise InputError(path, f"no variant passed QC ({reasons}).{hint}")
    declared = meta.get("genome_assembly")  # checked against its positions on reading
    detected = qc.summary.get("build_detected")
    log.info(
        "%s: %d variants read, %d kept after QC, lambda GC %.3f",
        name,
        qc.summary["variants_read"],
        qc.summary["variants_kept"],
        qc.summary["lambda_gc"],
    )
    message = inflation_warning(f"study {name}", qc.summary["lambda_gc"], args.lambda_warn)
    if message:
        log.warning("%s", message)
    kept = qc.table.select([c for c in _KEEP if c in qc.table.columns])
    stored: Path | EncodedStudy | pl.DataFrame
    lam = None
    if gc_ld is not None:
        ldsc = intercept_correction(kept, *gc_ld, name=name)
        lam = max(ldsc.intercept, 1.0)
        log.info(
            "%s: LD score regression intercept %.3f (SE %.3f), lambda GC %.3f: chi² divided "
            "by %.3f",
            name, ldsc.intercept, ldsc.intercept_se, ldsc.lambda_gc, lam,
        )  # fmt: skip
    if in_memory and kept["chromosome"].null_count() == 0:
        if args.gc and lam is None:
            lam = study_lambdas({name: kept}, method=args.method)[name]
        needed = [
            v for v in VALUE_COLUMNS if args.method == "samplesize" or v != "neg_log_10_p_value"
        ]
        stored = encode_study(
            name,
            kept,
            palindromic=args.palindromic,
            maf_threshold=args.maf_threshold,
            values=needed,
        )
    elif in_memory:
        stored = kept
    else:
        kept = kept.sort("chromosome", "base_pair_location")
        # small row groups: each chromosome's scan reads only its own groups
        kept.write_parquet(part, row_group_size=16 * 1024, compression="lz4", statistics=True)
        stored = part
    build = declared or detected
    row = {
        "study": name,
        "file": Path(path).name,
        "format": meta["format"],
        "build": build,
        "liftover_unmapped": 0 if unlifted is None else unlifted.height,
        **qc.counts,
        **{f"qc_{k}": v for k, v in qc.summary.items()},
    }
    dropped = qc.dropped.select(
        pl.lit(name).alias("study"),
        *[
            pl.col(c)
            for c in (
                "chromosome",
                "base_pair_location",
                "variant_id",
                "effect_allele",
                "other_allele",
                "reason",
            )
        ],
    )
    return {
        "row": row,
        "dropped": dropped,
        "build": build,
        "part": stored,
        "lambda": lam,
        "fingerprint": fingerprint,
        "unlifted": None if unlifted is None else _unlifted_rows(name, unlifted),
    }


def _unlifted_rows(name: str, unmapped: pl.DataFrame) -> pl.DataFrame:
    """Rows a liftover could not place, as dropped rows (reason ``liftover_<reason>``)."""
    columns = ("chromosome", "base_pair_location", "variant_id", "effect_allele", "other_allele")
    return unmapped.select(
        pl.lit(name).alias("study"),
        *[pl.col(c) if c in unmapped.columns else pl.lit(None).alias(c) for c in columns],
        ("liftover_" + pl.col("reason")).alias("reason"),
    )


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
    engine = LocalEngine(args.threads, progress=not args.no_progress)
    gc_ld = None
    if args.gc == "ldsc":
        if not (args.ref_ld and args.w_ld):
            raise ParameterError("--gc ldsc needs LD scores: add --ref-ld PREFIX --w-ld PREFIX.")
        table, m = read_ld_scores(args.ref_ld)
        gc_ld = (LdScores(table, m, m), read_ld_scores(args.w_ld, m_suffix=None)[0])
    elif args.ref_ld or args.w_ld:
        raise ParameterError("--ref-ld and --w-ld are for --gc ldsc.")
    in_memory = estimate_memory_gb(list(studies.values())) <= args.memory_gb
    args.liftover = _liftover(args)
    with scratch_folder(out) as tmp:

        def prepare(item: tuple[int, tuple[str, Path]]) -> dict[str, Any]:
            index, (name, path) = item
            return _prepare_study(
                name,
                path,
                Path(tmp) / f"study{index}.parquet",
                args,
                default_n.get(name),
                population,
                in_memory,
                gc_ld,
            )

        items = list(enumerate(studies.items()))
        prepared = engine.map(prepare, items, description="reading")
        kinds = {type(p["part"]) for p in prepared}
        if in_memory and len(kinds) > 1:  # some studies lack positions: match all by id
            in_memory = False
            prepared = engine.map(prepare, items, description="reading")
        check_distinct_rows(
            {p["row"]["study"]: p["fingerprint"] for p in prepared},
            studies,
            lambda path: read_sumstats(path, build=args.build)[0],
            allow=args.allow_duplicate_studies,
        )
        rows = [p["row"] for p in prepared]
        qc_dropped = [p["dropped"] for p in prepared]
        lift_dropped = [p["unlifted"] for p in prepared if p["unlifted"] is not None]
        builds = {p["row"]["study"]: p["build"] for p in prepared if p["build"]}
        lazies = {
            p["row"]["study"]: pl.scan_parquet(p["part"])
            if isinstance(p["part"], Path)
            else p["part"]
            for p in prepared
        }
        lambdas = (
            {p["row"]["study"]: p["lambda"] for p in prepared}
            if all(p["lambda"] is not None for p in prepared)
            else None
        )
        common_build(
            builds,
            hint="bring them to one build first: add --liftover-chain FILE (a UCSC chain, e.g. "
            "hg19ToHg38.over.chain.gz) or run `gwaskit liftover`.",
        )
        result = meta_analyse_studies(
            lazies,
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
